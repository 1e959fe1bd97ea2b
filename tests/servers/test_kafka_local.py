"""kafka-local without a running broker: its configuration, its pins, its refusals.

The broker itself (start, topics, round trip, stop by PID, restart without downloads) is
proven in tests/stream/test_broker.py on the session's one broker.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
import yaml
from sme_pulse.cli import app
from sme_pulse.config import REPO_ROOT, Settings
from sme_pulse.servers import kafka_local
from sme_pulse.servers.kafka_jars import KAFKA_CLASSPATH, KAFKA_VERSION
from sme_pulse.servers.process import ServerError, free_port
from typer.testing import CliRunner

pytestmark = pytest.mark.unit


def _settings(home: Path, port: int = 19092) -> Settings:
    return Settings.from_env({"SME_PULSE_HOME": str(home), "KAFKA_LOCAL_PORT": str(port)})


def _compose_kafka_env() -> dict[str, str]:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    return {k: str(v) for k, v in compose["services"]["kafka"]["environment"].items()}


def test_the_broker_listens_on_loopback_only_with_its_controller_on_the_next_port(
    tmp_path: Path,
) -> None:
    layout = kafka_local.KafkaLayout(tmp_path)
    props = kafka_local.server_properties(layout, 29092)
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:29093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:29092"
    assert props["log.dirs"] == str(tmp_path / "kafka-local" / "data")
    assert "zookeeper.connect" not in props


def test_the_stack_broker_has_the_single_node_settings_of_kafka_local() -> None:
    env = _compose_kafka_env()
    for key, value in kafka_local.SINGLE_NODE.items():
        assert env["KAFKA_" + key.upper().replace(".", "_")] == value, key
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert not any("ZOOKEEPER" in key for key in env)


def test_the_port_setting_reaches_the_broker(tmp_path: Path) -> None:
    assert _settings(tmp_path, 29500).local_stack.kafka_port == 29500
    assert Settings.from_env({"SME_PULSE_HOME": str(tmp_path)}).local_stack.kafka_port == 19092


def test_a_cluster_id_looks_like_kafka_storage_random_uuid() -> None:
    ids = {kafka_local.cluster_id() for _ in range(200)}
    assert len(ids) == 200
    for found in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", found) and not found.startswith("-")


def test_every_kafka_jar_is_pinned_once_at_one_version() -> None:
    names = [a.coordinates.split(":")[1] for a in KAFKA_CLASSPATH]
    assert len(names) == len(set(names))
    kafka = [a for a in KAFKA_CLASSPATH if a.coordinates.startswith("org.apache.kafka:")]
    assert {a.version for a in kafka} == {KAFKA_VERSION}
    assert {"kafka_2.13", "kafka-server", "kafka-raft", "kafka-clients"} <= set(names)
    assert "log4j-slf4j-impl" in names  # the logging backend: without it the broker is mute


@pytest.mark.integration
def test_a_second_install_downloads_nothing(tmp_path: Path) -> None:
    stack = _settings(tmp_path).local_stack
    first, _ = kafka_local.install(stack)
    again, downloaded = kafka_local.install(stack)
    assert downloaded == ()
    assert again == first and all(jar.is_file() for jar in again)


@pytest.mark.integration
def test_a_taken_port_is_refused_before_anything_starts(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        settings = _settings(tmp_path, port)
        with pytest.raises(ServerError, match=f"port 127.0.0.1:{port} is taken"):
            kafka_local.up(settings)
    assert kafka_local.status(settings) is None
    assert not kafka_local.KafkaLayout(tmp_path).formatted


def test_down_and_status_without_a_broker_touch_nothing(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert kafka_local.down(settings) is False
    assert kafka_local.status(settings) is None
    assert kafka_local.running(settings) is None


def test_the_cli_reports_a_stopped_broker(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SME_PULSE_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["kafka-local", "status"])
    assert result.exit_code == 0 and re.search(r"kafka\s+stopped", result.output)
    result = CliRunner().invoke(app, ["kafka-local", "down"])
    assert result.exit_code == 0 and "nothing was running" in result.output
