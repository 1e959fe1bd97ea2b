"""`sme_pulse_housekeeping`: a real run cleans a real SQLite Airflow database."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from airflow.models import DagBag

from .conftest import AirflowHome, make_airflow_home, run_state

pytestmark = pytest.mark.integration

DAG_ID = "sme_pulse_housekeeping"
EVENT = "housekeeping_probe"


def test_runs_daily_with_docs(dagbag: DagBag) -> None:
    dag = dagbag.dags[DAG_ID]
    assert dag.timetable.expression == "30 4 * * *"
    assert dag.catchup is False
    assert dag.doc_md and all(task.doc_md for task in dag.tasks)
    assert dag.task_ids == ["clean_airflow_db"]


def probe_rows(home: AirflowHome) -> dict[str, int]:
    with sqlite3.connect(home.home / "airflow" / "airflow.db") as db:
        rows = db.execute("select extra, count(*) from log where event = ? group by 1", (EVENT,))
        return dict(rows.fetchall())


def test_a_run_deletes_rows_past_the_retention_and_keeps_the_rest(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    home = make_airflow_home(tmp_path_factory.mktemp("housekeeping"))
    now = datetime.now(UTC).replace(tzinfo=None)
    ages = {"old": timedelta(days=40), "recent": timedelta(days=5)}
    with sqlite3.connect(home.home / "airflow" / "airflow.db") as db:
        for label, age in ages.items():
            db.executemany(
                "insert into log (dttm, event, extra) values (?, ?, ?)",
                [(str(now - age), EVENT, label)] * 3,
            )
    assert probe_rows(home) == {"old": 3, "recent": 3}

    result = home.dags_test(DAG_ID, AIRFLOW_DB_RETENTION_DAYS="30")
    log = result.stdout + result.stderr
    assert run_state(log, DAG_ID) == "success", log[-3000:]
    assert probe_rows(home) == {"recent": 3}, log[-3000:]
