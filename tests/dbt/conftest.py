"""Run dbt against a throwaway lake and warehouse, never touching dbt/target."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sme_pulse import runs
from sme_pulse.config import Settings
from sme_pulse.feeds.simulator import start_server
from sme_pulse.sources.lineage import RunContext

REPO = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")

DbtRunner = Callable[..., subprocess.CompletedProcess[str]]


def run_dbt(
    work: Path, *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`dbt <args>` in the project folder with build output under `work`."""
    command = [
        str(DBT), *args, "--project-dir", str(REPO / "dbt"), "--profiles-dir",
        str(REPO / "dbt"), "--target-path", str(work / "dbt-target"),
        "--log-path", str(work / "dbt-logs"),
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=REPO / "dbt", env={**os.environ, **(env or {})},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if check and result.returncode != 0:
        pytest.fail(f"dbt {' '.join(args)} failed:\n{result.stdout[-4000:]}{result.stderr[-2000:]}")
    return result


@pytest.fixture
def dbt(tmp_path: Path) -> DbtRunner:
    """`dbt(*args, env=...)` in the project folder with build output under tmp_path."""

    def run(
        *args: str, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return run_dbt(tmp_path, *args, env=env, check=check)

    return run


@dataclass
class Warehouse:
    """A shop's lake and DuckDB warehouse under `work`: `query` reads it, `dbt` builds it
    with the shop's settings and keeps each build in `builds`."""

    settings: Settings
    work: Path
    builds: list[subprocess.CompletedProcess[str]] = field(default_factory=list)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.settings.warehouse_path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def dbt(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_dbt(self.work, *args, env=self.settings.dbt_env())

    def build(self) -> subprocess.CompletedProcess[str]:
        self.builds.append(self.dbt("build"))
        return self.builds[-1]


@contextlib.contextmanager
def shop(work: Path, crm: Path, **env: str) -> Iterator[Warehouse]:
    """A shop under `work`, as `make demo` runs it without Airflow: the customer API
    simulator serving `crm/customers.jsonl` over HTTP, an empty landing folder, and the
    replayed World Bank and provinces data ingested. The test lands its exports and runs
    the sales and CRM ingestion itself (once, or day by day)."""
    server, url = start_server(crm)
    try:
        settings = Settings.from_env(
            {"SME_PULSE_HOME": str(work / "home"), "CUSTOMER_API_URL": url, **env}
        )
        Path(settings.landing_uri).mkdir(parents=True)
        external = RunContext("replay_1", "2026-01-01", datetime.now(UTC))
        runs.ingest_world_bank(settings, external)
        runs.ingest_provinces(settings, external)
        yield Warehouse(settings, work)
    finally:
        server.stop()
