"""How far bronze is behind the order-events topic, in messages and in minutes.

The consumer group's committed offsets say what bronze holds (they move only after a
part is durable), so lag is measured from them, on the broker, without reading the
lake: per partition, the messages between the committed offset and the end of the log,
and how long ago the oldest of them was published. Zero minutes means bronze holds
every published event; a producer that stopped does not show here (nothing is behind),
dbt's source freshness on `bronze_stream` shows that.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from sme_pulse.config import Settings
from sme_pulse.errors import SmePulseError

TIMEOUT_S = 10.0
COORDINATOR_WAIT_S = 60.0
_COORDINATOR_NOT_READY = (
    KafkaError.NOT_COORDINATOR,
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
)


class StreamLagError(SmePulseError, RuntimeError):
    """Bronze is further behind the topic than STREAM_MAX_LAG_MINUTES allows."""


@dataclass(frozen=True)
class PartitionLag:
    partition: int
    committed: int
    end: int
    oldest_waiting: datetime | None

    @property
    def messages(self) -> int:
        return max(0, self.end - max(self.committed, 0))


@dataclass(frozen=True)
class StreamLag:
    topic: str
    partitions: tuple[PartitionLag, ...]
    measured_at: datetime

    @property
    def messages(self) -> int:
        return sum(p.messages for p in self.partitions)

    @property
    def minutes(self) -> float:
        oldest = [p.oldest_waiting for p in self.partitions if p.oldest_waiting is not None]
        if not oldest:
            return 0.0
        return max(0.0, (self.measured_at - min(oldest)).total_seconds() / 60)

    def as_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "messages_behind": self.messages,
            "lag_minutes": round(self.minutes, 2),
            "measured_at": self.measured_at.isoformat(),
        }


def _oldest_waiting(client: Consumer, topic: str, partition: int, offset: int) -> datetime | None:
    """Publish time of the message at `offset` (the first one bronze does not hold)."""
    client.assign([TopicPartition(topic, partition, offset)])
    try:
        record = client.consume(1, timeout=TIMEOUT_S)
    finally:
        client.unassign()
    if not record or record[0].error() is not None:
        return None
    return datetime.fromtimestamp(record[0].timestamp()[1] / 1000, UTC)


def _committed(client: Consumer, wanted: list[TopicPartition]) -> list[TopicPartition]:
    """The group's committed offsets, waiting out a coordinator that is still loading
    (a fresh broker creates its offsets topic on the first group request)."""
    deadline = time.monotonic() + COORDINATOR_WAIT_S
    while True:
        try:
            return client.committed(wanted, timeout=TIMEOUT_S)
        except KafkaException as exc:
            error = exc.args[0]
            waiting = error.retriable() or error.code() in _COORDINATOR_NOT_READY
            if not waiting or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def measure(settings: Settings, topic: str, now: datetime | None = None) -> StreamLag:
    """The lag of the consumer group `STREAM_GROUP_ID` on `topic`."""
    client = Consumer(
        {
            "bootstrap.servers": settings.stream.bootstrap_servers,
            "group.id": settings.stream.group_id,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        metadata = client.list_topics(topic, timeout=TIMEOUT_S).topics.get(topic)
        if metadata is None or metadata.error is not None:
            raise StreamLagError(f"topic {topic} not found on {settings.stream.bootstrap_servers}")
        wanted = [TopicPartition(topic, p) for p in sorted(metadata.partitions)]
        committed = _committed(client, wanted)
        lags = []
        for tp in committed:
            low, end = client.get_watermark_offsets(
                TopicPartition(topic, tp.partition), timeout=TIMEOUT_S
            )
            start = tp.offset if tp.offset >= 0 else low
            oldest = _oldest_waiting(client, topic, tp.partition, start) if start < end else None
            lags.append(PartitionLag(tp.partition, start, end, oldest))
    except KafkaException as exc:
        raise StreamLagError(f"cannot measure lag on {topic}: {exc}") from exc
    finally:
        client.close()
    return StreamLag(topic, tuple(lags), now or datetime.now(UTC))


def require_caught_up(settings: Settings, topic: str) -> StreamLag:
    """`measure`, failing when the oldest waiting event is older than allowed."""
    lag = measure(settings, topic)
    limit = settings.stream.max_lag_minutes
    if lag.minutes > limit:
        raise StreamLagError(
            f"{topic}: bronze is {lag.minutes:.1f} min behind ({lag.messages} messages), "
            f"more than STREAM_MAX_LAG_MINUTES={limit:g}"
        )
    return lag
