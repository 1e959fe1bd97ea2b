"""Each `DBT_EXECUTION` renders a layer with a task per model, gated by the model's tests,
and documented with the model's YAML description."""

from __future__ import annotations

from pathlib import Path

import pendulum
import pytest
import yaml
from airflow.models import DagBag
from airflow.sdk import DAG
from cosmos.constants import PRODUCER_WATCHER_TASK_ID
from sme_pulse.config import Settings
from sme_pulse.orchestration.dbt_groups import DUCKDB_POOL, dbt_layer

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]

MODELS = {"stg_wb_indicators", "stg_vietnam_locations"}
SEEDS = {"vn_provinces_2025", "province_crosswalk_2025"}


def layer(mode: str) -> DAG:
    settings = Settings.from_env({"DBT_EXECUTION": mode})
    with DAG(f"layer_{mode}", start_date=pendulum.datetime(2025, 1, 1), schedule=None) as dag:
        dbt_layer("silver", ["path:models/staging/external", "path:seeds"], settings)
    return dag


def test_build_runs_each_model_and_its_tests_in_one_task() -> None:
    dag = layer("build")
    assert {t.split(".", 1)[1] for t in dag.task_ids} == (
        {f"{m}_model_build" for m in MODELS} | {f"{s}_seed_build" for s in SEEDS}
    )
    for task in dag.tasks:
        assert task.base_cmd == ["build"], task.task_id
        assert task.pool == DUCKDB_POOL, task.task_id


def test_local_runs_then_tests_each_model() -> None:
    dag = layer("local")
    ids = {t.split(".", 1)[1] for t in dag.task_ids}
    assert {f"{m}.run" for m in MODELS} | {f"{m}.test" for m in MODELS} <= ids
    for model in MODELS:
        assert dag.get_task(f"silver.{model}.test").upstream_task_ids == {f"silver.{model}.run"}


def test_watcher_builds_the_layer_once_before_every_model_task() -> None:
    dag = layer("watcher")
    producer = dag.get_task(f"silver.{PRODUCER_WATCHER_TASK_ID}")
    others = set(dag.task_ids) - {producer.task_id}
    assert {f"silver.{m}.run" for m in MODELS} <= others
    assert others <= producer.get_flat_relative_ids(upstream=False)
    # Only the `dbt build` opens the warehouse; it is not retried and picks the tests whose
    # parents are all built by then, as the model tasks' tests do.
    assert producer.pool == DUCKDB_POOL and producer.retries == 0
    assert producer.indirect_selection == "buildable"
    assert all(dag.get_task(t).pool != DUCKDB_POOL for t in others)


def test_each_dbt_task_shows_its_models_yaml_description(dagbag: DagBag) -> None:
    yml = REPO / "dbt" / "models" / "staging" / "sales" / "_sales__models.yml"
    models = {m["name"]: m for m in yaml.safe_load(yml.read_text())["models"]}
    dag = dagbag.dags["sme_pulse_sales_sync"]
    task = dag.get_task("dbt_silver_sales.stg_sales_order_lines_model_build")
    description = " ".join(models["stg_sales_order_lines"]["description"].split())
    assert description in " ".join((task.doc_md or "").split())
    assert "`order_line_key`: Hash of order_id and line_no." in task.doc_md
