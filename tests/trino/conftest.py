"""The real Trino of `make trino-local`, and a lakehouse built on it by the real DAGs.

Only `make test-trino` selects these tests (marker `trino`). They start trino-local when
it is not running and never skip: a server that cannot start fails the session.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs
import pytest
from sme_pulse.config import Settings
from sme_pulse.orchestration.iceberg_maintenance import MAINTAINED_SCHEMAS
from sme_pulse.servers import trino_local

import trino

REPO = Path(__file__).resolve().parents[2]
AIRFLOW = Path(sys.executable).with_name("airflow")
# Captured before the suite's autouse fixture points SME_PULSE_HOME at a temporary folder:
# trino-local's servers, data and downloads live in the developer's (or CI's) home.
SERVERS_HOME = Path(os.environ.get("SME_PULSE_HOME") or REPO / ".local").resolve()


@dataclass
class TrinoLakehouse:
    """A running trino-local and the settings that point the pipeline at it."""

    local: trino_local.LocalTrino
    env: dict[str, str]
    settings: Settings
    """What trino-local was started with: to stop and start it again."""

    def cursor(self) -> Any:
        port = int(self.local.trino_url.rsplit(":", 1)[1])
        return trino.dbapi.connect(host="127.0.0.1", port=port, user="sme_pulse").cursor()

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        cursor = self.cursor()
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]

    def s3(self) -> pafs.S3FileSystem:
        return pafs.S3FileSystem(
            access_key=self.local.access_key,
            secret_key=self.local.secret_key,
            endpoint_override=self.local.s3_endpoint.removeprefix("http://"),
            scheme="http",
            region="us-east-1",
        )

    def reset(self) -> None:
        """Drop the schemas the pipeline builds and empty the lake: a first run from nothing."""
        existing = {row[0] for row in self.rows("show schemas from iceberg")}
        for schema in MAINTAINED_SCHEMAS:
            if schema in existing:
                self.rows(f"drop schema iceberg.{schema} cascade")
        if "bronze" in {row[0] for row in self.rows("show schemas from hive")}:
            self.rows("drop schema hive.bronze cascade")
        self.s3().delete_dir_contents(self.local.bucket)


def note(line: str, variable: str = "TRINO_FIGURES") -> None:
    """Print a figure and append it to the file `variable` names (`make test-trino` shows it)."""
    print(line)
    if target := os.environ.get(variable):
        with Path(target).open("a") as handle:
            handle.write(line + "\n")


@pytest.fixture(scope="session")
def lakehouse() -> TrinoLakehouse:
    settings = Settings.from_env({**os.environ, "SME_PULSE_HOME": str(SERVERS_HOME)})
    local = trino_local.up(settings)
    note(
        f"trino-local ready in {local.seconds:.1f} s "
        f"(started: {', '.join(local.started) or 'none'}; "
        f"downloaded: {', '.join(local.downloaded) or 'nothing'})"
    )
    env = {**local.client_env(), "LANDING_URI": f"s3://{local.bucket}/landing"}
    return TrinoLakehouse(local=local, env=env, settings=settings)


@pytest.fixture(scope="session")
def airflow_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """SME_PULSE_HOME of the session's own, and the suite's Airflow home migrated.

    The Airflow home is the one tests/conftest.py set before Airflow was imported, so the
    run states the demo helpers read in this process come from the DAG runs' database.
    """
    home = tmp_path_factory.mktemp("trino-dag-runs")
    env = {**os.environ, "SME_PULSE_HOME": str(home / "sme"), "TASK_RETRIES": "0"}
    for command in (["db", "migrate"], ["pools", "set", "duckdb_writer", "1", "one writer"]):
        subprocess.run([str(AIRFLOW), *command], env=env, capture_output=True, check=True)
    yield env
