"""`sme_pulse_order_stream`: a real `airflow dags test` run drains the real broker."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import pytest
from airflow.models import DagBag
from sme_pulse.config import Settings
from sme_pulse.feeds.generator import GeneratorConfig
from sme_pulse.storage import Lake
from sme_pulse.stream import lag
from sme_pulse.stream.layout import ORDER_EVENTS_PREFIX, QUARANTINE_PREFIX
from sme_pulse.stream.producer import Faults, publish, shop_orders
from sme_pulse.stream.topics import ORDER_EVENTS_TOPIC

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
AIRFLOW = Path(sys.executable).with_name("airflow")
DAG_ID = "sme_pulse_order_stream"


def test_drains_every_five_minutes_with_docs() -> None:
    dag = DagBag(dag_folder=str(REPO / "airflow" / "dags" / f"{DAG_ID}.py")).dags[DAG_ID]
    assert dag.timetable.expression == "*/5 * * * *"
    assert dag.catchup is False and dag.max_active_runs == 1
    assert dag.doc_md and all(task.doc_md for task in dag.tasks)
    assert sorted(dag.task_ids) == ["check_lag", "drain"]
    assert dag.get_task("check_lag").upstream_task_ids == {"drain"}


def test_a_run_lands_the_topic_and_leaves_no_lag(kafka_broker: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SME_PULSE_HOME": str(tmp_path / "sme"),
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_broker,
        "STREAM_GROUP_ID": f"dag-{uuid.uuid4().hex[:8]}",
        "TASK_RETRY_DELAY_SECONDS": "1",
        "ALERT_URLS": "",
    }
    settings = Settings.from_env(env)
    shop = GeneratorConfig(customers=10, start=date(2025, 11, 1), end=date(2025, 11, 10))
    publish(kafka_broker, ORDER_EVENTS_TOPIC, list(shop_orders(shop)), faults=Faults(poison=1))
    before = lag.measure(settings, ORDER_EVENTS_TOPIC)
    assert before.messages > 0 and before.minutes >= 0

    subprocess.run([str(AIRFLOW), "db", "migrate"], env=env, capture_output=True, check=True)
    result = subprocess.run(
        [str(AIRFLOW), "dags", "test", DAG_ID],
        env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    log = result.stdout + result.stderr
    assert f"dag_id={DAG_ID}" in log and "state=success" in log.split("DagRun Finished")[-1], log[
        -4000:
    ]

    after = lag.measure(settings, ORDER_EVENTS_TOPIC)
    assert (after.messages, after.minutes) == (0, 0.0)
    lake = Lake.from_settings(settings)
    loaded = sum(
        len(set(lake.read_parquet(o.key)["kafka_offset"].to_pylist()))
        for o in lake.list(ORDER_EVENTS_PREFIX)
    )
    quarantined = sum(lake.parquet_row_count(o.key) for o in lake.list(QUARANTINE_PREFIX))
    assert loaded + quarantined == before.messages
    assert quarantined >= 1
