"""The Kafka topics the pipeline uses, declared once, and the step that creates them.

Brokers run with `auto.create.topics.enable=false` (kafka-local and the compose `kafka`
service), so a topic exists only when `ensure_topics` made it, with the partitions declared
here. The compose `kafka-init` one-shot runs this module: `python -m sme_pulse.stream.topics
kafka:9092`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sme_pulse.errors import SmePulseError

if TYPE_CHECKING:
    from confluent_kafka.admin import AdminClient, NewTopic


class TopicError(SmePulseError, RuntimeError):
    """A topic could not be created, or exists with fewer partitions than declared."""


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    replication_factor: int = 1
    """One broker in the stack and in kafka-local."""


ORDER_EVENTS_TOPIC = "sme_pulse.order_events"
"""Order events (created, paid, cancelled, refunded), keyed by order id: one order's
events land in one partition, in the order they were produced."""

TOPICS = (Topic(ORDER_EVENTS_TOPIC, partitions=3),)

TIMEOUT_S = 30.0


def ensure_topics(
    bootstrap: str, topics: Iterable[Topic] = TOPICS, timeout_s: float = TIMEOUT_S
) -> list[str]:
    """Create the topics that do not exist yet (idempotent); the names it created.

    A topic that already exists with fewer partitions than declared is an error: keys
    would map to other partitions than the consumer's offsets assume.
    """
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic

    wanted = {topic.name: topic for topic in topics}
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        existing = admin.list_topics(timeout=timeout_s).topics
    except KafkaException as exc:
        raise TopicError(f"kafka at {bootstrap} does not answer: {exc}") from exc
    for name, metadata in existing.items():
        if name in wanted and len(metadata.partitions) < wanted[name].partitions:
            raise TopicError(
                f"topic {name} has {len(metadata.partitions)} partitions, "
                f"{wanted[name].partitions} declared"
            )
    missing = [
        NewTopic(t.name, num_partitions=t.partitions, replication_factor=t.replication_factor)
        for name, t in wanted.items()
        if name not in existing
    ]
    created = _create(admin, missing, timeout_s)
    _wait_visible(admin, created, timeout_s)
    return created


def _create(admin: AdminClient, missing: list[NewTopic], timeout_s: float) -> list[str]:
    """Create `missing`; the names created (not those another init step created first)."""
    from confluent_kafka import KafkaError, KafkaException

    created: list[str] = []
    deadline = time.monotonic() + timeout_s
    while missing:
        futures = admin.create_topics(
            missing, operation_timeout=timeout_s, request_timeout=timeout_s
        )
        again = []
        for new in missing:
            try:
                futures[new.topic].result()
                created.append(new.topic)
            except KafkaException as exc:
                error = exc.args[0]
                if error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                    continue  # another init step got there first: what was asked for exists
                # A broker that has just started may still be fenced: no broker yet to
                # place a replica on. It is unfenced within seconds.
                starting = (
                    error.retriable() or error.code() == KafkaError.INVALID_REPLICATION_FACTOR
                )
                if not starting or time.monotonic() > deadline:
                    raise TopicError(f"cannot create topic {new.topic}: {exc}") from exc
                again.append(new)
        missing = again
        if missing:
            time.sleep(0.5)
    return created


def _wait_visible(admin: AdminClient, names: list[str], timeout_s: float) -> None:
    """Wait until the broker's metadata lists the new topics with a leader per partition,
    so a producer started right after this does not race the controller."""
    deadline = time.monotonic() + timeout_s
    while names:
        topics = admin.list_topics(timeout=timeout_s).topics
        if all(
            name in topics
            and topics[name].partitions
            and all(p.leader >= 0 for p in topics[name].partitions.values())
            for name in names
        ):
            return
        if time.monotonic() > deadline:
            raise TopicError(f"topics {', '.join(names)} not ready after {timeout_s:.0f} s")
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> None:
    """`python -m sme_pulse.stream.topics BOOTSTRAP`: the stack's kafka-init step."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m sme_pulse.stream.topics BOOTSTRAP_SERVERS")
    try:
        created = ensure_topics(args[0])
    except TopicError as exc:
        raise SystemExit(f"error: {exc}") from None
    print(f"created {', '.join(created)}" if created else "all topics exist")


if __name__ == "__main__":
    main()
