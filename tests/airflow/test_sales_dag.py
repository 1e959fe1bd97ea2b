"""`sme_pulse_sales_sync`: its shape, its gate on the external data, and a whole run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest
from airflow.models import DagBag
from airflow.sdk import AssetOrTimeSchedule
from sme_pulse.feeds.generator import GeneratorConfig, generate
from sme_pulse.feeds.simulator import start_server
from sme_pulse.orchestration.assets import EXTERNAL_GOLD
from sme_pulse.orchestration.defaults import RetryTransientOnly

from .conftest import AirflowHome, run_state

pytestmark = pytest.mark.integration

DAG_ID = "sme_pulse_sales_sync"
EXTERNAL_DAG_ID = "sme_pulse_external_data_sync"
GROUPS = ("dbt_silver_sales", "dbt_intermediate_sales", "dbt_gold_sales")


@pytest.fixture(scope="module")
def dag(dagbag: DagBag):
    return dagbag.dags[DAG_ID]


def test_dag_folder_imports_cleanly(dagbag: DagBag) -> None:
    assert dagbag.import_errors == {}
    assert DAG_ID in dagbag.dags


def test_runs_daily_or_when_the_external_gold_is_refreshed(dag) -> None:
    timetable = dag.timetable
    assert isinstance(timetable, AssetOrTimeSchedule)
    assert timetable.timetable.expression == "0 2 * * *"
    assert str(timetable.timetable.timezone) == "Asia/Ho_Chi_Minh"
    assert EXTERNAL_GOLD.uri in str(timetable.asset_condition)
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert {"sme_pulse", "sales", "crm"} <= set(dag.tags)
    assert "run sme_pulse_external_data_sync first" in dag.doc_md
    assert "AssetOrTimeSchedule" in dag.doc_md


def test_every_task_retries_transient_failures_with_backoff(dag) -> None:
    for task in dag.tasks:
        assert task.retries >= 2, task.task_id
        assert task.retry_exponential_backoff, task.task_id
        assert task.max_retry_delay == timedelta(minutes=30), task.task_id
        assert isinstance(task.retry_policy, RetryTransientOnly), task.task_id


def test_flow_and_task_groups(dag) -> None:
    ids = set(dag.task_ids)
    assert {
        "preflight", "check_freshness", "ingest_sales_data.ingest_sales",
        "ingest_sales_data.ingest_customers", "ingestion_complete", "register_bronze",
        "bronze_freshness", "dbt_silver_sales.stg_sales_order_lines_model_build",
        "dbt_silver_sales.stg_customers_model_build",
        "dbt_silver_sales.snp_customers_snapshot_build",
        "dbt_silver_sales.province_crosswalk_2025_seed_build",
        "dbt_intermediate_sales.int_customers_unified_model_build",
        "dbt_intermediate_sales.int_location_crosswalk_model_build",
        "dbt_gold_sales.fct_sales_model_build", "dbt_gold_sales.mart_sales_vs_macro_model_build",
        "dbt_gold_sales.fct_customer_cohorts_model_build", "log_summary",
    } <= ids  # fmt: skip
    upstream = {t.task_id: t.upstream_task_ids for t in dag.tasks}
    assert upstream["check_freshness"] == {"preflight"}
    assert upstream["ingest_sales_data.ingest_sales"] == {"check_freshness"}
    assert upstream["ingest_sales_data.ingest_customers"] == {"check_freshness"}
    assert upstream["ingestion_complete"] == {
        "ingest_sales_data.ingest_sales", "ingest_sales_data.ingest_customers"
    }  # fmt: skip
    assert dag.get_task("ingestion_complete").trigger_rule == "none_failed"
    # Bronze is registered once per run, before its freshness is read and any model runs.
    assert upstream["register_bronze"] == {"ingestion_complete"}
    assert upstream["bronze_freshness"] == {"register_bronze"}
    # Each dbt layer starts only after the one before it (Cosmos wires group to group).
    for earlier, later in zip(("bronze_freshness", *GROUPS), GROUPS, strict=False):
        firsts = [
            t
            for t in ids
            if t.startswith(f"{later}.") and not any(u.startswith(f"{later}.") for u in upstream[t])
        ]
        assert firsts, later
        for first in firsts:
            assert all(u == earlier or u.startswith(f"{earlier}.") for u in upstream[first])
    assert upstream["log_summary"] and all(
        u.startswith("dbt_gold_sales.") or u == "bronze_freshness" for u in upstream["log_summary"]
    )


def test_warehouse_users_share_one_slot(dag) -> None:
    writers = {"preflight", "register_bronze", "bronze_freshness", "log_summary"}
    for task in dag.tasks:
        if task.task_id.startswith("dbt_") or task.task_id in writers:
            assert task.pool == "duckdb_writer", task.task_id
        else:
            assert task.pool != "duckdb_writer", task.task_id


def test_operators_read_docs_in_the_ui(dag) -> None:
    for task in dag.tasks:
        if not task.task_id.startswith("dbt_"):
            assert task.doc_md, task.task_id


@pytest.fixture
def feeds(airflow_home: AirflowHome) -> Iterator[str]:
    """A small generated shop in the session's SME_PULSE_HOME and its CRM API simulator."""
    out = airflow_home.home / "feeds"
    summary = generate(out, GeneratorConfig(customers=120, seed=5))
    landing = Path(airflow_home.env["SME_PULSE_HOME"]) / "landing"
    landing.mkdir(parents=True, exist_ok=True)
    for path in (out / "landing").iterdir():
        path.replace(landing / path.name)
    assert summary.expected_quarantined > 0
    server, url = start_server(out / "crm")
    yield url
    server.stop()


def test_refuses_to_run_before_the_external_data(
    airflow_home: AirflowHome, feeds: str, tmp_path: Path
) -> None:
    empty_home = tmp_path / "no-external"
    (empty_home / "landing").mkdir(parents=True)
    result = airflow_home.dags_test(
        DAG_ID, SME_PULSE_HOME=str(empty_home), CUSTOMER_API_URL=feeds, TASK_RETRIES="0"
    )
    log = result.stdout + result.stderr
    assert run_state(log, DAG_ID) == "failed"
    assert "run sme_pulse_external_data_sync first" in log
    assert "no sales exports in" in log


def bronze_lines(home: Path, held_back: list[str]) -> tuple[int, int]:
    """(distinct order lines, completed revenue) straight from committed bronze Parquet,
    leaving out the orders the partial-order policy holds back."""
    lines = ds.dataset(
        home / "lake/bronze/sales/order_lines", format="parquet", partitioning="hive"
    ).to_table(columns=["order_id", "line_no", "status", "line_total_vnd"])
    lines = lines.filter(pc.invert(pc.is_in(lines["order_id"], pa.array(held_back, pa.string()))))
    unique = lines.group_by(["order_id", "line_no"]).aggregate(
        [("status", "max"), ("line_total_vnd", "max")]
    )
    completed = unique.filter(pc.equal(unique["status_max"], "completed"))
    return unique.num_rows, pc.sum(completed["line_total_vnd_max"]).as_py()


def test_whole_run_after_the_external_dag(airflow_home: AirflowHome, feeds: str) -> None:
    external = airflow_home.dags_test(EXTERNAL_DAG_ID)
    log = external.stdout + external.stderr
    assert run_state(log, EXTERNAL_DAG_ID) == "success", log[-3000:]

    result = airflow_home.dags_test(DAG_ID, CUSTOMER_API_URL=feeds)
    log = result.stdout + result.stderr
    assert run_state(log, DAG_ID) == "success", log[-5000:]
    assert "orphan orders (customer_id_not_in_crm)" in log

    home = Path(airflow_home.env["SME_PULSE_HOME"])
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:

        def one(sql: str) -> tuple:
            return con.execute(sql).fetchone()

        held_back = [
            order_id
            for (order_id,) in con.execute(
                "select order_id from silver.int_sales_held_back_orders"
            ).fetchall()
        ]
        lines, revenue = bronze_lines(home, held_back)
        repaired, repaired_revenue = one(
            "select count(*), coalesce(sum(case when status = 'completed' "
            "then line_total_vnd else 0 end), 0) "
            "from silver.int_sales_lines_counted where line_repair is not null"
        )
        lines, revenue = lines + repaired, revenue + repaired_revenue
        assert one("select count(*), sum(net_revenue_vnd) from gold.fct_sales") == (lines, revenue)
        assert one("select sum(net_revenue_vnd) from gold.fct_sales_monthly_by_province") == (
            revenue,
        )
        assert one(
            "select count(distinct province_code) <= 35, bool_and(province_code in "
            "(select province_code from silver.vn_provinces_2025) or province_code = 'unknown') "
            "from gold.fct_sales_monthly_by_province"
        ) == (True, True)
        years = one(
            "select count(*), count(net_revenue_real_growth_pct) from gold.mart_sales_vs_macro "
            "where geo_level = 'country'"
        )
        assert years == (3, 1)  # 2023-2025; only 2024 has last year's sales and its CPI
        assert one("select count(*) > 0 from gold.fct_customer_cohorts") == (True,)
        assert one("select count(*) from snapshots.snp_customers") == one(
            "select count(*) from silver.stg_customers"
        )
