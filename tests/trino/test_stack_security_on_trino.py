"""The stack's Trino security files, on the real Trino: logins over TLS, least privilege.

The compose stack cannot run here, so this starts one more Trino 476 (the pinned server
`make trino-local` uses) with exactly what `trino-init` writes for the stack: the
coordinator config with `trino/secure/` appended, the bcrypt password file, the
self-signed PEM keystore, `trino/secure/rules.json`. Only container paths and ports are
rewritten. The catalogs carry the stack's names over a local folder and Trino's file
metastore, so the rules are exercised without a metastore server or S3.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sme_pulse.config import Settings, TrinoSettings
from sme_pulse.servers import trino_local
from sme_pulse.servers.process import Server, free_port
from sme_pulse.stack import trino_auth
from trino.exceptions import TrinoUserError

import trino

pytestmark = pytest.mark.trino

REPO = Path(__file__).resolve().parents[2]
# Throwaway logins of a server that lives for this module only.
PASSWORDS = {
    "TRINO_PIPELINE_PASSWORD": "pipeline-login-for-the-test",  # pragma: allowlist secret
    "TRINO_METABASE_PASSWORD": "metabase-login-for-the-test",  # pragma: allowlist secret
    "TRINO_SMOKE_PASSWORD": "smoke-login-for-the-test",  # pragma: allowlist secret
}
SHARED_SECRET = "internal-secret-for-the-secure-test"  # pragma: allowlist secret
START_TIMEOUT_S = 240.0


@dataclass
class SecureTrino:
    http_port: int
    https_port: int
    ca_file: Path

    def cursor(self, user: str, password: str, ca_file: Path | None = None) -> Any:
        """A login as the package's clients make it (`TrinoSettings.connect_args`)."""
        login = TrinoSettings("localhost", self.https_port, user, password, ca_file or self.ca_file)
        return trino.dbapi.connect(**login.connect_args()).cursor()

    def run(self, user: str, password: str, sql: str) -> list[tuple[Any, ...]]:
        cursor = self.cursor(user, password)
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]


def _etc(work: Path, http_port: int, https_port: int) -> Path:
    """Trino's etc folder as `trino-init` renders it, with this machine's paths and ports."""
    layout = trino_auth.Layout(project=REPO / "trino", secure_dir=work / "secure", ca_dir=work)
    trino_auth.write_all(PASSWORDS, layout)
    etc = work / "etc"
    (etc / "catalog").mkdir(parents=True)
    paths = {"/etc/trino/secure/": f"{work / 'secure'}/", "/etc/trino/": f"{etc}/"}

    def local(text: str) -> str:
        for container, here in paths.items():
            text = text.replace(container, here)
        return text

    config = local((work / "secure" / "coordinator.properties").read_text())
    config = config.replace("http-server.https.port=8443", f"http-server.https.port={https_port}")
    config = config.replace("http-server.http.port=8080", f"http-server.http.port={http_port}")
    config = config.replace(
        "discovery.uri=http://localhost:8080", f"discovery.uri=http://127.0.0.1:{http_port}"
    )
    (etc / "config.properties").write_text(config)
    for name in ("access-control.properties", "password-authenticator.properties"):
        (etc / name).write_text(local((REPO / "trino" / "secure" / name).read_text()))
    shutil.copy(REPO / "trino" / "secure" / "rules.json", etc / "rules.json")
    shutil.copy(REPO / "trino" / "etc" / "jvm.config", etc / "jvm.config")
    (etc / "node.properties").write_text(
        f"node.environment=sme_pulse\nnode.id=secure-test\nnode.data-dir={work / 'data'}\n"
    )
    for catalog in ("iceberg", "hive"):
        (work / "lake" / catalog).mkdir(parents=True)
        (etc / "catalog" / f"{catalog}.properties").write_text(
            "connector.name=hive\nhive.metastore=file\nhive.metastore.catalog.dir=local:///\n"
            f"fs.native-local.enabled=true\nlocal.location={work / 'lake' / catalog}\n"
        )
    return etc


@pytest.fixture(scope="module")
def secure_trino(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureTrino]:
    settings = Settings.from_env()
    installed = trino_local.install(settings.local_stack)
    java = trino_local.find_trino_java(settings.local_stack)
    work = tmp_path_factory.mktemp("secure-trino")
    http_port, https_port = free_port(), free_port()
    etc = _etc(work, http_port, https_port)

    def ready() -> bool:
        info = httpx.get(f"http://127.0.0.1:{http_port}/v1/info", timeout=2.0).json()
        return not info.get("starting", True)

    server = Server(
        name="trino-secure-test",
        argv=[
            str(installed.trino_home / "bin" / "launcher"),
            "run",
            f"--etc-dir={etc}",
            f"--data-dir={work / 'data'}",
        ],
        home=work,
        ready=ready,
        env={
            "JAVA_HOME": str(java),
            "PATH": f"{java / 'bin'}:/usr/bin:/bin",
            "TRINO_INCLUDE_COORDINATOR": "true",
            "TRINO_SHARED_SECRET": SHARED_SECRET,
        },
        # The launcher execs Java: the etc folder is what names this server's process.
        marker=str(etc),
        own_pid_files=[work / "data" / "var" / "run" / "launcher.pid"],
    )
    try:
        server.start(START_TIMEOUT_S)
        yield SecureTrino(http_port, https_port, work / "trino-ca.pem")
    finally:
        server.stop()


def test_logins_are_required_and_only_over_verified_tls(
    secure_trino: SecureTrino, tmp_path: Path
) -> None:
    pipeline = ("sme_pulse", PASSWORDS["TRINO_PIPELINE_PASSWORD"])
    assert secure_trino.run(*pipeline, "select 1") == [(1,)]
    with pytest.raises(trino.exceptions.HttpError, match="401"):
        secure_trino.run("sme_pulse", "not-the-password", "select 1")
    # Plain HTTP answers the health check, and refuses any query: no login there.
    health = httpx.get(f"http://127.0.0.1:{secure_trino.http_port}/v1/info", timeout=5.0)
    assert health.status_code == 200
    anonymous = trino.dbapi.connect(host="127.0.0.1", port=secure_trino.http_port, user="x")
    with pytest.raises(trino.exceptions.HttpError):
        anonymous.cursor().execute("select 1")
    # A client that does not trust this certificate never sends its password.
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_bytes(trino_auth.self_signed_pem()[1])
    with pytest.raises(trino.exceptions.TrinoConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        secure_trino.cursor(*pipeline, ca_file=other_ca).execute("select 1")


def test_metabase_and_smoke_read_gold_and_nothing_else(
    secure_trino: SecureTrino,
) -> None:
    pipeline = ("sme_pulse", PASSWORDS["TRINO_PIPELINE_PASSWORD"])
    for statement in (
        "create schema if not exists iceberg.gold",
        "create schema if not exists iceberg.silver",
        "create table if not exists iceberg.gold.revenue as select 1 as month, 100 as vnd",
        "create table if not exists iceberg.silver.lines as select 1 as line",
    ):
        secure_trino.run(*pipeline, statement)
    for user, var in (("metabase", "TRINO_METABASE_PASSWORD"), ("smoke", "TRINO_SMOKE_PASSWORD")):
        login = (user, PASSWORDS[var])
        assert secure_trino.run(*login, "select vnd from iceberg.gold.revenue") == [(100,)]
        for denied in (
            "insert into iceberg.gold.revenue values (2, 200)",
            "select * from iceberg.silver.lines",
            "create table iceberg.gold.mine as select 1 as x",
            "select * from hive.information_schema.schemata",
        ):
            with pytest.raises(TrinoUserError, match="Access Denied"):
                secure_trino.run(*login, denied)
    assert secure_trino.run(*pipeline, "select line from iceberg.silver.lines") == [(1,)]
