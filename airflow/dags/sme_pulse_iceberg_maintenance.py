"""Weekly upkeep of the Iceberg tables on Trino: compaction, snapshot expiry, statistics.

Wiring only; every task body lives in `sme_pulse.orchestration.iceberg_maintenance`.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import dag, task
from airflow.sdk.exceptions import AirflowSkipException
from sme_pulse.config import Settings
from sme_pulse.orchestration import docs
from sme_pulse.orchestration.defaults import dag_callbacks, default_args

SETTINGS = Settings.from_env()


@dag(
    dag_id="sme_pulse_iceberg_maintenance",
    # Sunday 03:00 in Vietnam: after the nightly sales run, before the working week.
    schedule="0 3 * * 0",
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    tags=["sme_pulse", "maintenance", "iceberg", "trino"],
    doc_md=docs.ICEBERG_MAINTENANCE_DAG,
    default_args=default_args(SETTINGS),
    **dag_callbacks(SETTINGS),
)
def sme_pulse_iceberg_maintenance() -> None:
    @task(doc_md=docs.ICEBERG_TABLES)
    def iceberg_tables() -> list[str]:
        from sme_pulse.orchestration import iceberg_maintenance

        tables = iceberg_maintenance.iceberg_tables(Settings.from_env())
        if not tables:
            raise AirflowSkipException("no Iceberg table: the warehouse is not Trino, or empty")
        return tables

    @task(doc_md=docs.ICEBERG_MAINTAIN, map_index_template="{{ table }}")
    def maintain(table: str) -> dict[str, Any]:
        from sme_pulse.orchestration import iceberg_maintenance

        return iceberg_maintenance.maintain(Settings.from_env(), table)

    maintain.expand(table=iceberg_tables())


sme_pulse_iceberg_maintenance()
