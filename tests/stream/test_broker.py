"""The real broker the stream runs on: topics, a durable round trip, a stop by PID."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient
from sme_pulse.servers import kafka_local
from sme_pulse.servers.process import group_alive, port_open
from sme_pulse.stream.topics import ORDER_EVENTS_TOPIC, TOPICS, Topic, TopicError, ensure_topics

pytestmark = pytest.mark.integration

ROUND_TRIP_TOPIC = f"test.round_trip.{uuid.uuid4().hex[:8]}"
MESSAGES = 300


def _partitions(bootstrap: str) -> dict[str, int]:
    topics = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics
    return {name: len(meta.partitions) for name, meta in topics.items()}


def _produce(bootstrap: str, topic: str, count: int) -> None:
    """Keyed messages through an idempotent producer that waits for every replica."""
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all"})
    failures: list[KafkaError] = []
    for i in range(count):
        producer.produce(
            topic,
            key=f"order-{i % 17}",
            value=f'{{"seq": {i}}}',
            on_delivery=lambda err, _msg: failures.append(err) if err else None,
        )
    assert producer.flush(30) == 0
    assert failures == []


def _consume_all(bootstrap: str, topic: str, expected: int) -> list[tuple[str, int, int]]:
    """(key, partition, seq) of every message, read from the start by a new group."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    seen: list[tuple[str, int, int]] = []
    deadline = time.monotonic() + 60
    try:
        while len(seen) < expected and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            assert message.error() is None, message.error()
            seq = int(message.value().decode().split(":")[1].rstrip("}"))
            seen.append((message.key().decode(), message.partition(), seq))
    finally:
        consumer.close()
    return seen


def test_the_declared_topics_exist_with_their_partitions(kafka_broker: str) -> None:
    partitions = _partitions(kafka_broker)
    assert ORDER_EVENTS_TOPIC in partitions
    for topic in TOPICS:
        assert partitions[topic.name] == topic.partitions


def test_creating_topics_twice_creates_them_once(kafka_broker: str) -> None:
    topic = Topic(f"test.idempotent.{uuid.uuid4().hex[:8]}", partitions=2)
    assert ensure_topics(kafka_broker, [topic]) == [topic.name]
    assert ensure_topics(kafka_broker, [topic]) == []
    assert ensure_topics(kafka_broker) == []
    assert _partitions(kafka_broker)[topic.name] == 2


def test_a_topic_with_fewer_partitions_than_declared_is_refused(kafka_broker: str) -> None:
    name = f"test.shrunk.{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_broker, [Topic(name, partitions=1)])
    with pytest.raises(TopicError, match="has 1 partitions, 3 declared"):
        ensure_topics(kafka_broker, [Topic(name, partitions=3)])


def test_a_topic_the_broker_cannot_hold_fails_once_the_wait_is_over(kafka_broker: str) -> None:
    """Three replicas on one broker: refused until the deadline, then one clear error."""
    impossible = Topic(f"test.replicas.{uuid.uuid4().hex[:8]}", 1, replication_factor=3)
    started = time.monotonic()
    with pytest.raises(TopicError, match=f"cannot create topic {impossible.name}"):
        ensure_topics(kafka_broker, [impossible], timeout_s=2.0)
    assert time.monotonic() - started < 15


def test_the_stacks_init_step_creates_the_topics_or_finds_them(kafka_broker: str) -> None:
    """What the compose kafka-init one-shot runs."""
    init = [sys.executable, "-m", "sme_pulse.stream.topics"]
    done = subprocess.run([*init, kafka_broker], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "all topics exist"
    assert subprocess.run(init, capture_output=True, timeout=60).returncode != 0


def test_an_unknown_topic_is_not_created_by_producing_to_it(kafka_broker: str) -> None:
    name = f"test.typo.{uuid.uuid4().hex[:8]}"
    producer = Producer({"bootstrap.servers": kafka_broker, "message.timeout.ms": 3000})
    errors: list[KafkaError] = []
    producer.produce(name, value=b"x", on_delivery=lambda err, _msg: errors.append(err))
    producer.flush(10)
    assert len(errors) == 1 and errors[0] is not None
    assert name not in _partitions(kafka_broker)


def test_every_message_comes_back_once_and_a_key_stays_in_one_partition(
    kafka_broker: str,
) -> None:
    ensure_topics(kafka_broker, [Topic(ROUND_TRIP_TOPIC, partitions=3)])
    _produce(kafka_broker, ROUND_TRIP_TOPIC, MESSAGES)
    seen = _consume_all(kafka_broker, ROUND_TRIP_TOPIC, MESSAGES)
    assert sorted(seq for _, _, seq in seen) == list(range(MESSAGES))
    partitions_by_key: dict[str, set[int]] = {}
    for key, partition, _ in seen:
        partitions_by_key.setdefault(key, set()).add(partition)
    assert all(len(p) == 1 for p in partitions_by_key.values())
    assert len({p for _, p, _ in seen}) > 1


def test_down_stops_the_broker_by_pid_and_up_brings_back_its_data(local_broker) -> None:
    """Runs last here: the session's broker stops and starts again, downloading nothing."""
    settings, bootstrap = local_broker.settings, local_broker.bootstrap
    ensure_topics(bootstrap, [Topic(ROUND_TRIP_TOPIC, partitions=3)])
    _produce(bootstrap, ROUND_TRIP_TOPIC, 10)
    pid = kafka_local.status(settings)
    assert pid is not None

    assert kafka_local.down(settings) is True
    assert not group_alive(pid)
    assert kafka_local.status(settings) is None
    assert not port_open(settings.local_stack.kafka_port)
    assert kafka_local.down(settings) is False

    again = kafka_local.up(settings)
    assert again.started and again.downloaded == ()
    assert kafka_local.up(settings).started is False
    assert len(_consume_all(bootstrap, ROUND_TRIP_TOPIC, MESSAGES + 10)) >= 10
