"""Daily upkeep of the Airflow metadata database: old runs, task instances, XComs, logs.

Wiring only; the task body lives in `sme_pulse.orchestration.housekeeping`.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import dag, task
from sme_pulse.config import Settings
from sme_pulse.orchestration import docs
from sme_pulse.orchestration.defaults import dag_callbacks, default_args

SETTINGS = Settings.from_env()


@dag(
    dag_id="sme_pulse_housekeeping",
    # 04:30 in Vietnam: after the nightly sales run and Sunday's Iceberg upkeep.
    schedule="30 4 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    tags=["sme_pulse", "maintenance", "airflow"],
    doc_md=docs.HOUSEKEEPING_DAG,
    default_args=default_args(SETTINGS),
    **dag_callbacks(SETTINGS),
)
def sme_pulse_housekeeping() -> None:
    @task(doc_md=docs.CLEAN_AIRFLOW_DB)
    def clean_airflow_db() -> dict[str, Any]:
        from sme_pulse.orchestration import housekeeping

        return housekeeping.clean_metadata(Settings.from_env())

    clean_airflow_db()


sme_pulse_housekeeping()
