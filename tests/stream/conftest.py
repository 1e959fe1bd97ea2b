"""A real Kafka broker for the stream tests: kafka-local, started once per session.

`kafka_broker` is the bootstrap address ("127.0.0.1:PORT") of a broker with the
declared topics (`sme_pulse.stream.topics.TOPICS`) created. The broker auto-creates no
topic: a test that wants a topic of its own creates it with
`ensure_topics(kafka_broker, [Topic(name, partitions)])`. With SME_PULSE_TEST_KAFKA set to
a bootstrap address, that broker is used and nothing is started or stopped.
"""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sme_pulse.config import Settings
from sme_pulse.servers import kafka_local
from sme_pulse.stream.topics import ensure_topics


@dataclass(frozen=True)
class LocalBroker:
    """The session's kafka-local: its settings (home, port) and how clients reach it."""

    settings: Settings
    bootstrap: str


def _free_port_pair() -> int:
    """A free port whose next one is free too (kafka-local's controller takes port + 1),
    below the kernel's ephemeral range, where no outgoing connection takes either one
    between this check and the broker's bind."""
    for _ in range(100):
        port = random.randrange(20000, 32000, 2)
        with socket.socket() as client, socket.socket() as controller:
            try:
                client.bind(("127.0.0.1", port))
                controller.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two free consecutive ports on 127.0.0.1")


@pytest.fixture(scope="session")
def local_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """kafka-local in a temporary SME_PULSE_HOME, stopped (by its PID) after the session.

    The pinned jars come from the shared download cache (SME_PULSE_CACHE), so only the
    first session on a machine downloads them.
    """
    env = {
        **os.environ,
        "SME_PULSE_HOME": str(tmp_path_factory.mktemp("kafka-home")),
        "KAFKA_LOCAL_PORT": str(_free_port_pair()),
    }
    settings = Settings.from_env(env)
    try:  # a broker that started but never became ready is stopped too
        yield LocalBroker(settings, kafka_local.up(settings).bootstrap)
    finally:
        kafka_local.down(settings)


@pytest.fixture(scope="session")
def kafka_broker(request: pytest.FixtureRequest) -> str:
    """Bootstrap address of a real broker with the declared topics created."""
    bootstrap = os.environ.get("SME_PULSE_TEST_KAFKA", "").strip()
    if not bootstrap:
        bootstrap = request.getfixturevalue("local_broker").bootstrap
    ensure_topics(bootstrap)
    return bootstrap
