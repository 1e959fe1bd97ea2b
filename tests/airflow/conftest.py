"""A real Airflow home (SQLite) for running whole DAGs with `airflow dags test`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from airflow.models import DagBag

REPO = Path(__file__).resolve().parents[2]
AIRFLOW = Path(sys.executable).with_name("airflow")
RUN_STATE = re.compile(r"DagRun Finished: dag_id=(\S+?),.*? state=(\w+),")


def run_state(log: str, dag_id: str) -> str | None:
    """The final state `airflow dags test` logged for the run of `dag_id` (task lines say
    `new_state=success` too, so a bare substring check would pass a failed run)."""
    states = [state for dag, state in RUN_STATE.findall(log) if dag == dag_id]
    return states[-1] if states else None


@pytest.fixture(scope="session")
def dagbag() -> DagBag:
    return DagBag(dag_folder=str(REPO / "airflow" / "dags"))


@dataclass
class AirflowHome:
    """One SME_PULSE_HOME + AIRFLOW_HOME shared by the DAG runs of a session."""

    env: dict[str, str]
    home: Path

    def dags_test(self, dag_id: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(AIRFLOW), "dags", "test", dag_id],
            env={**self.env, **extra_env}, capture_output=True, text=True, check=False,
            timeout=600,
        )  # fmt: skip
        (self.home / f"{dag_id}.log").write_text(result.stdout + result.stderr)
        return result


def make_airflow_home(home: Path) -> AirflowHome:
    """A migrated SQLite Airflow home and an SME_PULSE_HOME under `home`."""
    env = {
        **os.environ,
        "SME_PULSE_HOME": str(home / "sme"),
        "AIRFLOW_HOME": str(home / "airflow"),
        "TASK_RETRY_DELAY_SECONDS": "1",
        # A developer's .env must not send the suite's failures to real receivers.
        "ALERT_URLS": "",
    }
    for command in (["db", "migrate"], ["pools", "set", "duckdb_writer", "1", "one writer"]):
        subprocess.run([str(AIRFLOW), *command], env=env, capture_output=True, check=True)
    return AirflowHome(env=env, home=home)


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> AirflowHome:
    return make_airflow_home(tmp_path_factory.mktemp("dag-runs"))


DagsTest = Callable[..., subprocess.CompletedProcess[str]]
