"""Daily sync of the shop's sales exports and CRM customers, modelled to gold.

Wiring only; every task body lives in `sme_pulse.orchestration.sales_sync`.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import (
    AssetOrTimeSchedule,
    CronTriggerTimetable,
    chain,
    dag,
    get_current_context,
    task,
    task_group,
)
from airflow.sdk.exceptions import AirflowFailException
from sme_pulse.config import Settings
from sme_pulse.orchestration import docs
from sme_pulse.orchestration.assets import EXTERNAL_GOLD
from sme_pulse.orchestration.dbt_groups import dbt_layer, warehouse_pool
from sme_pulse.orchestration.defaults import dag_callbacks, default_args

SETTINGS = Settings.from_env()
DAG_ID = "sme_pulse_sales_sync"
TIMEZONE = "Asia/Ho_Chi_Minh"


def _run_id_and_date() -> tuple[str, Any]:
    """The run id and the date that names this run's bronze partitions."""
    context = get_current_context()
    return context["run_id"], context.get("logical_date") or context["dag_run"].run_after


@dag(
    dag_id=DAG_ID,
    # 02:00 in Vietnam, after the shop's nightly exports, and again whenever the external
    # gold the models join to is refreshed: see docs.SALES_DAG for why both.
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 2 * * *", timezone=TIMEZONE),
        assets=[EXTERNAL_GOLD],
    ),
    start_date=pendulum.datetime(2025, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    tags=["sme_pulse", "sales", "crm", "customers"],
    doc_md=docs.SALES_DAG,
    default_args=default_args(SETTINGS),
    **dag_callbacks(SETTINGS),
)
def sme_pulse_sales_sync() -> None:
    @task(doc_md=docs.SALES_PREFLIGHT, **warehouse_pool(SETTINGS))
    def preflight() -> list[dict[str, object]]:
        from sme_pulse.orchestration import sales_sync

        return sales_sync.preflight()

    @task(doc_md=docs.SALES_FRESHNESS)
    def check_freshness() -> dict[str, dict[str, Any]]:
        from sme_pulse.orchestration import sales_sync

        return sales_sync.check_freshness()

    @task_group(group_id="ingest_sales_data", tooltip="Sales files and CRM customers, in parallel")
    def ingest_sales_data() -> None:
        @task(doc_md=docs.SALES_INGEST["sales"])
        def ingest_sales() -> dict[str, Any]:
            from sme_pulse.orchestration import sales_sync

            return sales_sync.ingest_sales(*_run_id_and_date())

        @task(doc_md=docs.SALES_INGEST["customers"])
        def ingest_customers() -> dict[str, Any]:
            from sme_pulse.orchestration import sales_sync

            return sales_sync.ingest_customers(*_run_id_and_date())

        ingest_sales()
        ingest_customers()

    ingestion_complete = EmptyOperator(
        task_id="ingestion_complete",
        trigger_rule="none_failed",
        doc_md=docs.SALES_INGESTION_COMPLETE,
    )

    @task(doc_md=docs.SALES_BRONZE_FRESHNESS, **warehouse_pool(SETTINGS))
    def bronze_freshness() -> dict[str, dict[str, Any]]:
        from sme_pulse.checks.freshness import StaleBronzeError
        from sme_pulse.orchestration import sales_sync

        try:
            report = sales_sync.bronze_freshness()
        except StaleBronzeError as exc:
            # Retrying cannot make old data new: fail now, with the reason.
            raise AirflowFailException(str(exc)) from exc
        settings = Settings.from_env()
        if settings.alerts.enabled:
            from sme_pulse.orchestration.alerts import FreshnessAlert

            FreshnessAlert(settings.alerts.urls, report)(get_current_context())
        return report

    @task(doc_md=docs.REGISTER_BRONZE, **warehouse_pool(SETTINGS))
    def register_bronze() -> str:
        from sme_pulse.orchestration.dbt_invoke import register_bronze as register

        return register(Settings.from_env())

    silver = dbt_layer(
        "dbt_silver_sales",
        [
            "path:models/staging/sales",
            "path:models/staging/crm",
            "path:models/staging/stream",
            "path:seeds",
            "path:snapshots",
        ],
        SETTINGS,
    )
    intermediate = dbt_layer("dbt_intermediate_sales", ["path:models/intermediate"], SETTINGS)
    # Data health (freshness, quarantine counts, row accounting) is rebuilt after every load.
    gold = dbt_layer(
        "dbt_gold_sales", ["path:models/marts/sales", "path:models/marts/data_health"], SETTINGS
    )

    @task(doc_md=docs.SALES_SUMMARY, **warehouse_pool(SETTINGS))
    def log_summary(freshness: dict[str, dict[str, Any]]) -> dict[str, Any]:
        from sme_pulse.orchestration import sales_sync

        context = get_current_context()
        ti = context["ti"]
        reports = {
            source: ti.xcom_pull(task_ids=f"ingest_sales_data.{task_id}")
            for source, task_id in (("sales", "ingest_sales"), ("crm", "ingest_customers"))
        }
        states = ti.get_task_states(dag_id=DAG_ID, run_ids=[context["run_id"]])
        return sales_sync.summarise(reports, freshness, states.get(context["run_id"], {}))

    freshness = bronze_freshness()
    chain(
        preflight(),
        check_freshness(),
        ingest_sales_data(),
        ingestion_complete,
        register_bronze(),
        freshness,
    )
    chain(freshness, silver, intermediate, gold, log_summary(freshness))


sme_pulse_sales_sync()
