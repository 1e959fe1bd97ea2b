"""`make trino-local`: the stack's Trino side on this machine, without Docker.

Five kinds of process, each a `process.Server` under `SME_PULSE_HOME`:

* `s3` — S3Proxy on a folder (`trino-local/s3/`), standing in for MinIO: no MinIO server
  is published in any package registry, and S3Proxy persists objects across restarts;
* `postgres` — the metastore's database (Debian's PostgreSQL, `trino-local/postgres/`);
* `metastore` — the real Hive standalone metastore, on JDK 17 (Hadoop 3.3 breaks on ≥ 23),
  configured from `hive/metastore-site.xml`;
* `trino` — the coordinator, configured from `trino/etc/` on JDK ≥ 24;
* `trino-worker-N` — workers from `trino/worker/`; with at least one, the coordinator
  schedules no work itself, as the compose `scale` profile runs it.

Only host names, ports and folders differ from the compose files; the rendered copies sit
in `trino-local/` so an operator can read what runs. Secrets (the S3 key, the metastore
database password) are generated on first start into `trino-local/secrets.env` (mode 600).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sme_pulse.config import LocalStackSettings, Settings
from sme_pulse.servers import pins, postgres
from sme_pulse.servers.artifacts import Artifact, fetch, unpack
from sme_pulse.servers.java import find_java
from sme_pulse.servers.local_config import (
    HOST,
    Layout,
    load_secrets,
    render_metastore,
    render_s3proxy,
    render_trino,
)
from sme_pulse.servers.metastore_jars import METASTORE_CLASSPATH
from sme_pulse.servers.process import Server, ServerError, port_open, run_once

START_TIMEOUT_S = 300.0
METASTORE_MAIN = "org.apache.hadoop.hive.metastore.HiveMetaStore"
SCHEMATOOL_MAIN = "org.apache.hadoop.hive.metastore.tools.schematool.MetastoreSchemaTool"


@dataclass(frozen=True)
class Installed:
    trino_home: Path
    metastore_home: Path
    s3proxy_jar: Path
    downloaded: tuple[str, ...]


@dataclass(frozen=True)
class LocalTrino:
    """A running trino-local, as clients address it."""

    trino_url: str
    s3_endpoint: str
    bucket: str
    access_key: str
    secret_key: str
    started: tuple[str, ...]
    downloaded: tuple[str, ...]
    seconds: float

    def client_env(self, region: str = "us-east-1") -> dict[str, str]:
        """The settings that point the pipeline (DAGs, dbt, CLI) at this Trino and lake."""
        port = self.trino_url.rsplit(":", 1)[1]
        return {
            "DBT_TARGET": "trino",
            "TRINO_HOST": HOST,
            "TRINO_PORT": port,
            "LAKE_URI": f"s3://{self.bucket}",
            "S3_ENDPOINT_URL": self.s3_endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": region,
        }


# --- installation ------------------------------------------------------------------------


def install(stack: LocalStackSettings) -> Installed:
    """Fetch (once) and unpack (once) every pinned server; returns where they are."""
    cache, repo = stack.cache_dir, stack.maven_repository
    servers = cache / "servers"
    servers.mkdir(parents=True, exist_ok=True)
    downloaded: list[str] = []

    def get(artifact: Artifact) -> Path:
        path, fresh = fetch(artifact, cache, repo)
        if fresh:
            downloaded.append(artifact.filename)
        return path

    trino_home = servers / f"trino-server-{pins.TRINO_VERSION}"
    if not trino_home.exists():
        core = trino_home.with_name(f".{trino_home.name}.core")
        shutil.rmtree(core, ignore_errors=True)
        unpack(get(pins.TRINO_CORE), core)
        for name, artifact in pins.TRINO_PLUGINS.items():
            unpack(get(artifact), core / "plugin" / name)
        core.rename(trino_home)

    metastore_home = servers / f"hive-metastore-{pins.METASTORE_VERSION}"
    if not metastore_home.exists():
        staging = metastore_home.with_name(f".{metastore_home.name}.staging")
        shutil.rmtree(staging, ignore_errors=True)
        unpack(get(pins.METASTORE), staging)
        # The archive's PostgreSQL driver predates the CVE-2025-49146 fix; ours replaces it.
        for stale in (staging / "lib").glob("postgresql-*.jar"):
            stale.unlink()
        extra = staging / "extra-lib"
        extra.mkdir()
        for artifact in METASTORE_CLASSPATH:
            shutil.copy2(get(artifact), extra / artifact.filename)
        staging.rename(metastore_home)

    return Installed(trino_home, metastore_home, get(pins.S3PROXY), tuple(downloaded))


# --- the servers -------------------------------------------------------------------------


def _trino_ready(port: int, workers: int | None = None) -> Callable[[], bool]:
    def ready() -> bool:
        info = httpx.get(f"http://{HOST}:{port}/v1/info", timeout=2.0).json()
        if info.get("starting", True):
            return False
        if workers is None:
            return True
        return active_nodes(port) >= workers + 1 and runs_on_a_worker(port)

    return ready


def _cursor(port: int) -> Any:
    """A cursor whose queries fail within a second when no worker is there, instead of
    waiting the coordinator's five minutes for one (a readiness probe must not hang)."""
    import trino

    return trino.dbapi.connect(
        host=HOST,
        port=port,
        user="sme_pulse",
        session_properties={"required_workers_max_wait_time": "1s"},
    ).cursor()


def active_nodes(port: int) -> int:
    cursor = _cursor(port)
    cursor.execute("select count(*) from system.runtime.nodes where state = 'active'")
    return int(cursor.fetchone()[0])


def runs_on_a_worker(port: int) -> bool:
    """Whether the scheduler places work on a worker now, not only lists one.

    `system.runtime.nodes` and the node scheduler read the worker list separately (the
    scheduler keeps its own copy for a few seconds), so the first real query could still
    fail with NO_NODES_AVAILABLE right after the node table showed the worker. A query with
    no catalog has a fragment only a worker may run, since the coordinator excludes itself.
    """
    cursor = _cursor(port)
    cursor.execute("select count(*) from (values 1, 2)")
    return int(cursor.fetchone()[0]) == 2


CATALOG_PROBES = {
    "hive": "select count(*) from hive.information_schema.schemata",
    "iceberg": "select count(*) from iceberg.information_schema.schemata",
}
"""A query through each catalog of trino/etc/catalog; it runs only on a worker serving it."""


def _wait_catalogs_on_workers(port: int, timeout_s: float) -> None:
    """Wait until each catalog's queries are scheduled on a worker.

    The coordinator learns which catalogs a worker serves from its announcements, apart
    from the worker list `runs_on_a_worker` checks, so right after a start a query through
    `hive` could still fail with NO_NODES_AVAILABLE. Runs once the metastore is up.
    """
    deadline = time.monotonic() + timeout_s
    for catalog, probe in CATALOG_PROBES.items():
        while True:
            try:
                cursor = _cursor(port)
                cursor.execute(probe)
                cursor.fetchone()
                break
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise ServerError(
                        f"trino: catalog {catalog} not served by a worker after {timeout_s:.0f} s"
                        f" ({exc})"
                    ) from exc
                time.sleep(1.0)


def _s3_ready(stack: LocalStackSettings) -> Callable[[], bool]:
    def ready() -> bool:
        return httpx.get(f"http://{HOST}:{stack.s3_port}/", timeout=2.0).status_code < 500

    return ready


def _ensure_bucket(stack: LocalStackSettings, keys: Mapping[str, str]) -> None:
    import pyarrow.fs as pafs

    fs = pafs.S3FileSystem(
        access_key=keys["AWS_ACCESS_KEY_ID"],
        secret_key=keys["AWS_SECRET_ACCESS_KEY"],
        endpoint_override=f"{HOST}:{stack.s3_port}",
        scheme="http",
        region="us-east-1",
        allow_bucket_creation=True,
    )
    if fs.get_file_info(stack.bucket).type == pafs.FileType.NotFound:
        fs.create_dir(stack.bucket)


def find_trino_java(stack: LocalStackSettings) -> Path:
    return find_java(
        f"Trino {pins.TRINO_VERSION}",
        24,
        None,
        stack.trino_java_home,
        "TRINO_JAVA_HOME",
        "Eclipse Temurin 25: package temurin-25-jdk from Adoptium's Debian repository",
    )


def _metastore_java(stack: LocalStackSettings) -> Path:
    """Hadoop 3.3 calls `Subject.getSubject`, which JDK 23 and later refuse."""
    return find_java(
        f"The Hive metastore {pins.METASTORE_VERSION} (Hadoop {pins.HADOOP_VERSION})",
        17,
        22,
        stack.metastore_java_home,
        "METASTORE_JAVA_HOME",
        "apt-get install openjdk-17-jdk-headless",
    )


def _java(home: Path) -> str:
    return str(home / "bin" / "java")


def build_servers(
    settings: Settings, installed: Installed, keys: Mapping[str, str]
) -> dict[str, Server]:
    """Every server trino-local runs, by name, in start order."""
    stack, home = settings.local_stack, settings.home
    layout = Layout(home)
    trino_java = find_trino_java(stack)
    metastore_java = _metastore_java(stack)
    s3_conf = render_s3proxy(stack, layout, keys)
    servers: dict[str, Server] = {
        "s3": Server(
            name="s3",
            argv=[
                _java(metastore_java),
                "-Xmx256m",
                "-jar",
                str(installed.s3proxy_jar),
                "--properties",
                str(s3_conf),
            ],
            home=home,
            ready=_s3_ready(stack),
            marker=str(s3_conf),
            config_files=[s3_conf],
        ),
        "postgres": postgres.server(stack, layout),
    }
    servers["metastore"] = _metastore(settings, installed, keys, metastore_java)
    return _with_trino(servers, settings, installed, keys, trino_java)


def _metastore_java_args(
    stack: LocalStackSettings, installed: Installed, keys: Mapping[str, str], conf: Path
) -> list[str]:
    """JVM flags, JDBC settings (as start-metastore.sh passes them) and classpath."""
    db_url = f"jdbc:postgresql://{HOST}:{stack.postgres_port}/metastore"
    metastore_props = [
        "-Djavax.jdo.option.ConnectionDriverName=org.postgresql.Driver",
        f"-Djavax.jdo.option.ConnectionURL={db_url}",
        "-Djavax.jdo.option.ConnectionUserName=hive",
        f"-Djavax.jdo.option.ConnectionPassword={keys['HIVE_METASTORE_DB_PASSWORD']}",
        f"-Dmetastore.warehouse.dir=s3a://{stack.bucket}/warehouse",
    ]
    classpath = ":".join(
        [
            str(conf),
            str(installed.metastore_home / "lib" / "*"),
            str(installed.metastore_home / "extra-lib" / "*"),
        ]
    )
    return [*metastore_props, "-cp", classpath]


def schematool_argv(
    settings: Settings, installed: Installed, keys: Mapping[str, str], java: Path
) -> list[str]:
    """`schematool -initOrUpgradeSchema`: creates the schema once, upgrades it, else no-op."""
    conf = Layout(settings.home).metastore_dir / "conf"
    return [
        _java(java),
        *_metastore_java_args(settings.local_stack, installed, keys, conf),
        SCHEMATOOL_MAIN,
        "-dbType",
        "postgres",
        "-initOrUpgradeSchema",
    ]


def _metastore(
    settings: Settings, installed: Installed, keys: Mapping[str, str], java: Path
) -> Server:
    stack = settings.local_stack
    conf = render_metastore(stack, Layout(settings.home))
    log4j = installed.metastore_home / "conf" / "metastore-log4j2.properties"
    metastore_env = {
        "AWS_ACCESS_KEY_ID": keys["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": keys["AWS_SECRET_ACCESS_KEY"],
    }
    return Server(
        name="metastore",
        argv=[
            _java(java),
            "-Xmx1g",
            "-Djava.net.preferIPv4Stack=true",
            f"-Dlog4j.configurationFile={log4j}",
            f"-Dmetastore.log.dir={settings.home / 'logs'}",
            "-Dmetastore.log.file=metastore-server.log",
            *_metastore_java_args(stack, installed, keys, conf),
            METASTORE_MAIN,
            "-p",
            str(stack.metastore_port),
        ],
        home=settings.home,
        ready=lambda: port_open(stack.metastore_port),
        env=metastore_env,
        marker=str(conf),
        config_files=[conf / "metastore-site.xml"],
    )


def _with_trino(
    servers: dict[str, Server],
    settings: Settings,
    installed: Installed,
    keys: Mapping[str, str],
    trino_java: Path,
) -> dict[str, Server]:
    stack, home = settings.local_stack, settings.home
    layout = Layout(home)
    trino_env = {
        "JAVA_HOME": str(trino_java),
        "PATH": f"{trino_java / 'bin'}:{os.environ.get('PATH', '')}",
        "AWS_REGION": settings.s3.region,
        "AWS_ACCESS_KEY_ID": keys["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": keys["AWS_SECRET_ACCESS_KEY"],
        "ICEBERG_MIN_RETENTION": settings.iceberg.min_retention,
    }
    launcher = str(installed.trino_home / "bin" / "launcher")
    nodes = [("trino", stack.trino_port, True)] + [
        (f"trino-worker-{i}", stack.trino_port + i, False)
        for i in range(1, stack.trino_workers + 1)
    ]
    for node, port, coordinator in nodes:
        etc = render_trino(stack, layout, node, port, coordinator)
        data = layout.trino_dir(node) / "data"
        servers[node] = Server(
            name=node,
            argv=[
                launcher,
                "run",
                f"--etc-dir={etc}",
                f"--data-dir={data}",
            ],
            home=home,
            ready=_trino_ready(port, stack.trino_workers if coordinator else None),
            # The scale layout when there are workers: they work, the coordinator plans.
            env={**trino_env, "TRINO_INCLUDE_COORDINATOR": str(not stack.trino_workers).lower()},
            marker=str(etc),
            config_files=sorted(p for p in etc.rglob("*") if p.is_file()),
            # The launcher refuses to start while its own PID file names a live process.
            own_pid_files=[data / "var" / "run" / "launcher.pid"],
        )
    return servers


# --- up, down, status --------------------------------------------------------------------


def up(settings: Settings, timeout_s: float = START_TIMEOUT_S) -> LocalTrino:
    """Start whatever is not running (idempotent) and wait until every server answers.

    The JVMs start together — Trino does not reach the metastore until a query needs it —
    and the metastore last, once its database is there and its schema is current.
    """
    started_at = time.monotonic()
    stack, layout = settings.local_stack, Layout(settings.home)
    installed = install(stack)
    keys = load_secrets(layout)
    postgres.init(stack, layout, keys["HIVE_METASTORE_DB_PASSWORD"])
    servers = build_servers(settings, installed, keys)
    started = [name for name, server in servers.items() if not server.is_current()]
    for name in started:
        if name != "metastore":
            servers[name].ensure_started()
    servers["postgres"].wait_ready(timeout_s)
    if "metastore" in started:
        postgres.ensure_database(stack, layout, keys["HIVE_METASTORE_DB_PASSWORD"])
        metastore_java = _metastore_java(stack)
        run_once(
            "metastore-schematool",
            schematool_argv(settings, installed, keys, metastore_java),
            settings.home,
            # schematool finds its SQL scripts under METASTORE_HOME/scripts.
            {"METASTORE_HOME": str(installed.metastore_home)},
        )
        servers["metastore"].ensure_started()
    servers["s3"].wait_ready(timeout_s)
    _ensure_bucket(stack, keys)
    for server in servers.values():
        server.wait_ready(timeout_s)
    if stack.trino_workers:
        _wait_catalogs_on_workers(stack.trino_port, timeout_s)
    return _addressed(
        stack, keys, tuple(started), installed.downloaded, time.monotonic() - started_at
    )


def _recorded_servers(settings: Settings) -> list[Server]:
    """Every server trino-local recorded a PID file for, workers first, the lake last."""
    pid_dir = settings.home / "servers"
    workers = sorted(p.stem for p in pid_dir.glob("trino-worker-*.pid"))
    names = [*reversed(workers), "trino", "metastore", "postgres", "s3"]
    return [Server.recorded(settings.home, name) for name in names]


def down(settings: Settings) -> list[str]:
    """Stop exactly what trino-local started (by PID file); the data stays."""
    return [server.name for server in _recorded_servers(settings) if server.stop()]


def status(settings: Settings) -> dict[str, int | None]:
    """PID of each trino-local server, None where it is not running."""
    return {server.name: server.pid() for server in _recorded_servers(settings)}


def running(settings: Settings) -> LocalTrino | None:
    """The running trino-local as clients address it, None when its coordinator is down."""
    pids = status(settings)
    if not pids.get("trino"):
        return None
    return _addressed(settings.local_stack, load_secrets(Layout(settings.home)), (), (), 0.0)


def _addressed(
    stack: LocalStackSettings,
    keys: Mapping[str, str],
    started: tuple[str, ...],
    downloaded: tuple[str, ...],
    seconds: float,
) -> LocalTrino:
    return LocalTrino(
        trino_url=f"http://{HOST}:{stack.trino_port}",
        s3_endpoint=f"http://{HOST}:{stack.s3_port}",
        bucket=stack.bucket,
        access_key=keys["AWS_ACCESS_KEY_ID"],
        secret_key=keys["AWS_SECRET_ACCESS_KEY"],
        started=started,
        downloaded=downloaded,
        seconds=seconds,
    )
