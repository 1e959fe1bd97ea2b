"""Order events from producer to bronze on this machine: throughput and end-to-end lag.

A real broker (kafka-local started in a temporary home, or `--bootstrap`) gets a topic of
its own. Two runs, each with the long-running consumer (`consume(once=False)`) landing
into a temporary lake while the producer publishes a generated shop (the clock starts
once the consumer has joined its group):

* **sustained**: the producer publishes as fast as it can; the figure is messages per
  second from the first message published to the last one committed in bronze;
* **paced**: the producer publishes `--rate` messages per second; the lag of each event
  is the time from its publication (the Kafka timestamp) to its part becoming durable in
  the lake (the object's modification time), reported as p50 and p95.

Figures are printed, and written to docs/benchmarks.md unless `--no-docs`; nothing is
asserted (exactly once is proven by tests/stream/test_consumer.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from confluent_kafka import Consumer, TopicPartition
from doc_sections import write_section
from sme_pulse.config import Settings
from sme_pulse.feeds.generator import GeneratorConfig
from sme_pulse.servers import kafka_local
from sme_pulse.servers.process import free_port
from sme_pulse.storage import Lake
from sme_pulse.stream.consumer import OrderEventConsumer
from sme_pulse.stream.layout import ORDER_EVENTS_PREFIX
from sme_pulse.stream.producer import publish, shop_orders
from sme_pulse.stream.topics import Topic, ensure_topics

PARTITIONS = 3


@dataclass
class Run:
    messages: int
    seconds: float
    lags_s: list[float]
    parts: int

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds

    def percentile(self, q: int) -> float:
        return statistics.quantiles(self.lags_s, n=100)[q - 1] if len(self.lags_s) > 1 else 0.0


def _log_end(bootstrap: str, topic: str) -> int:
    client = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex}"})
    try:
        return sum(
            client.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(PARTITIONS)
        )
    finally:
        client.close()


def _lags(lake: Lake, topic: str) -> tuple[list[float], int]:
    """Seconds from publication to the part's write, per message; and the part count."""
    lags, parts = [], 0
    for info in lake.list(ORDER_EVENTS_PREFIX):
        if topic not in info.key:
            continue
        parts += 1
        durable = info.modified.timestamp()
        columns = ["kafka_partition", "kafka_offset", "kafka_ts_utc"]
        rows = pq.read_table(lake.path(info.key), columns=columns).to_pylist()
        published = {(r["kafka_partition"], r["kafka_offset"]): r["kafka_ts_utc"] for r in rows}
        lags += [durable - ts.timestamp() for ts in published.values()]
    return lags, parts


def run_once(bootstrap: str, home: Path, orders: list[dict[str, Any]], rate: float) -> Run:
    topic = f"bench.order_events.{uuid.uuid4().hex[:8]}"
    ensure_topics(bootstrap, [Topic(topic, PARTITIONS)])
    settings = Settings.from_env(
        {
            "SME_PULSE_HOME": str(home / topic),
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "STREAM_GROUP_ID": f"bench-{uuid.uuid4().hex[:8]}",
            "STREAM_BATCH_SECONDS": "1",
        }
    )
    stop = threading.Event()
    member = OrderEventConsumer(settings, topic)
    consumer = threading.Thread(target=member.run, kwargs={"once": False, "stop": stop})
    consumer.start()
    while not member.assigned:  # the group's first rebalance is not the stream's cost
        time.sleep(0.05)
    started = time.monotonic()
    report = publish(bootstrap, topic, orders, rate=rate)
    probe = Consumer({"bootstrap.servers": bootstrap, "group.id": settings.stream.group_id})
    try:
        total = _log_end(bootstrap, topic)
        while True:
            committed = probe.committed(
                [TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10
            )
            if sum(max(tp.offset, 0) for tp in committed) >= total:
                break
            time.sleep(0.05)
    finally:
        probe.close()
    seconds = time.monotonic() - started
    stop.set()
    consumer.join(60)
    lags, parts = _lags(Lake.from_settings(settings), topic)
    return Run(report.messages, seconds, lags, parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", help="A running broker; default: start kafka-local.")
    parser.add_argument("--customers", type=int, default=2000, help="Shop size (events ~ x7).")
    parser.add_argument("--rate", type=float, default=1000.0, help="Paced run, messages/s.")
    parser.add_argument("--paced-seconds", type=float, default=20.0)
    parser.add_argument("--no-docs", action="store_true", help="Print only.")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    broker_settings = None
    bootstrap = args.bootstrap
    if not bootstrap:
        broker_settings = Settings.from_env(
            {
                **os.environ,
                "SME_PULSE_HOME": str(home / "kafka"),
                "KAFKA_LOCAL_PORT": str(free_port()),
            }
        )
        bootstrap = kafka_local.up(broker_settings).bootstrap
    try:
        shop = GeneratorConfig(
            customers=args.customers, start=date(2025, 1, 1), end=date(2025, 12, 31)
        )
        orders = list(shop_orders(shop))
        sustained = run_once(bootstrap, home, orders, rate=0)
        paced_orders = orders[: max(1, int(args.rate * args.paced_seconds / 2.3))]
        paced = run_once(bootstrap, home, paced_orders, rate=args.rate)
    finally:
        if broker_settings is not None:
            kafka_local.down(broker_settings)
    rows = [
        "| run | messages | seconds | messages/s | parts | lag p50 | lag p95 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, run in (("sustained (no limit)", sustained), (f"paced ({args.rate:g}/s)", paced)):
        rows.append(
            f"| {name} | {run.messages} | {run.seconds:.1f} | {run.per_second:,.0f} | "
            f"{run.parts} | {run.percentile(50):.2f} s | {run.percentile(95):.2f} s |"
        )
    markdown = "\n".join(
        [
            "## Order events: producer to bronze",
            "",
            f"{platform.machine()}, {os.cpu_count()} cores; one kafka-local broker, "
            f"{PARTITIONS} partitions; the long-running consumer with STREAM_BATCH_SECONDS=1 "
            "and a local lake. Lag: Kafka publish time to the part's write in the lake.",
            "",
            *rows,
        ]
    )
    print(markdown)
    if not args.no_docs:
        write_section("stream", markdown)


if __name__ == "__main__":
    main()
