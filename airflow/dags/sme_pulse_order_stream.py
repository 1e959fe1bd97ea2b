"""Order events from Kafka into bronze, every five minutes.

Wiring only; the task bodies live in `sme_pulse.stream.dag_tasks`.

Mode: the stack drains the topic from this DAG (`sme-pulse stream consume --once` in a
task) rather than running the long-lived consumer (`sme-pulse stream consume`) as a
service. The models read bronze on the sales DAG's schedule, so landing events every
five minutes loses nothing a reader could see, and a drain that fails is retried and
alerted on like every other task (`orchestration.defaults`), with its counts in the
run's XCom. A service would land events within seconds but fail silently between
health checks. Both modes are safe together: they share one consumer group, so a
partition has one reader at a time (on one host the second consumer is fenced and
fails), and the offset-named parts make a batch read twice land once.

Tasks: `drain` consumes every partition to its end, writing one Parquet part per batch
and committing its offsets after the part is durable; `check_lag` then measures how far
bronze is behind the topic (messages, and minutes since the oldest waiting event was
published) and fails past STREAM_MAX_LAG_MINUTES.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import chain, dag, task
from sme_pulse.config import Settings
from sme_pulse.orchestration.defaults import dag_callbacks, default_args

SETTINGS = Settings.from_env()


@dag(
    dag_id="sme_pulse_order_stream",
    schedule="*/5 * * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    tags=["sme_pulse", "sales", "stream", "kafka"],
    doc_md=__doc__,
    default_args=default_args(SETTINGS),
    **dag_callbacks(SETTINGS),
)
def sme_pulse_order_stream() -> None:
    @task(doc_md="Consume the order-events topic to its end into bronze (offsets after parts).")
    def drain() -> dict[str, Any]:
        from sme_pulse.stream import dag_tasks

        return dag_tasks.drain()

    @task(doc_md="How far bronze is behind the topic; fails past STREAM_MAX_LAG_MINUTES.")
    def check_lag() -> dict[str, Any]:
        from sme_pulse.stream import dag_tasks

        return dag_tasks.check_lag()

    chain(drain(), check_lag())


sme_pulse_order_stream()
