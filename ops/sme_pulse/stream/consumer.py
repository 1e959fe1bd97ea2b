"""Order events from Kafka into bronze, in micro-batches, exactly once.

Exactly once comes from three rules, none of which needs Kafka transactions:

1. **Offsets are committed only after the batch's Parquet objects are durable** (quarantine
   first, then bronze, then a synchronous commit of `last + 1`). A crash before the
   commit means the batch is read again; a crash after it means it is done.
2. **A batch's objects are named by its offsets** (`layout.PartName`: topic, partition,
   first and last offset, publish date of the first message), and their rows come only
   from the messages and their place in the log (`contract`), never from the clock.
3. **A batch read again is cut where it was cut before.** When a partition is assigned,
   its first message is at the committed offset; if a part starting at that offset is
   already in the lake (written, then the process died before committing), the new
   batch ends at that part's last offset. Same messages, same name, same rows: the
   object is overwritten with what it already held, then committed.

So a replay never adds a row, whatever moment the consumer was killed at. Partitions
are owned through the consumer group, so two consumers (the DAG and a service) never
cut the same partition at once; the one that takes a partition over finds the other's
uncommitted part by rule 3. Membership is static per host (`instance_id`), so a
restarted consumer takes its dead predecessor's partitions at once. The one case rule 3
cannot cover is a consumer stalled inside a write for longer than the group's session
timeout (45 s) while another takes its partition over: the two could cut differently.

Modes: `once` drains every assigned partition to its end and returns (the Airflow DAG,
tests, the benchmark); otherwise it runs until `stop` is set, writing a part whenever a
partition has `batch_size` messages waiting or its oldest waiting message is
`batch_seconds` old.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from sme_pulse.config import Settings
from sme_pulse.errors import SmePulseError
from sme_pulse.storage import Lake
from sme_pulse.stream import layout
from sme_pulse.stream.contract import ORDER_EVENTS_SCHEMA, QUARANTINE_SCHEMA, Message, Parser

log = logging.getLogger(__name__)

ASSIGNMENT_TIMEOUT_S = 60.0
"""How long a consumer waits for the group to give it partitions before giving up."""
POLL_S = 0.5


class StreamConsumerError(SmePulseError, RuntimeError):
    """The consumer cannot read the topic or land a batch; the message says why."""


@dataclass
class DrainReport:
    """What one consumer run did."""

    messages: int = 0
    events_loaded: int = 0
    rows_loaded: int = 0
    quarantined: int = 0
    parts: list[str] = field(default_factory=list)
    replayed: int = 0
    """Parts found written but not committed, and written again with the same rows."""

    def line(self) -> str:
        return (
            f"order events: consumed {self.messages}, loaded {self.events_loaded} "
            f"({self.rows_loaded} line rows), quarantined {self.quarantined}, "
            f"{len(self.parts)} parts ({self.replayed} replayed)"
        )


@dataclass(frozen=True)
class Written:
    """One batch in the lake: its name and how its messages split."""

    part: layout.PartName
    events_loaded: int
    rows_loaded: int
    quarantined: int


class BronzeWriter:
    """Writes a batch's quarantine and bronze objects; finds parts a crash left uncommitted."""

    def __init__(self, lake: Lake, parser: Parser | None = None) -> None:
        self.lake = lake
        self.parser = parser or Parser()

    def uncommitted_last(self, first: Message) -> int | None:
        """The last offset of a part that starts at `first`'s offset, if one was written."""
        name = layout.PartName.of(
            first.topic, first.partition, first.offset, first.offset, first.published_at
        )
        prefix = f"{name.file_name.rsplit('-', 1)[0]}-"
        for root in (layout.ORDER_EVENTS_PREFIX, layout.QUARANTINE_PREFIX):
            folder = layout.date_folder(root, name.ingest_date)
            for info in self.lake.list(folder):
                part = layout.parse_part(info.key)
                if part and info.key.rpartition("/")[2].startswith(prefix):
                    return part.last
        return None

    def write(self, batch: list[Message]) -> Written:
        """Quarantine first, bronze last: bronze's presence means the batch is whole."""
        first, last = batch[0], batch[-1]
        part = layout.PartName.of(
            first.topic, first.partition, first.offset, last.offset, first.published_at
        )
        rows: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        events = 0
        for message in batch:
            parsed = self.parser.parse(message)
            if parsed.rejected is not None:
                rejected.append(parsed.rejected)
            else:
                events += 1
                rows.extend(parsed.rows)
        if events + len(rejected) != len(batch):
            raise StreamConsumerError(
                f"{part.file_name}: read {len(batch)} but loaded {events} + "
                f"quarantined {len(rejected)}; nothing written"
            )
        if rejected:
            self.lake.write_parquet(
                part.key(layout.QUARANTINE_PREFIX),
                pa.Table.from_pylist(rejected, QUARANTINE_SCHEMA),
            )
        if rows:
            self.lake.write_parquet(
                part.key(layout.ORDER_EVENTS_PREFIX),
                pa.Table.from_pylist(rows, ORDER_EVENTS_SCHEMA),
            )
        return Written(part, events, len(rows), len(rejected))


def _message(record: Any) -> Message:
    _, timestamp = record.timestamp()
    return Message(
        topic=record.topic(),
        partition=record.partition(),
        offset=record.offset(),
        timestamp_ms=timestamp,
        key=record.key(),
        value=record.value(),
    )


def instance_id(settings: Settings) -> str:
    """The consumer's static group membership: one per group and host.

    A consumer killed mid-batch stays a group member until its session times out; a
    restart under a new identity would wait for that, or be given only the partitions
    the dead member does not hold, and `--once` would stop with the rest undrained. Under
    the same identity the restart takes the dead member's place, and its partitions, at
    once. A second consumer on the same host fences the first: one drain at a time.
    """
    return f"{settings.stream.group_id}@{socket.gethostname()}"


@dataclass
class _Partition:
    """Messages read from one partition and not yet landed."""

    waiting: list[Message] = field(default_factory=list)
    since: float = 0.0
    replay_last: int | None = None
    checked: bool = False
    at_end: bool = False


BeforeCommit = Callable[[Written], None]


class OrderEventConsumer:
    """One group member reading the order-events topic into bronze."""

    def __init__(
        self,
        settings: Settings,
        topic: str,
        *,
        writer: BronzeWriter | None = None,
        before_commit: BeforeCommit | None = None,
    ) -> None:
        self.settings = settings
        self.topic = topic
        self.writer = writer or BronzeWriter(Lake.from_settings(settings))
        self.before_commit = before_commit
        self.partitions: dict[int, _Partition] = {}
        self.assigned = False
        self.report = DrainReport()
        self.consumer = Consumer(
            {
                "bootstrap.servers": settings.stream.bootstrap_servers,
                "group.id": settings.stream.group_id,
                "group.instance.id": instance_id(settings),
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "auto.offset.reset": "earliest",
                "enable.partition.eof": True,
                "isolation.level": "read_committed",
            }
        )

    def _on_assign(self, _consumer: Any, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self.partitions[tp.partition] = _Partition()
        self.assigned = True
        log.info("assigned %s", sorted(tp.partition for tp in partitions))

    def _on_revoke(self, _consumer: Any, partitions: list[TopicPartition]) -> None:
        # Unlanded messages of a revoked partition are dropped: they are not committed,
        # so the partition's next owner reads them again.
        for tp in partitions:
            self.partitions.pop(tp.partition, None)

    def _take(self, record: Any) -> None:
        error = record.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                state = self.partitions.get(record.partition())
                if state is not None:
                    state.at_end = True
                return
            raise StreamConsumerError(f"cannot read {self.topic}: {error.str()}")
        message = _message(record)
        state = self.partitions.get(message.partition)
        if state is None:
            return
        if not state.checked:
            state.checked = True
            state.replay_last = self.writer.uncommitted_last(message)
        if not state.waiting:
            state.since = time.monotonic()
        state.waiting.append(message)
        state.at_end = False
        self.report.messages += 1

    def _cut(self, state: _Partition, *, draining: bool) -> list[Message] | None:
        """The next batch of a partition, or None while it should keep waiting."""
        waiting = state.waiting
        if not waiting:
            return None
        if state.replay_last is not None:
            count = sum(1 for m in waiting if m.offset <= state.replay_last)
            if waiting[-1].offset < state.replay_last:
                return None
            return waiting[:count]
        size = self.settings.stream.batch_size
        if len(waiting) >= size:
            return waiting[:size]
        old = time.monotonic() - state.since >= self.settings.stream.batch_seconds
        if draining or old:
            return list(waiting)
        return None

    def _land(self, partition: int, state: _Partition, batch: list[Message]) -> None:
        written = self.writer.write(batch)
        replayed = state.replay_last is not None
        if self.before_commit is not None:
            self.before_commit(written)
        self.consumer.commit(
            offsets=[TopicPartition(self.topic, partition, written.part.last + 1)],
            asynchronous=False,
        )
        state.waiting = state.waiting[len(batch) :]
        state.since = time.monotonic()
        state.replay_last = None
        report = self.report
        report.events_loaded += written.events_loaded
        report.rows_loaded += written.rows_loaded
        report.quarantined += written.quarantined
        report.parts.append(written.part.file_name)
        report.replayed += int(replayed)
        log.info(
            "%s: %d events, %d quarantined%s",
            written.part.file_name,
            written.events_loaded,
            written.quarantined,
            " (replayed)" if replayed else "",
        )

    def _flush(self, *, draining: bool) -> None:
        for partition, state in list(self.partitions.items()):
            while (batch := self._cut(state, draining=draining)) is not None:
                self._land(partition, state, batch)

    def _drained(self) -> bool:
        return self.assigned and all(s.at_end and not s.waiting for s in self.partitions.values())

    def run(self, *, once: bool, stop: threading.Event | None = None) -> DrainReport:
        """Drain to the end (`once`) or consume until `stop` is set; land every batch."""
        stop = stop or threading.Event()
        try:
            self.consumer.subscribe(
                [self.topic], on_assign=self._on_assign, on_revoke=self._on_revoke
            )
            started = time.monotonic()
            while not stop.is_set():
                records = self.consumer.consume(
                    num_messages=self.settings.stream.batch_size, timeout=POLL_S
                )
                for record in records:
                    self._take(record)
                # Draining lands the tail at once; a service waits for a full batch or
                # `batch_seconds`, so a quiet topic does not fill the lake with tiny parts.
                self._flush(draining=once and all(s.at_end for s in self.partitions.values()))
                if once and self._drained():
                    break
                if not self.assigned and time.monotonic() - started > ASSIGNMENT_TIMEOUT_S:
                    raise StreamConsumerError(
                        f"no partition of {self.topic} assigned after {ASSIGNMENT_TIMEOUT_S:.0f}"
                        f" s from {self.settings.stream.bootstrap_servers}"
                    )
        except KafkaException as exc:
            raise StreamConsumerError(f"cannot consume {self.topic}: {exc}") from exc
        finally:
            self.consumer.close()
        return self.report


def consume(
    settings: Settings,
    *,
    once: bool = True,
    topic: str | None = None,
    stop: threading.Event | None = None,
    before_commit: BeforeCommit | None = None,
) -> DrainReport:
    """Land the order-events topic in bronze; see the module docstring for the guarantees."""
    from sme_pulse.stream.topics import ORDER_EVENTS_TOPIC

    consumer = OrderEventConsumer(
        settings, topic or ORDER_EVENTS_TOPIC, before_commit=before_commit
    )
    report = consumer.run(once=once, stop=stop)
    log.info("%s", report.line())
    return report
