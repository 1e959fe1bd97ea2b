"""Trino's logins and rights in the stack: the files trino-init writes (bcrypt password
file, self-signed certificate, rendered configs), the least-privilege rules, and the
compose wiring that makes every client use them. Trino itself cannot start here, so the
rules are evaluated with Trino's documented first-match semantics."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import bcrypt
import pytest
from cryptography import x509
from sme_pulse.stack.trino_auth import (
    DNS_NAMES,
    Layout,
    TrinoAuthError,
    certificate_usable,
    hash_password,
    password_file,
    render_config,
    self_signed_pem,
    stack_logins,
    write_all,
)
from stack_policy import ROOT, load_compose, parse_properties

pytestmark = pytest.mark.unit

ENV = {
    "TRINO_PIPELINE_PASSWORD": "pipeline-login-0123456789",
    "TRINO_METABASE_PASSWORD": "metabase-login-0123456789",
    "TRINO_SMOKE_PASSWORD": "smoke-login-0123456789",
}
RULES = json.loads((ROOT / "trino/secure/rules.json").read_text())


def test_hashes_are_bcrypt_2y_of_at_least_trinos_minimum_cost() -> None:
    hashed = hash_password("pipeline-login-0123456789")
    match = re.fullmatch(r"\$2y\$(\d\d)\$[./A-Za-z0-9]{53}", hashed)
    assert match and int(match.group(1)) >= 8
    assert bcrypt.checkpw(b"pipeline-login-0123456789", hashed.encode())
    assert not bcrypt.checkpw(b"another-password-123", hashed.encode())
    with pytest.raises(TrinoAuthError, match="72 bytes"):
        hash_password("x" * 73)
    with pytest.raises(TrinoAuthError, match="minimum"):
        hash_password("pipeline-login-0123456789", cost=4)


def test_password_file_has_one_line_per_stack_user() -> None:
    lines = password_file(ENV, stack_logins(ENV)).splitlines()
    users = [line.split(":", 1)[0] for line in lines]
    assert users == ["sme_pulse", "metabase", "smoke"]
    for line, var in zip(
        lines,
        ["TRINO_PIPELINE_PASSWORD", "TRINO_METABASE_PASSWORD", "TRINO_SMOKE_PASSWORD"],
        strict=True,
    ):
        assert bcrypt.checkpw(ENV[var].encode(), line.split(":", 1)[1].encode())
        assert ENV[var] not in line


@pytest.mark.parametrize("weak", ["", "trino", "changeme", "short-12"])
def test_a_weak_trino_password_writes_nothing(weak: str) -> None:
    with pytest.raises(TrinoAuthError, match="TRINO_SMOKE_PASSWORD"):
        password_file({**ENV, "TRINO_SMOKE_PASSWORD": weak}, stack_logins(ENV))


def test_rendered_config_keeps_the_base_and_refuses_an_override() -> None:
    base = (ROOT / "trino/etc/config.properties").read_text()
    fragment = (ROOT / "trino/secure/coordinator.properties").read_text()
    rendered = parse_properties(render_config(base, fragment))
    assert parse_properties(base).items() <= rendered.items()
    assert rendered["http-server.authentication.type"] == "PASSWORD"
    assert rendered["http-server.https.enabled"] == "true"
    assert rendered["internal-communication.shared-secret"] == "${ENV:TRINO_SHARED_SECRET}"
    with pytest.raises(TrinoAuthError, match=r"query\.max-memory"):
        render_config(base, "query.max-memory=100GB\n")


def test_the_certificate_names_every_host_clients_use_and_is_renewed_in_time() -> None:
    keystore, cert = self_signed_pem()
    assert b"PRIVATE KEY" in keystore and keystore.endswith(cert)
    assert b"PRIVATE KEY" not in cert
    names = x509.load_pem_x509_certificate(cert).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert set(DNS_NAMES) <= set(names.value.get_values_for_type(x509.DNSName))
    assert certificate_usable(cert)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=820)
    assert not certificate_usable(cert, now=later)
    assert not certificate_usable(b"not a certificate")


def test_write_all_is_private_idempotent_and_keeps_a_valid_certificate(tmp_path: Path) -> None:
    layout = Layout(ROOT / "trino", tmp_path / "secure", tmp_path / "ca")
    paths = write_all(ENV, layout)
    names = {path.name for path in paths}
    assert names == {
        "coordinator.properties",
        "worker.properties",
        "password.db",
        "trino-keystore.pem",
        "trino-ca.pem",
    }
    for path in paths:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o644 if path.name == "trino-ca.pem" else 0o600), path.name
    ca = (tmp_path / "ca" / "trino-ca.pem").read_bytes()
    rotated = {**ENV, "TRINO_PIPELINE_PASSWORD": "rotated-pipeline-login-987"}
    write_all(rotated, layout)
    assert (tmp_path / "ca" / "trino-ca.pem").read_bytes() == ca
    line = (tmp_path / "secure" / "password.db").read_text().splitlines()[0]
    assert bcrypt.checkpw(b"rotated-pipeline-login-987", line.split(":", 1)[1].encode())
    assert not list((tmp_path / "secure").glob(".*.tmp"))


# --- least privilege: trino/secure/rules.json ---------------------------------------


def _first(rules: list[dict], **subject: str) -> dict | None:
    """The first rule whose regexes all match (Trino's file-based access control)."""
    for rule in rules:
        if all(re.fullmatch(rule.get(key, ".*"), value) for key, value in subject.items()):
            return rule
    return None


def catalog_access(user: str, catalog: str) -> str:
    rule = _first(RULES["catalogs"], user=user, catalog=catalog)
    return rule["allow"] if rule else "none"


def table_privileges(user: str, catalog: str, schema: str) -> set[str]:
    access = catalog_access(user, catalog)
    if access == "none":
        return set()
    rule = _first(RULES["tables"], user=user, catalog=catalog, schema=schema, table="t")
    privileges = set(rule["privileges"]) if rule else set()
    return privileges & {"SELECT"} if access == "read-only" else privileges


def schema_owner(user: str, catalog: str, schema: str) -> bool:
    if catalog_access(user, catalog) != "all":
        return False
    rule = _first(RULES["schemas"], user=user, catalog=catalog, schema=schema)
    return bool(rule and rule["owner"])


@pytest.mark.parametrize("reader", ["metabase", "smoke"])
def test_readers_select_gold_and_nothing_else(reader: str) -> None:
    assert table_privileges(reader, "iceberg", "gold") == {"SELECT"}
    assert table_privileges(reader, "iceberg", "silver") == set()
    assert table_privileges(reader, "iceberg", "snapshots") == set()
    assert table_privileges(reader, "hive", "bronze") == set()
    assert not schema_owner(reader, "iceberg", "gold")
    assert (
        _first(
            RULES["procedures"],
            user=reader,
            catalog="hive",
            schema="system",
            procedure="sync_partition_metadata",
        )
        is None
    )


def test_the_pipeline_writes_its_schemas_and_calls_only_its_procedure() -> None:
    for catalog, schema in [("iceberg", "silver"), ("iceberg", "gold"), ("hive", "bronze")]:
        assert {"SELECT", "INSERT", "DELETE", "UPDATE", "OWNERSHIP"} <= table_privileges(
            "sme_pulse", catalog, schema
        )
        assert schema_owner("sme_pulse", catalog, schema)
    rule = _first(
        RULES["procedures"],
        user="sme_pulse",
        catalog="hive",
        schema="system",
        procedure="sync_partition_metadata",
    )
    assert rule and rule["privileges"] == ["EXECUTE"]
    assert (
        _first(
            RULES["procedures"],
            user="sme_pulse",
            catalog="iceberg",
            schema="system",
            procedure="register_table",
        )
        is None
    )


def test_an_unknown_user_gets_nothing_and_nobody_impersonates(fault_ledger) -> None:
    for catalog in ("hive", "iceberg", "system", "tpch"):
        assert catalog_access("intruder", catalog) == "none"
    assert [rule["allow"] for rule in RULES["impersonation"]] == [False]
    fault_ledger.security(
        "Trino least privilege (trino/secure/rules.json, first-match evaluation)",
        observed="sme_pulse writes hive/iceberg; metabase and smoke SELECT iceberg.gold "
        "only; any other user nothing; no impersonation",
    )


def test_the_pipeline_user_is_the_one_rules_json_names() -> None:
    compose = load_compose()
    env = compose["x-sme-pulse-env"]
    assert env["TRINO_USER"] == "sme_pulse"
    assert compose["services"]["trino-init"]["environment"]["TRINO_USER"] == "sme_pulse"
    assert compose["services"]["metabase-init"]["environment"]["METABASE_TRINO_USER"] == "metabase"
    assert catalog_access(env["TRINO_USER"], "iceberg") == "all"


# --- compose wiring -------------------------------------------------------------------


def test_trino_publishes_https_only_and_loads_the_rendered_config(fault_ledger) -> None:
    services = load_compose()["services"]
    trino = services["trino"]
    assert [port.rsplit(":", 1)[1] for port in trino["ports"]] == ["8443"]
    assert trino["command"][-2:] == ["--config", "/etc/trino/secure/coordinator.properties"]
    assert services["trino-worker"]["command"][-1] == "/etc/trino/secure/worker.properties"
    mounts = {volume.split(":")[1] for volume in trino["volumes"]}
    assert {
        "/etc/trino/password-authenticator.properties",
        "/etc/trino/access-control.properties",
        "/etc/trino/rules.json",
        "/etc/trino/secure",
    } <= mounts
    assert trino["depends_on"]["trino-init"]["condition"] == "service_completed_successfully"
    authenticator = parse_properties(
        (ROOT / "trino/secure/password-authenticator.properties").read_text()
    )
    assert authenticator["file.password-file"] == "/etc/trino/secure/password.db"
    access = parse_properties((ROOT / "trino/secure/access-control.properties").read_text())
    assert access == {
        "access-control.name": "file",
        "security.config-file": "/etc/trino/rules.json",
        "security.refresh-period": "60s",
    }
    fault_ledger.security(
        "Trino in the stack: password file (bcrypt) over HTTPS, port 8443 only published",
        observed="PASSWORD authenticator, TLS with trino-init's certificate, shared secret "
        "for workers; HTTP 8080 stays inside the network",
    )


def test_every_trino_client_logs_in_over_verified_https() -> None:
    compose = load_compose()
    env = compose["x-sme-pulse-env"]
    assert env["TRINO_PORT"] == "8443"
    assert env["TRINO_PASSWORD"].startswith("${TRINO_PIPELINE_PASSWORD:?")
    assert env["TRINO_CA_FILE"] == "/opt/trino-ca/trino-ca.pem"
    metabase = compose["services"]["metabase-init"]["environment"]
    assert metabase["METABASE_TRINO_PORT"] == "8443"
    assert metabase["METABASE_TRINO_PASSWORD"].startswith("${TRINO_METABASE_PASSWORD:?")
    assert "trino-ca:/opt/trino-ca:ro" in compose["services"]["metabase"]["volumes"]
    assert "trino-ca:/opt/trino-ca:ro" in compose["services"]["airflow-scheduler"]["volumes"]
    assert "AIRFLOW_CONN_TRINO_DEFAULT" not in env


PROFILE_PROBE = """
import json, os, sys
from argparse import Namespace
from dbt.flags import set_from_args
set_from_args(Namespace(), None)
from dbt_common.context import set_invocation_context
from dbt.adapters.factory import load_plugin
load_plugin("trino")
from dbt.config.profile import Profile, read_profile
from dbt.config.renderer import ProfileRenderer
for case in json.loads(sys.argv[1]):
    for name in ("TRINO_PASSWORD", "TRINO_CA_FILE"):
        os.environ.pop(name, None)
    os.environ.update(case)
    set_invocation_context(os.environ)
    raw = read_profile(os.environ["DBT_PROFILES_DIR"])
    profile = Profile.from_raw_profiles(raw, "sme_pulse", ProfileRenderer({}), "trino")
    c = profile.credentials
    print(c.method, c.http_scheme.value, c.cert, bool(getattr(c, "password", None)))
"""


@pytest.mark.integration
def test_dbt_logs_in_over_verified_https_only_when_a_password_is_set() -> None:
    cases = [
        {"TRINO_PASSWORD": "pipeline-login-0123456789", "TRINO_CA_FILE": "/ca.pem"},
        {"TRINO_PASSWORD": "pipeline-login-0123456789"},
        {},
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRINO_")}
    env.update(DBT_PROFILES_DIR=str(ROOT / "dbt"), DBT_TARGET="trino")
    result = subprocess.run(
        [sys.executable, "-c", PROFILE_PROBE, json.dumps(cases)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines()[-3:] == [
        "ldap https /ca.pem True",
        "ldap https True True",
        "none http True False",
    ]
