"""The metastore's PostgreSQL: Debian's server binaries, a data folder of trino-local's.

Initialised once with `hive` as its only (password) user; run in the foreground as a
`process.Server`. PostgreSQL refuses to run as root, so as root it runs as Debian's
`postgres` account, which then owns its folder.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
from pathlib import Path

from sme_pulse.config import LocalStackSettings
from sme_pulse.servers.local_config import HOST, Layout
from sme_pulse.servers.process import Server, ServerError, run_once

PG_BIN_ROOT = Path("/usr/lib/postgresql")


def bin_dir() -> Path:
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


def run_as() -> str | None:
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


def init(stack: LocalStackSettings, layout: Layout, password: str) -> None:
    """initdb once: the superuser is `hive`, password auth on loopback."""
    data = layout.postgres_dir / "data"
    if (data / "PG_VERSION").exists():
        return
    user = run_as()
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
                str(bin_dir() / "initdb"),
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


def ready(stack: LocalStackSettings) -> bool:
    result = subprocess.run(
        [str(bin_dir() / "pg_isready"), "-q", "-h", HOST, "-p", str(stack.postgres_port)],
        check=False,
    )
    return result.returncode == 0


def ensure_database(stack: LocalStackSettings, layout: Layout, password: str) -> None:
    env = {"PGPASSWORD": password}
    psql = [
        str(bin_dir() / "psql"),
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


def server(stack: LocalStackSettings, layout: Layout) -> Server:
    return Server(
        name="postgres",
        argv=[
            str(bin_dir() / "postgres"),
            "-D",
            str(layout.postgres_dir / "data"),
            "-p",
            str(stack.postgres_port),
            "-k",
            str(layout.postgres_dir),
            "-c",
            f"listen_addresses={HOST}",
        ],
        home=layout.home,
        ready=lambda: ready(stack),
        user=run_as(),
        # Fast shutdown: smart shutdown would wait for the metastore to disconnect.
        stop_signal=signal.SIGINT,
        marker=str(layout.postgres_dir / "data"),
    )
