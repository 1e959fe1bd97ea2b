"""Exactly once on the real broker: a consumer SIGKILLed between writing a part and
committing it, restarted, leaves every message in bronze or quarantine exactly once.

The consumer runs as a real `sme-pulse stream consume` subprocess. The first run is made
to pause after a part is durable and before its offsets are committed (the hidden
`--pause-before-commit`), and is killed there; a second test kills it at random moments.
Each test publishes a generated shop with duplicates, out-of-order and late events and
poison messages to a topic of its own, so tests never read each other's messages.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from confluent_kafka import Consumer, TopicPartition
from sme_pulse.config import Settings
from sme_pulse.feeds.generator import GeneratorConfig
from sme_pulse.storage import Lake
from sme_pulse.stream.cli import PAUSED_LINE
from sme_pulse.stream.consumer import BronzeWriter, consume
from sme_pulse.stream.contract import Message
from sme_pulse.stream.layout import ORDER_EVENTS_PREFIX, QUARANTINE_PREFIX, parse_part
from sme_pulse.stream.producer import Faults, PublishReport, plan, publish, shop_orders
from sme_pulse.stream.topics import Topic, ensure_topics

pytestmark = pytest.mark.integration

CLI = Path(sys.executable).with_name("sme-pulse")
PARTITIONS = 3
SHOP = GeneratorConfig(
    customers=40, orders_per_customer=3, start=date(2025, 11, 1), end=date(2025, 11, 30)
)
FAULTS = Faults(duplicate_share=0.1, out_of_order_share=0.2, late_share=0.1, poison=4)


@dataclass
class Stream:
    """A topic of the test's own, what was published to it, and the consumer's settings."""

    topic: str
    env: dict[str, str]
    settings: Settings
    published: PublishReport
    per_event: Counter[str]
    """Messages published per event id (2 for an event the producer duplicated)."""

    @property
    def lake(self) -> Lake:
        return Lake.from_settings(self.settings)

    def consumer(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(CLI), "stream", "consume", "--topic", self.topic, *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def drain(self) -> str:
        process = self.consumer("--once")
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-3000:]
        return out

    def log_end(self) -> dict[int, int]:
        """The next offset of each partition: every message ever published is below it."""
        client = Consumer({"bootstrap.servers": self.settings.stream.bootstrap_servers,
                           "group.id": f"probe-{uuid.uuid4().hex[:6]}"})  # fmt: skip
        try:
            return {
                p: client.get_watermark_offsets(TopicPartition(self.topic, p), timeout=10)[1]
                for p in range(PARTITIONS)
            }
        finally:
            client.close()

    def committed(self) -> dict[int, int]:
        client = Consumer({"bootstrap.servers": self.settings.stream.bootstrap_servers,
                           "group.id": self.settings.stream.group_id})  # fmt: skip
        try:
            offsets = client.committed(
                [TopicPartition(self.topic, p) for p in range(PARTITIONS)], timeout=10
            )
            return {tp.partition: tp.offset for tp in offsets}
        finally:
            client.close()

    def read(self, prefix: str) -> pa.Table:
        keys = sorted(o.key for o in self.lake.list(prefix) if self.topic in o.key)
        tables = [self.lake.read_parquet(key) for key in keys]
        return pa.concat_tables(tables) if tables else pa.table({})


def _stream(kafka_broker: str, tmp_path: Path, seed: int, batch_size: int) -> Stream:
    topic = f"test.order_events.{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_broker, [Topic(topic, PARTITIONS)])
    env = {
        **os.environ,
        "SME_PULSE_HOME": str(tmp_path / "home"),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_broker,
        "STREAM_GROUP_ID": f"bronze-{uuid.uuid4().hex[:8]}",
        "STREAM_BATCH_SIZE": str(batch_size),
    }
    settings = Settings.from_env(env)
    orders = list(shop_orders(GeneratorConfig(**{**vars(SHOP), "seed": seed})))
    report = publish(kafka_broker, topic, orders, faults=FAULTS, seed=seed)
    per_event = Counter(m.event_id for m in plan(orders, FAULTS, seed).messages if m.event_id)
    return Stream(topic, env, settings, report, per_event)


@pytest.fixture
def stream(kafka_broker: str, tmp_path: Path) -> Iterator[Stream]:
    yield _stream(kafka_broker, tmp_path, seed=11, batch_size=25)


def assert_exactly_once(stream: Stream) -> None:
    """Every published message is in bronze or quarantine, once; every event is there."""
    bronze = stream.read(ORDER_EVENTS_PREFIX)
    quarantine = stream.read(QUARANTINE_PREFIX)
    loaded = set(
        zip(
            bronze["kafka_partition"].to_pylist(),
            bronze["kafka_offset"].to_pylist(),
            bronze["event_id"].to_pylist(),
            strict=True,
        )
    )
    lines = Counter(
        zip(bronze["kafka_offset"].to_pylist(), bronze["kafka_partition"].to_pylist(),
            bronze["line_no"].to_pylist(), strict=True)
    )  # fmt: skip
    assert max(lines.values()) == 1, "a line of a message is in bronze twice"
    rejected = list(
        zip(quarantine["kafka_partition"].to_pylist(), quarantine["kafka_offset"].to_pylist(),
            strict=True)
    )  # fmt: skip
    log_end = stream.log_end()
    every_offset = {(p, o) for p, end in log_end.items() for o in range(end)}
    loaded_offsets = [(p, o) for p, o, _ in loaded]
    # loaded + quarantined = consumed, with no message on both sides or on neither
    assert len(loaded_offsets) + len(rejected) == sum(log_end.values()) == stream.published.messages
    assert set(loaded_offsets) | set(rejected) == every_offset
    assert not set(loaded_offsets) & set(rejected)
    # Count by event id: each event as many times as it was published, no more.
    assert Counter(event_id for _, _, event_id in loaded) == stream.per_event
    assert set(stream.per_event) == stream.published.event_ids
    reasons = Counter(quarantine["reason"].to_pylist())
    assert sum(reasons.values()) == stream.published.poison == FAULTS.poison
    assert all(quarantine["reason_detail"].to_pylist())
    assert stream.committed() == log_end


def test_a_consumer_killed_before_committing_rewrites_the_same_part(stream: Stream) -> None:
    paused = stream.consumer("--once", "--pause-before-commit", "60")
    try:
        assert paused.stdout is not None
        deadline = time.monotonic() + 120
        line = ""
        while PAUSED_LINE not in line and time.monotonic() < deadline:
            line = paused.stdout.readline()
            assert line or paused.poll() is None, paused.stderr.read() if paused.stderr else ""
        assert PAUSED_LINE in line
        part_name = line.split(PAUSED_LINE)[1].strip()
        paused.send_signal(signal.SIGKILL)
        paused.wait(30)
    finally:
        if paused.poll() is None:
            paused.kill()
            paused.wait(30)
    (key,) = [
        o.key for o in stream.lake.list("") if o.key.endswith(part_name) and "bronze/" in o.key
    ]
    before = stream.lake.read_parquet(key)
    part = parse_part(key)
    assert part is not None
    # Written, durable, and not committed: the group would read it again.
    assert stream.committed().get(part.partition, -1001) < part.last + 1

    out = stream.drain()

    assert "(1 replayed)" in out, out
    assert stream.lake.read_parquet(key).equals(before)
    assert_exactly_once(stream)
    # A second drain finds nothing new and changes nothing.
    keys = sorted(o.key for o in stream.lake.list("bronze/"))
    assert "consumed 0" in stream.drain()
    assert sorted(o.key for o in stream.lake.list("bronze/")) == keys


def test_kills_at_random_moments_never_duplicate_or_lose_a_message(
    kafka_broker: str, tmp_path: Path
) -> None:
    stream = _stream(kafka_broker, tmp_path, seed=23, batch_size=7)
    rng = random.Random(5)
    for _ in range(4):
        process = stream.consumer()
        time.sleep(rng.uniform(1.5, 4.0))
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    stream.drain()
    assert_exactly_once(stream)


def test_the_long_running_mode_lands_events_and_stops_cleanly(stream: Stream) -> None:
    stop = threading.Event()
    settings = stream.settings
    result: list[object] = []
    worker = threading.Thread(
        target=lambda: result.append(consume(settings, once=False, topic=stream.topic, stop=stop))
    )
    worker.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and stream.committed() != stream.log_end():
        time.sleep(0.5)
    stop.set()
    worker.join(60)
    assert not worker.is_alive()
    assert_exactly_once(stream)


def test_the_feed_simulator_publishes_a_shop_with_faults(kafka_broker: str, tmp_path: Path) -> None:
    topic = f"test.feeds.{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_broker, [Topic(topic, PARTITIONS)])
    env = {**os.environ, "SME_PULSE_HOME": str(tmp_path), "KAFKA_BOOTSTRAP_SERVERS": kafka_broker}
    result = subprocess.run(
        [str(CLI), "feeds", "stream", "--topic", topic, "--customers", "5", "--duplicates", "0.5",
         "--poison", "2", "--rate", "200"],
        env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    published = int(result.stdout.split("published ")[1].split()[0])
    assert " 2 poison" in result.stdout and ", 0 duplicates" not in result.stdout
    client = Consumer({"bootstrap.servers": kafka_broker, "group.id": "probe"})
    try:
        ends = [
            client.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(PARTITIONS)
        ]
    finally:
        client.close()
    assert sum(ends) == published


@pytest.mark.unit
def test_a_batch_written_again_is_the_same_object_and_is_found_uncommitted(
    tmp_path: Path,
) -> None:
    orders = list(shop_orders(GeneratorConfig(**{**vars(SHOP), "customers": 5})))
    planned = plan(orders, FAULTS, seed=3).messages
    batch = [
        Message("t", 1, 100 + n, 1_764_633_600_000 + n, m.key.encode(), m.value)
        for n, m in enumerate(planned[:30])
    ]
    lake = Lake(str(tmp_path / "lake"))
    writer = BronzeWriter(lake)
    first = writer.write(batch)
    key = first.part.key(ORDER_EVENTS_PREFIX)
    written = lake.get_bytes(key)
    assert writer.write(batch) == first
    assert lake.get_bytes(key) == written
    assert first.events_loaded + first.quarantined == len(batch)
    assert writer.uncommitted_last(batch[0]) == 129
    assert writer.uncommitted_last(batch[1]) is None
