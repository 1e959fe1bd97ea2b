"""`sme_pulse_external_data_sync`: its shape, and a whole run on the replay data."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest
from airflow.models import DagBag
from airflow.sdk import CronTriggerTimetable

from .conftest import AirflowHome, run_state

DAG_ID = "sme_pulse_external_data_sync"
LAYERS = ("dbt_silver_external", "dbt_gold_external")


@pytest.fixture(scope="module")
def dag(dagbag: DagBag):
    return dagbag.dags[DAG_ID]


@pytest.mark.integration
def test_dag_folder_imports_cleanly(dagbag: DagBag) -> None:
    assert dagbag.import_errors == {}
    assert DAG_ID in dagbag.dags


@pytest.mark.integration
def test_schedule_and_run_policy(dag) -> None:
    assert isinstance(dag.timetable, CronTriggerTimetable)
    assert dag.timetable.expression == "0 0 1 * *"
    assert str(dag.timetable.timezone) == "UTC"
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert {"sme_pulse", "external"} <= set(dag.tags)
    assert dag.doc_md and "sme_pulse_external_data_sync" not in dag.doc_md.splitlines()[0]


@pytest.mark.integration
def test_every_task_retries_with_backoff(dag) -> None:
    for task in dag.tasks:
        assert task.retries >= 2, task.task_id
        assert task.retry_exponential_backoff, task.task_id
        assert task.max_retry_delay == timedelta(minutes=30), task.task_id


@pytest.mark.integration
def test_flow_and_task_groups(dag) -> None:
    ids = set(dag.task_ids)
    assert {
        "verify_external_sources", "check_data_freshness",
        "ingest_external_data.ingest_world_bank", "ingest_external_data.ingest_vn_provinces",
        "ingestion_complete", "register_bronze", "log_summary",
        "dbt_silver_external.stg_wb_indicators_model_build",
        "dbt_silver_external.vn_provinces_2025_seed_build",
        "dbt_gold_external.dim_macro_indicators_model_build",
        "dbt_gold_external.dim_location_model_build",
    } <= ids  # fmt: skip
    upstream = {t.task_id: t.upstream_task_ids for t in dag.tasks}
    assert upstream["check_data_freshness"] == {"verify_external_sources"}
    assert upstream["ingest_external_data.ingest_world_bank"] == {"check_data_freshness"}
    assert upstream["ingestion_complete"] == {
        "ingest_external_data.ingest_world_bank", "ingest_external_data.ingest_vn_provinces"
    }  # fmt: skip
    assert dag.get_task("ingestion_complete").trigger_rule == "none_failed"
    # Bronze is registered once per run, after ingestion and before any model.
    assert upstream["register_bronze"] == {"ingestion_complete"}
    # Silver starts after the registration, gold after silver (Cosmos wires group to group).
    for layer, before in zip(LAYERS, ("register_bronze", LAYERS[0]), strict=True):
        firsts = [
            t for t in ids
            if t.startswith(f"{layer}.") and not any(u.startswith(f"{layer}.") for u in upstream[t])
        ]  # fmt: skip
        assert firsts, layer
        assert all(u == before or u.startswith(f"{before}.") for f in firsts for u in upstream[f])
    assert upstream["log_summary"] and all(
        u.startswith("dbt_gold_external.") for u in upstream["log_summary"]
    )


@pytest.mark.integration
def test_warehouse_writers_share_one_slot(dag) -> None:
    for task in dag.tasks:
        if task.task_id.startswith("dbt_") or task.task_id == "log_summary":
            assert task.pool == "duckdb_writer", task.task_id


@pytest.mark.integration
def test_operators_read_docs_in_the_ui(dag) -> None:
    for task in dag.tasks:
        if not task.task_id.startswith("dbt_"):
            assert task.doc_md, task.task_id


def bronze_files(airflow_home: AirflowHome) -> dict[str, int]:
    return {
        str(p.relative_to(airflow_home.home)): p.stat().st_mtime_ns
        for p in airflow_home.home.rglob("*.parquet")
    }


@pytest.mark.integration
def test_whole_run_then_a_fresh_rerun(airflow_home: AirflowHome) -> None:
    first = airflow_home.dags_test(DAG_ID)
    log = first.stdout + first.stderr
    assert run_state(log, DAG_ID) == "success", log[-3000:]

    warehouse = airflow_home.home / "sme" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from gold.dim_macro_indicators").fetchone() == (10,)
        assert con.execute(
            "select count(*) from gold.dim_location where district_code is not null"
        ).fetchone() == (696,)
        gdp = con.execute(
            "select gdp_current_usd from gold.dim_macro_indicators where year = 2024"
        ).fetchone()
        assert gdp == (476388230307.175,)
    bronze = bronze_files(airflow_home)

    second = airflow_home.dags_test(DAG_ID)
    log = second.stdout + second.stderr
    assert run_state(log, DAG_ID) == "success", log[-3000:]
    assert log.count("skipped, bronze is fresh") >= 2
    assert bronze_files(airflow_home) == bronze
