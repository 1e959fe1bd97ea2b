"""Monthly sync of public context: World Bank indicators and the Vietnam admin hierarchy.

Wiring only; every task body lives in `sme_pulse.orchestration`.
"""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import chain, dag, get_current_context, task, task_group
from airflow.sdk.exceptions import AirflowSkipException
from sme_pulse.config import Settings
from sme_pulse.orchestration import docs
from sme_pulse.orchestration.assets import EXTERNAL_GOLD
from sme_pulse.orchestration.dbt_groups import dbt_layer, warehouse_pool
from sme_pulse.orchestration.defaults import dag_callbacks, default_args

SETTINGS = Settings.from_env()


@dag(
    dag_id="sme_pulse_external_data_sync",
    schedule="0 0 1 * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["sme_pulse", "external", "world_bank", "vn_provinces"],
    doc_md=docs.EXTERNAL_DAG,
    default_args=default_args(SETTINGS),
    **dag_callbacks(SETTINGS),
)
def sme_pulse_external_data_sync() -> None:
    @task(doc_md=docs.VERIFY_EXTERNAL)
    def verify_external_sources() -> list[dict[str, object]]:
        from sme_pulse.orchestration import external_sync

        return external_sync.verify_external_sources()

    @task(doc_md=docs.CHECK_FRESHNESS)
    def check_data_freshness() -> dict[str, dict[str, object]]:
        from sme_pulse.orchestration import external_sync

        return external_sync.check_data_freshness()

    @task_group(group_id="ingest_external_data", tooltip="World Bank and provinces, in parallel")
    def ingest_external_data(freshness: dict[str, dict[str, object]]) -> None:
        for source in ("world_bank", "vn_provinces"):

            @task(task_id=f"ingest_{source}", doc_md=docs.INGEST[source])
            def ingest(
                freshness: dict[str, dict[str, object]], source: str = source
            ) -> dict[str, int]:
                from sme_pulse.orchestration import external_sync

                reason = external_sync.skip_reason(source, freshness)
                if reason:
                    raise AirflowSkipException(reason)
                context = get_current_context()
                run_date = context.get("logical_date") or context["dag_run"].run_after
                return external_sync.ingest(source, context["run_id"], run_date)

            ingest(freshness)

    ingestion_complete = EmptyOperator(
        task_id="ingestion_complete", trigger_rule="none_failed", doc_md=docs.INGESTION_COMPLETE
    )

    @task(doc_md=docs.REGISTER_BRONZE, **warehouse_pool(SETTINGS))
    def register_bronze() -> str:
        from sme_pulse.orchestration.dbt_invoke import register_bronze as register

        return register(Settings.from_env())

    silver = dbt_layer(
        "dbt_silver_external", ["path:models/staging/external", "path:seeds"], SETTINGS
    )
    gold = dbt_layer("dbt_gold_external", ["path:models/marts/external"], SETTINGS)

    @task(doc_md=docs.SUMMARY, outlets=[EXTERNAL_GOLD], **warehouse_pool(SETTINGS))
    def log_summary() -> dict[str, object]:
        from sme_pulse.orchestration.summary import log_summary as summarise

        return summarise(("bronze/world_bank/", "bronze/vn_provinces/"))

    freshness = check_data_freshness()
    chain(verify_external_sources(), freshness)
    chain(
        ingest_external_data(freshness),
        ingestion_complete,
        register_bronze(),
        silver,
        gold,
        log_summary(),
    )


sme_pulse_external_data_sync()
