"""`register_bronze`, the DAG task body: a no-op on DuckDB, the registration on Trino."""

from __future__ import annotations

from pathlib import Path

import pytest
from sme_pulse.bronze import registration
from sme_pulse.config import Settings
from sme_pulse.orchestration.dbt_invoke import register_bronze

pytestmark = pytest.mark.unit


def test_duckdb_reads_bronze_in_place_and_registers_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registration, "register_on_trino", pytest.fail)
    settings = Settings.from_env({"SME_PULSE_HOME": str(tmp_path), "DBT_TARGET": "duckdb"})
    assert register_bronze(settings) == "nothing to register: duckdb reads bronze in place"


def test_trino_runs_the_registration_on_the_configured_lake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Settings] = []
    monkeypatch.setattr(registration, "register_on_trino", lambda s, **_: calls.append(s))
    settings = Settings.from_env(
        {"SME_PULSE_HOME": str(tmp_path), "DBT_TARGET": "trino", "LAKE_URI": "s3://sme-lake"}
    )
    assert register_bronze(settings) == "bronze registered in hive.bronze over s3://sme-lake/bronze"
    assert calls == [settings]
