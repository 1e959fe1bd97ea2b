"""`make kafka-local`: one Kafka broker on this machine, without Docker.

The broker is Apache Kafka's own server (`kafka.Kafka`) from the jars pinned in
`kafka_jars` (Maven Central, checksums verified, cached like trino-local's servers), in
KRaft mode: one process is broker and controller, no ZooKeeper. It listens on 127.0.0.1
only: clients on `KAFKA_LOCAL_PORT`, its controller on the next port. Data, rendered
configuration and the storage format live in `<SME_PULSE_HOME>/kafka-local/`, the log in
`<SME_PULSE_HOME>/logs/kafka.log`; `process.Server` starts and stops it by its PID.

The single-node settings are declared once here (`SINGLE_NODE`); the compose `kafka`
service sets the same ones (tests/servers/test_kafka_local.py keeps them equal).
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sme_pulse.config import LocalStackSettings, Settings
from sme_pulse.servers.artifacts import fetch
from sme_pulse.servers.java import find_java
from sme_pulse.servers.kafka_jars import KAFKA_CLASSPATH, KAFKA_VERSION
from sme_pulse.servers.process import Server, ServerError, port_open, run_once

HOST = "127.0.0.1"
NAME = "kafka"
START_TIMEOUT_S = 180.0
KAFKA_MAIN = "kafka.Kafka"
STORAGE_TOOL_MAIN = "kafka.tools.StorageTool"
NODE_ID = 1
JVM_OPTIONS = (
    "-Xms128m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
)
"""A small heap: the broker shares a two-core machine with Airflow, dbt and the tests.
The C1 compiler alone and the serial collector leave the cores to the start itself: on two
busy cores the broker answered in 9 s instead of 20 s (C2 and G1), and one development
broker's load is far below what C1-compiled code serves."""

SINGLE_NODE: Mapping[str, str] = {
    "offsets.topic.num.partitions": "1",
    "offsets.topic.replication.factor": "1",
    "transaction.state.log.num.partitions": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "group.initial.rebalance.delay.ms": "0",
    "auto.create.topics.enable": "false",
}
"""What one broker needs: internal topics with one replica, and one partition each rather
than fifty (the first consumer group would wait for fifty to be created). Topics come only
from `sme_pulse.stream.topics`: a producer's typo must fail, not create a topic."""

LOG4J = """\
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
"""
"""Everything to standard output, which `process.Server` sends to the server's log; the
configuration dumps (hundreds of lines per client) are left out."""


@dataclass(frozen=True)
class KafkaLayout:
    """Where kafka-local keeps its data and rendered configuration."""

    home: Path

    @property
    def root(self) -> Path:
        return self.home / "kafka-local"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def properties(self) -> Path:
        return self.root / "server.properties"

    @property
    def log4j(self) -> Path:
        return self.root / "log4j2.properties"

    @property
    def formatted(self) -> bool:
        """`kafka-storage format` writes meta.properties last."""
        return (self.data_dir / "meta.properties").exists()


@dataclass(frozen=True)
class LocalKafka:
    """A running kafka-local, as clients address it."""

    bootstrap: str
    started: bool
    downloaded: tuple[str, ...]
    seconds: float


def bootstrap(stack: LocalStackSettings) -> str:
    return f"{HOST}:{stack.kafka_port}"


# --- installation ------------------------------------------------------------------------


def install(stack: LocalStackSettings) -> tuple[list[Path], tuple[str, ...]]:
    """Every pinned jar, verified (fetched once); and the names this call downloaded."""
    jars, downloaded = [], []
    for artifact in KAFKA_CLASSPATH:
        path, fresh = fetch(artifact, stack.cache_dir, stack.maven_repository)
        jars.append(path)
        if fresh:
            downloaded.append(artifact.filename)
    return jars, tuple(downloaded)


def find_kafka_java() -> Path:
    """Kafka 4 brokers need Java 17 or newer (KIP-1013)."""
    return find_java(
        f"Kafka {KAFKA_VERSION}",
        17,
        None,
        None,
        "JAVA_HOME",
        "apt-get install openjdk-17-jdk-headless",
    )


# --- configuration -----------------------------------------------------------------------


def server_properties(layout: KafkaLayout, port: int) -> dict[str, str]:
    """The broker's `server.properties`: KRaft, broker and controller in one, loopback only."""
    controller = f"{HOST}:{port + 1}"
    return {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        "controller.quorum.voters": f"{NODE_ID}@{controller}",
        "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{controller}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "log.dirs": str(layout.data_dir),
        **SINGLE_NODE,
    }


def render(layout: KafkaLayout, port: int) -> None:
    layout.root.mkdir(parents=True, exist_ok=True)
    properties = server_properties(layout, port)
    layout.properties.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
    layout.log4j.write_text(LOG4J)


def cluster_id() -> str:
    """A new cluster id as `kafka-storage random-uuid` prints it (URL-safe base64 of a
    random UUID), without starting a JVM; never starting with '-', which Kafka avoids."""
    while True:
        found = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not found.startswith("-"):
            return found


def _java_argv(java: Path, jars: list[Path], layout: KafkaLayout) -> list[str]:
    return [
        str(java / "bin" / "java"),
        *JVM_OPTIONS,
        f"-Dlog4j2.configurationFile={layout.log4j}",
        "-cp",
        ":".join(str(jar) for jar in jars),
    ]


def format_storage(settings: Settings, java: Path, jars: list[Path]) -> None:
    """`kafka-storage format` once: a new cluster id, the controller's voter set."""
    layout = KafkaLayout(settings.home)
    if layout.formatted:
        return
    run_once(
        "kafka-storage-format",
        [
            *_java_argv(java, jars, layout),
            STORAGE_TOOL_MAIN,
            "format",
            "--cluster-id",
            cluster_id(),
            "--config",
            str(layout.properties),
        ],
        settings.home,
    )


# --- the server --------------------------------------------------------------------------


def broker_answers(bootstrap_servers: str, timeout_s: float = 2.0) -> bool:
    """Whether the broker answers a metadata request and lists itself."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})
    return bool(admin.list_topics(timeout=timeout_s).brokers)


def _ready(port: int) -> Callable[[], bool]:
    def ready() -> bool:
        return port_open(port) and broker_answers(f"{HOST}:{port}")

    return ready


def build_server(settings: Settings, java: Path, jars: list[Path]) -> Server:
    layout = KafkaLayout(settings.home)
    port = settings.local_stack.kafka_port
    return Server(
        name=NAME,
        argv=[*_java_argv(java, jars, layout), KAFKA_MAIN, str(layout.properties)],
        home=settings.home,
        ready=_ready(port),
        marker=str(layout.properties),
        config_files=[layout.properties, layout.log4j],
    )


# --- up, down, status --------------------------------------------------------------------


def up(settings: Settings, timeout_s: float = START_TIMEOUT_S) -> LocalKafka:
    """Start the broker unless it runs with this configuration (idempotent); wait until it
    answers a metadata request."""
    started_at = time.monotonic()
    stack = settings.local_stack
    layout = KafkaLayout(settings.home)
    jars, downloaded = install(stack)
    java = find_kafka_java()
    render(layout, stack.kafka_port)
    server = build_server(settings, java, jars)
    started = not server.is_current()
    if started:
        server.stop()
        for port in (stack.kafka_port, stack.kafka_port + 1):
            if port_open(port):
                raise ServerError(
                    f"kafka: port {HOST}:{port} is taken by another program; "
                    "set KAFKA_LOCAL_PORT (the controller takes the next port)"
                )
        format_storage(settings, java, jars)
        server.spawn()
    server.wait_ready(timeout_s)
    return LocalKafka(bootstrap(stack), started, downloaded, time.monotonic() - started_at)


def down(settings: Settings) -> bool:
    """Stop exactly the broker kafka-local started (by its PID file); the data stays."""
    return Server.recorded(settings.home, NAME).stop()


def status(settings: Settings) -> int | None:
    """The broker's PID, None when it is not running."""
    return Server.recorded(settings.home, NAME).pid()


def running(settings: Settings) -> str | None:
    """The running broker's bootstrap address, None when it is down."""
    return bootstrap(settings.local_stack) if status(settings) else None
