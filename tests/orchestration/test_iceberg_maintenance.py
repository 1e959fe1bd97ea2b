"""The maintenance DAG's task bodies off Trino: nothing to maintain, nothing touched."""

from __future__ import annotations

from pathlib import Path

import pytest
from sme_pulse.config import ConfigError, Settings
from sme_pulse.orchestration.iceberg_maintenance import iceberg_tables

pytestmark = pytest.mark.unit


def test_duckdb_has_no_iceberg_table_to_maintain(tmp_path: Path) -> None:
    # No warehouse file exists: a query would fail, so an empty list proves none was made.
    settings = Settings.from_env({"SME_PULSE_HOME": str(tmp_path), "DBT_TARGET": "duckdb"})
    assert iceberg_tables(settings) == []


@pytest.mark.parametrize(
    ("name", "value"),
    [("ICEBERG_SNAPSHOT_RETENTION", "7 days"), ("ICEBERG_OPTIMIZE_FILE_SIZE_THRESHOLD", "big")],
)
def test_a_malformed_upkeep_setting_is_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})
