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
import pwd
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from sme_pulse.config import REPO_ROOT, LocalStackSettings, Settings
from sme_pulse.servers import pins
from sme_pulse.servers.artifacts import Artifact, fetch, unpack
from sme_pulse.servers.java import find_java
from sme_pulse.servers.process import Server, ServerError, port_open, run_once

HOST = "127.0.0.1"
START_TIMEOUT_S = 300.0
PG_BIN_ROOT = Path("/usr/lib/postgresql")
METASTORE_MAIN = "org.apache.hadoop.hive.metastore.HiveMetaStore"
SCHEMATOOL_MAIN = "org.apache.hadoop.hive.metastore.tools.schematool.MetastoreSchemaTool"


@dataclass(frozen=True)
class Layout:
    """Where trino-local keeps its data, rendered configuration and secrets."""

    home: Path

    @property
    def root(self) -> Path:
        return self.home / "trino-local"

    @property
    def s3_dir(self) -> Path:
        return self.root / "s3"

    @property
    def postgres_dir(self) -> Path:
        return self.root / "postgres"

    @property
    def metastore_dir(self) -> Path:
        return self.root / "metastore"

    def trino_dir(self, node: str) -> Path:
        return self.root / node

    @property
    def secrets_file(self) -> Path:
        return self.root / "secrets.env"


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


def _extra_metastore_jars() -> tuple[Artifact, ...]:
    from sme_pulse.servers.metastore_jars import METASTORE_CLASSPATH

    return METASTORE_CLASSPATH


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
        for artifact in _extra_metastore_jars():
            shutil.copy2(get(artifact), extra / artifact.filename)
        staging.rename(metastore_home)

    return Installed(trino_home, metastore_home, get(pins.S3PROXY), tuple(downloaded))


# --- secrets and rendered configuration --------------------------------------------------


def load_secrets(layout: Layout) -> dict[str, str]:
    """The generated credentials, created on first use and kept for the data they guard."""
    path = layout.secrets_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        values = {
            "AWS_ACCESS_KEY_ID": f"local{secrets.token_hex(8)}",
            "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30),
            "HIVE_METASTORE_DB_PASSWORD": secrets.token_urlsafe(24),
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.writelines(f"{k}={v}\n" for k, v in values.items())
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def _render(source: Path, target: Path, replacements: Mapping[str, str]) -> None:
    """Copy `source` with host names, ports and folders replaced; fail if one is missing."""
    text = source.read_text()
    for old, new in replacements.items():
        if old not in text:
            raise ServerError(f"{source} no longer contains {old!r}; update trino_local.py")
        text = text.replace(old, new)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def render_trino(
    stack: LocalStackSettings, layout: Layout, node: str, port: int, coordinator: bool
) -> Path:
    """`trino-local/<node>/etc` from `trino/etc` (coordinator) or `trino/worker` (worker)."""
    etc = layout.trino_dir(node) / "etc"
    shutil.rmtree(etc, ignore_errors=True)
    project = REPO_ROOT / "trino"
    discovery = f"http://{HOST}:{stack.trino_port}"
    if coordinator:
        _render(
            project / "etc" / "config.properties",
            etc / "config.properties",
            {
                "http-server.http.port=8080": f"http-server.http.port={port}",
                "discovery.uri=http://localhost:8080": f"discovery.uri={discovery}",
            },
        )
    else:
        _render(
            project / "worker" / "config.properties",
            etc / "config.properties",
            {
                "http-server.http.port=8080": f"http-server.http.port={port}",
                "discovery.uri=http://trino:8080": f"discovery.uri={discovery}",
            },
        )
    _render(
        project / "etc" / "node.properties",
        etc / "node.properties",
        {"node.data-dir=/data/trino": f"node.data-dir={layout.trino_dir(node) / 'data'}"},
    )
    _render(project / "etc" / "jvm.config", etc / "jvm.config", {})
    for catalog in ("hive", "iceberg"):
        _render(
            project / "etc" / "catalog" / f"{catalog}.properties",
            etc / "catalog" / f"{catalog}.properties",
            {
                "thrift://hive-metastore:9083": f"thrift://{HOST}:{stack.metastore_port}",
                "http://minio:9000": f"http://{HOST}:{stack.s3_port}",
            },
        )
    return etc


def render_metastore(stack: LocalStackSettings, layout: Layout) -> Path:
    conf = layout.metastore_dir / "conf"
    shutil.rmtree(conf, ignore_errors=True)
    _render(
        REPO_ROOT / "hive" / "metastore-site.xml",
        conf / "metastore-site.xml",
        {
            "<value>9083</value>": f"<value>{stack.metastore_port}</value>",
            "http://minio:9000": f"http://{HOST}:{stack.s3_port}",
        },
    )
    return conf


def render_s3proxy(stack: LocalStackSettings, layout: Layout, keys: Mapping[str, str]) -> Path:
    conf = layout.root / "s3proxy.properties"
    layout.s3_dir.mkdir(parents=True, exist_ok=True)
    lines = {
        "s3proxy.endpoint": f"http://{HOST}:{stack.s3_port}",
        "s3proxy.authorization": "aws-v2-or-v4",
        "s3proxy.identity": keys["AWS_ACCESS_KEY_ID"],
        "s3proxy.credential": keys["AWS_SECRET_ACCESS_KEY"],
        "jclouds.provider": "filesystem",
        "jclouds.filesystem.basedir": str(layout.s3_dir),
        # Trino's S3 client lists with `x-amz-optional-object-attributes`, which S3Proxy
        # would otherwise refuse; MinIO ignores it too.
        "s3proxy.ignore-unknown-headers": "true",
    }
    fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.writelines(f"{k}={v}\n" for k, v in lines.items())
    return conf


# --- the servers -------------------------------------------------------------------------


def _postgres_bin() -> Path:
    versions = sorted(
        (p for p in PG_BIN_ROOT.glob("*/bin") if (p / "postgres").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not versions:
        raise ServerError(
            "PostgreSQL server not found under /usr/lib/postgresql: "
            "`apt-get install postgresql` (the metastore keeps its catalog there)"
        )
    return versions[-1]


def _postgres_user() -> str | None:
    """PostgreSQL refuses root: as root, run it as the `postgres` account Debian creates."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ServerError(
            "running as root needs the `postgres` account (apt-get install postgresql)"
        ) from exc
    return "postgres"


def _chown(path: Path, user: str | None) -> None:
    if user:
        shutil.chown(path, user, user)


def _init_postgres(stack: LocalStackSettings, layout: Layout, password: str) -> None:
    """initdb once: the superuser is `hive`, password auth on loopback."""
    data = layout.postgres_dir / "data"
    if (data / "PG_VERSION").exists():
        return
    user = _postgres_user()
    layout.postgres_dir.mkdir(parents=True, exist_ok=True)
    _chown(layout.postgres_dir, user)
    pwfile = layout.postgres_dir / ".pwfile"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o600)
    _chown(pwfile, user)
    try:
        run_once(
            "postgres-initdb",
            [
                str(_postgres_bin() / "initdb"),
                "-D",
                str(data),
                "-U",
                "hive",
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            layout.home,
            user=user,
        )
    finally:
        pwfile.unlink(missing_ok=True)


def _pg_ready(stack: LocalStackSettings) -> bool:
    result = subprocess.run(
        [str(_postgres_bin() / "pg_isready"), "-q", "-h", HOST, "-p", str(stack.postgres_port)],
        check=False,
    )
    return result.returncode == 0


def _ensure_database(stack: LocalStackSettings, layout: Layout, password: str) -> None:
    env = {"PGPASSWORD": password}
    psql = [
        str(_postgres_bin() / "psql"),
        "-h",
        HOST,
        "-p",
        str(stack.postgres_port),
        "-U",
        "hive",
        "-d",
        "postgres",
        "-tAc",
    ]
    exists = subprocess.run(
        [*psql, "select 1 from pg_database where datname = 'metastore'"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if exists.stdout.strip() != "1":
        run_once("postgres-createdb", [*psql, "create database metastore"], layout.home, env)


def _trino_ready(port: int, workers: int | None = None) -> Callable[[], bool]:
    def ready() -> bool:
        info = httpx.get(f"http://{HOST}:{port}/v1/info", timeout=2.0).json()
        if info.get("starting", True):
            return False
        if workers is None:
            return True
        return active_nodes(port) >= workers + 1

    return ready


def active_nodes(port: int) -> int:
    import trino

    cursor = trino.dbapi.connect(host=HOST, port=port, user="sme_pulse").cursor()
    cursor.execute("select count(*) from system.runtime.nodes where state = 'active'")
    return int(cursor.fetchone()[0])


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


def _java(home: Path) -> str:
    return str(home / "bin" / "java")


def build_servers(
    settings: Settings, installed: Installed, keys: Mapping[str, str]
) -> dict[str, Server]:
    """Every server trino-local runs, by name, in start order."""
    stack, home = settings.local_stack, settings.home
    layout = Layout(home)
    trino_java = find_java("Trino 476", 24, None, stack.trino_java_home, "TRINO_JAVA_HOME")
    metastore_java = find_java(
        "The Hive metastore (Hadoop 3.3)", 17, 22, stack.metastore_java_home, "METASTORE_JAVA_HOME"
    )
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
        "postgres": Server(
            name="postgres",
            argv=[
                str(_postgres_bin() / "postgres"),
                "-D",
                str(layout.postgres_dir / "data"),
                "-p",
                str(stack.postgres_port),
                "-k",
                str(layout.postgres_dir),
                "-c",
                f"listen_addresses={HOST}",
            ],
            home=home,
            ready=lambda: _pg_ready(stack),
            user=_postgres_user(),
            # Fast shutdown: smart shutdown would wait for the metastore to disconnect.
            stop_signal=signal.SIGINT,
            marker=str(layout.postgres_dir / "data"),
        ),
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
        servers[node] = Server(
            name=node,
            argv=[
                launcher,
                "run",
                f"--etc-dir={etc}",
                f"--data-dir={layout.trino_dir(node) / 'data'}",
            ],
            home=home,
            ready=_trino_ready(port, stack.trino_workers if coordinator else None),
            # The scale layout when there are workers: they work, the coordinator plans.
            env={**trino_env, "TRINO_INCLUDE_COORDINATOR": str(not stack.trino_workers).lower()},
            marker=str(etc),
            config_files=sorted(p for p in etc.rglob("*") if p.is_file()),
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
    _init_postgres(stack, layout, keys["HIVE_METASTORE_DB_PASSWORD"])
    servers = build_servers(settings, installed, keys)
    started = [name for name, server in servers.items() if not server.is_current()]
    for name in started:
        if name != "metastore":
            servers[name].ensure_started()
    servers["postgres"].wait_ready(timeout_s)
    if "metastore" in started:
        _ensure_database(stack, layout, keys["HIVE_METASTORE_DB_PASSWORD"])
        metastore_java = find_java(
            "The Hive metastore (Hadoop 3.3)",
            17,
            22,
            stack.metastore_java_home,
            "METASTORE_JAVA_HOME",
        )
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
    return LocalTrino(
        trino_url=f"http://{HOST}:{stack.trino_port}",
        s3_endpoint=f"http://{HOST}:{stack.s3_port}",
        bucket=stack.bucket,
        access_key=keys["AWS_ACCESS_KEY_ID"],
        secret_key=keys["AWS_SECRET_ACCESS_KEY"],
        started=tuple(started),
        downloaded=installed.downloaded,
        seconds=time.monotonic() - started_at,
    )


def _recorded_servers(settings: Settings) -> list[Server]:
    """Handles for every PID file trino-local may have written, newest layer first.

    Stopping needs no download, no Java and no configuration: only the PID files.
    """
    pid_dir = settings.home / "servers"
    workers = sorted(p.stem for p in pid_dir.glob("trino-worker-*.pid"))
    names = [*reversed(workers), "trino", "metastore", "postgres", "s3"]
    markers = {
        "s3": "s3proxy",
        "postgres": "postgres",
        "metastore": METASTORE_MAIN,
    }
    return [
        Server(
            name=name,
            argv=[name],
            home=settings.home,
            ready=lambda: True,
            marker=markers.get(name, "io.trino.server"),
            stop_signal=signal.SIGINT if name == "postgres" else signal.SIGTERM,
        )
        for name in names
    ]


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
    stack, keys = settings.local_stack, load_secrets(Layout(settings.home))
    return LocalTrino(
        trino_url=f"http://{HOST}:{stack.trino_port}",
        s3_endpoint=f"http://{HOST}:{stack.s3_port}",
        bucket=stack.bucket,
        access_key=keys["AWS_ACCESS_KEY_ID"],
        secret_key=keys["AWS_SECRET_ACCESS_KEY"],
        started=(),
        downloaded=(),
        seconds=0.0,
    )
