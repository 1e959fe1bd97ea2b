"""The sales DAG summary's stream line (`orchestration.sales_sync.stream_lag`), on a real
broker: here because the broker fixture is (tests/stream/conftest.py)."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
from sme_pulse.config import Settings
from sme_pulse.feeds.generator import GeneratorConfig
from sme_pulse.orchestration.sales_sync import stream_lag, stream_line
from sme_pulse.servers.process import free_port
from sme_pulse.stream.producer import publish, shop_orders
from sme_pulse.stream.topics import ORDER_EVENTS_TOPIC


@pytest.mark.unit
def test_no_broker_configured_is_said_and_measures_nothing(tmp_path: Path) -> None:
    lag = stream_lag(Settings.from_env({"SME_PULSE_HOME": str(tmp_path)}))
    assert lag == {"status": "not configured"}
    assert stream_line(lag) == "stream: not configured"


@pytest.mark.integration
def test_a_new_group_is_behind_by_every_published_message(kafka_broker: str) -> None:
    shop = GeneratorConfig(customers=5, start=date(2025, 11, 1), end=date(2025, 11, 5))
    publish(kafka_broker, ORDER_EVENTS_TOPIC, list(shop_orders(shop)))
    settings = Settings.from_env(
        {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_broker,
            "STREAM_GROUP_ID": f"summary-{uuid.uuid4().hex[:8]}",
        }
    )
    lag = stream_lag(settings)
    assert lag["status"] == "ok" and lag["topic"] == ORDER_EVENTS_TOPIC
    assert lag["messages_behind"] > 0 and 0 <= lag["lag_minutes"] < 5
    assert stream_line(lag).startswith(f"stream {ORDER_EVENTS_TOPIC}: ok, ")

    strict = Settings.from_env(
        {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_broker,
            "STREAM_GROUP_ID": settings.stream.group_id,
            "STREAM_MAX_LAG_MINUTES": "0",
        }
    )
    assert stream_lag(strict)["status"] == "behind"


@pytest.mark.integration
def test_a_broker_that_does_not_answer_does_not_fail_the_summary() -> None:
    settings = Settings.from_env({"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"})
    lag = stream_lag(settings)
    assert lag["status"] == "unavailable" and "StreamLagError" in lag["reason"]
    assert stream_line(lag).startswith("stream: unavailable (StreamLagError: ")
