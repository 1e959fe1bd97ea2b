"""`make demo`'s stream: live orders the exports lack (and two they have) on a real broker.

Here because the broker fixture (`kafka_broker`, tests/stream/conftest.py) is: the demo's
own broker start is kafka-local's (tests/servers/test_kafka_local.py); the whole demo runs
in `make demo`.
"""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from rich.console import Console
from sme_pulse.config import Settings
from sme_pulse.orchestration import demo
from sme_pulse.servers import kafka_local
from sme_pulse.stream.producer import events_of
from sme_pulse.stream.topics import ORDER_EVENTS_TOPIC

from .conftest import _free_port_pair

pytestmark = pytest.mark.integration


def published_event_ids(bootstrap: str, topic: str) -> set[str]:
    """Every event id on `topic`, read from the start of each partition."""
    client = Consumer({"bootstrap.servers": bootstrap, "group.id": f"probe-{uuid.uuid4().hex[:8]}"})
    try:
        partitions = client.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {p: client.get_watermark_offsets(TopicPartition(topic, p))[1] for p in partitions}
        client.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        ids, done = set(), {p for p, end in ends.items() if end == 0}
        while len(done) < len(partitions):
            for message in client.consume(500, timeout=5):
                assert message.error() is None, message.error()
                if message.offset() + 1 >= ends[message.partition()]:
                    done.add(message.partition())
                try:
                    ids.add(json.loads(message.value())["event_id"])
                except (ValueError, KeyError):
                    continue  # another test's poison message
        return ids
    finally:
        client.close()


@pytest.fixture
def shop_settings(tmp_path: Path, kafka_broker: str) -> Settings:
    port = kafka_broker.rsplit(":", 1)[1]
    settings = Settings.from_env(
        {"SME_PULSE_HOME": str(tmp_path / "home"), "KAFKA_LOCAL_PORT": port}
    )
    demo.ensure_shop(Console(record=True), settings)
    return settings


def test_live_orders_are_new_but_two_the_exports_have_too(shop_settings: Settings) -> None:
    orders = demo.live_orders(shop_settings)
    exported = demo.exported_order_ids(demo.feeds_dir(shop_settings) / "landing")
    assert len(orders.stream_only) > 50
    assert not {o["order_id"] for o in orders.stream_only} & exported
    assert len(orders.both_ways) == demo.BOTH_WAYS
    assert {o["order_id"] for o in orders.both_ways} <= exported


def test_the_demo_uses_a_running_broker_publishes_and_leaves_it_running(
    shop_settings: Settings, kafka_broker: str
) -> None:
    console = Console(record=True, width=200)
    with demo.order_stream(console, shop_settings) as env:
        assert env == {"KAFKA_BOOTSTRAP_SERVERS": kafka_broker}
    text = console.export_text()
    assert "already running" in text and "Published" in text
    orders = demo.live_orders(shop_settings)
    wanted = {e["event_id"] for o in orders.orders for e in events_of(o)}
    assert wanted <= published_event_ids(kafka_broker, ORDER_EVENTS_TOPIC)
    assert demo._broker_answers(shop_settings, kafka_broker)  # still up: not the demo's


def test_a_broker_the_demo_started_is_stopped_when_a_dag_run_fails(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"SME_PULSE_HOME": str(tmp_path / "home"), "KAFKA_LOCAL_PORT": str(_free_port_pair())}
    )
    demo.ensure_shop(Console(record=True), settings)
    console = Console(record=True, width=200)
    try:
        with (
            pytest.raises(RuntimeError, match="a DAG run failed"),
            demo.order_stream(console, settings) as env,
        ):
            assert kafka_local.status(settings) is not None
            assert env == {"KAFKA_BOOTSTRAP_SERVERS": kafka_local.bootstrap(settings.local_stack)}
            raise RuntimeError("a DAG run failed")
        assert "Kafka (kafka-local) at" in console.export_text()
        assert kafka_local.status(settings) is None
    finally:
        kafka_local.down(settings)


def test_a_broker_that_cannot_start_is_one_line_naming_its_log(tmp_path: Path) -> None:
    port = _free_port_pair()
    settings = Settings.from_env(
        {"SME_PULSE_HOME": str(tmp_path / "home"), "KAFKA_LOCAL_PORT": str(port)}
    )
    demo.ensure_shop(Console(record=True), settings)
    with socket.socket() as squatter:  # a program that is not Kafka holds the port
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with (
            pytest.raises(demo.DemoStreamError) as failure,
            demo.order_stream(Console(record=True), settings),
        ):
            pytest.fail("the body runs only with a broker")
    message = str(failure.value)
    assert "\n" not in message and f"127.0.0.1:{port} is taken" in message
    assert message.endswith(f"(broker log {settings.home / 'logs' / 'kafka.log'})")
