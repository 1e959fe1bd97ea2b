"""The stack's invariants as functions that return a list of violations.

The tests run them on the real files and on deliberately broken copies, so each rule is
shown both to hold and to be able to fail. Allow-lists of property names live here too,
taken from the documentation and source of the pinned versions (Trino 479, Hive 4.0.1
with Hadoop 3.3.6); a typo in a property file is a violation, not a silent no-op.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]

LOCAL_BIND_PREFIXES = ("127.0.0.1:", "${BIND_ADDRESS:-127.0.0.1}:")
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|_PASS$|SECRET|TOKEN|FERNET|ACCESS_KEY|ENCRYPTION)")
REQUIRED_REF = re.compile(r"^\$\{[A-Z][A-Z0-9_]*:\?[^}]+\}$")
DEFAULTED_SECRET_REF = re.compile(
    r"\$\{([A-Z0-9_]*(?:PASSWORD|SECRET|TOKEN|FERNET|ACCESS_KEY|ENCRYPTION)[A-Z0-9_]*):?-"
)
URL_CREDENTIALS = re.compile(r"://[^:/@\s]+:([^@\s/]+)@")
REQUIRED_INLINE = re.compile(r"\$\{[A-Z][A-Z0-9_]*:\?[^}]*\}")
ANY_INLINE = re.compile(r"\$\{[^}]*\}")


def _url_passwords(value: str) -> list[str]:
    """Passwords of `scheme://user:password@host` URLs, with required references shown
    as REQUIRED and any other ${...} as VALUE, so `${USER:-x}@host` is not a password."""
    masked = ANY_INLINE.sub("VALUE", REQUIRED_INLINE.sub("REQUIRED", value))
    return URL_CREDENTIALS.findall(masked)


def load_compose(path: Path | None = None, text: str | None = None) -> dict[str, Any]:
    raw = text if text is not None else (path or ROOT / "docker-compose.yml").read_text()
    return yaml.safe_load(raw)


def _services(compose: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose.get("services") or {})


def is_one_shot(service: Mapping[str, Any]) -> bool:
    return str(service.get("restart", "")) == "no"


def image_violations(compose: Mapping[str, Any]) -> list[str]:
    """Every service names an image with a tag or digest, never `latest`."""
    problems = []
    for name, service in _services(compose).items():
        image = service.get("image")
        if not image:
            problems.append(f"{name}: no image (a built image needs a name:tag too)")
            continue
        if "@sha256:" in image:
            continue
        _repository, sep, tag = image.rpartition(":")
        if not sep or "/" in tag:
            problems.append(f"{name}: image {image} has no tag")
            continue
        default = re.fullmatch(r"\$\{[A-Z0-9_]+:-([^}]+)\}", tag)
        effective = default.group(1) if default else tag
        if effective == "latest" or (tag.startswith("${") and not default):
            problems.append(f"{name}: image {image} is not pinned")
    return problems


def health_and_restart_violations(compose: Mapping[str, Any]) -> list[str]:
    """Long-running services restart and report health; one-shots are marked restart: no."""
    problems = []
    for name, service in _services(compose).items():
        restart = service.get("restart")
        if restart is None:
            problems.append(f"{name}: no restart policy")
            continue
        if is_one_shot(service):
            continue
        healthcheck = service.get("healthcheck") or {}
        if not healthcheck.get("test") or healthcheck.get("disable"):
            problems.append(f"{name}: long-running service without a healthcheck")
    return problems


def autoheal_violations(compose: Mapping[str, Any]) -> list[str]:
    """Compose restarts on exit only: every long-running service carries the autoheal
    label, and an autoheal service with a pinned image watches that label."""
    services = _services(compose)
    watcher = services.get("autoheal")
    if watcher is None:
        return ["no autoheal service: an unhealthy container would never be restarted"]
    label = (watcher.get("environment") or {}).get("AUTOHEAL_CONTAINER_LABEL")
    if not label or label == "all":
        return ["autoheal: AUTOHEAL_CONTAINER_LABEL must name a label"]
    problems = []
    for name, service in services.items():
        if name == "autoheal" or is_one_shot(service):
            continue
        labels = service.get("labels") or {}
        if isinstance(labels, list):
            labels = dict(item.split("=", 1) for item in labels)
        if str(labels.get(label, "")).lower() != "true":
            problems.append(f"{name}: long-running service without the {label}=true label")
    return problems


def depends_on_violations(compose: Mapping[str, Any]) -> list[str]:
    """depends_on always states a condition, and every one-shot that starts by default is
    awaited by a long-running service (else `compose up --wait` reports it as failed)."""
    services = _services(compose)
    problems = []
    adopted: set[str] = set()
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            problems.append(f"{name}: depends_on without conditions")
            continue
        for target, spec in depends.items():
            condition = (spec or {}).get("condition")
            if condition not in {
                "service_healthy",
                "service_completed_successfully",
                "service_started",
            }:
                problems.append(f"{name}: depends_on {target} has no condition")
            if target not in services:
                problems.append(f"{name}: depends_on unknown service {target}")
                continue
            if is_one_shot(services[target]) and condition != "service_completed_successfully":
                problems.append(f"{name}: waits on one-shot {target} with {condition}")
            if (
                condition == "service_completed_successfully"
                and not is_one_shot(service)
                and not service.get("profiles")
            ):
                adopted.add(target)
    for name, service in services.items():
        if is_one_shot(service) and not service.get("profiles") and name not in adopted:
            problems.append(f"{name}: one-shot not awaited by any long-running service")
    return problems


def port_violations(compose: Mapping[str, Any]) -> list[str]:
    """Published ports bind to localhost (or ${BIND_ADDRESS:-127.0.0.1})."""
    problems = []
    for name, service in _services(compose).items():
        for port in service.get("ports") or []:
            if isinstance(port, dict):
                host_ip = str(port.get("host_ip", ""))
                if host_ip not in {"127.0.0.1", "${BIND_ADDRESS:-127.0.0.1}"}:
                    problems.append(f"{name}: port {port} not bound to 127.0.0.1")
            elif not str(port).startswith(LOCAL_BIND_PREFIXES):
                problems.append(f"{name}: port {port} not bound to 127.0.0.1")
    return problems


def _environment(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) for item in env)
        return {pair[0]: pair[1] if len(pair) > 1 else "" for pair in pairs}
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def secret_violations(compose: Mapping[str, Any], raw_text: str) -> list[str]:
    """Secrets are `${VAR:?message}`: never literal, never with a default."""
    problems = [
        f"secret {match.group(1)} has a default value"
        for match in DEFAULTED_SECRET_REF.finditer(raw_text)
    ]
    for name, service in _services(compose).items():
        for key, value in _environment(service).items():
            secret = SECRET_NAME.search(key) and not key.endswith(("_FILE", "_USER"))
            if secret and not REQUIRED_REF.match(value):
                problems.append(f"{name}: {key} is not a required ${{VAR:?...}} reference")
            if any(password != "REQUIRED" for password in _url_passwords(value)):
                problems.append(f"{name}: {key} embeds a literal password in a URL")
    return problems


def compose_violations(path: Path | None = None, text: str | None = None) -> list[str]:
    raw = text if text is not None else (path or ROOT / "docker-compose.yml").read_text()
    compose = load_compose(text=raw)
    return (
        image_violations(compose)
        + health_and_restart_violations(compose)
        + autoheal_violations(compose)
        + depends_on_violations(compose)
        + port_violations(compose)
        + secret_violations(compose, raw)
    )


# --- property files -----------------------------------------------------------------

# S3FileSystemConfig of Trino 479 (lib/trino-filesystem-s3) and docs
# object-storage/file-system-s3.html; the legacy hive.s3.* names are gone since 470.
TRINO_S3_PROPERTIES = frozenset(
    {
        "fs.native-s3.enabled",
        "s3.endpoint",
        "s3.region",
        "s3.path-style-access",
        "s3.aws-access-key",
        "s3.aws-secret-key",
        "s3.iam-role",
        "s3.role-session-name",
        "s3.external-id",
        "s3.sts.endpoint",
        "s3.sts.region",
        "s3.canned-acl",
        "s3.retry-mode",
        "s3.max-error-retries",
        "s3.sse.type",
        "s3.sse.kms-key-id",
        "s3.sse.customer-key",
        "s3.streaming.part-size",
        "s3.requester-pays",
        "s3.max-connections",
        "s3.connection-ttl",
        "s3.connection-max-idle-time",
        "s3.socket-connect-timeout",
        "s3.socket-read-timeout",
        "s3.tcp-keep-alive",
        "s3.exclusive-create",
    }
)
# Hive connector docs (connector/hive.html) and HiveConfig / ThriftMetastoreConfig.
TRINO_HIVE_PROPERTIES = TRINO_S3_PROPERTIES | frozenset(
    {
        "connector.name",
        "hive.metastore",
        "hive.metastore.uri",
        "hive.metastore.username",
        "hive.storage-format",
        "hive.compression-codec",
        "hive.non-managed-table-writes-enabled",
        "hive.collect-column-statistics-on-write",
        "hive.timestamp-precision",
        "hive.recursive-directories",
        "hive.max-partitions-per-scan",
        "hive.metastore-cache-ttl",
        "hive.metastore-refresh-interval",
    }
)
# Iceberg connector docs (connector/iceberg.html) and IcebergConfig.
TRINO_ICEBERG_PROPERTIES = TRINO_S3_PROPERTIES | frozenset(
    {
        "connector.name",
        "iceberg.catalog.type",
        "hive.metastore.uri",
        "hive.metastore.username",
        "iceberg.file-format",
        "iceberg.compression-codec",
        "iceberg.unique-table-location",
        "iceberg.register-table-procedure.enabled",
        "iceberg.expire-snapshots.min-retention",
        "iceberg.remove-orphan-files.min-retention",
    }
)
# admin/properties-*.html and installation/deployment.html.
TRINO_SERVER_PROPERTIES = frozenset(
    {
        "coordinator",
        "node-scheduler.include-coordinator",
        "http-server.http.port",
        "discovery.uri",
        "query.max-memory",
        "query.max-memory-per-node",
        "query.max-total-memory",
        "memory.heap-headroom-per-node",
        "query.max-execution-time",
        "query.max-run-time",
        "spill-enabled",
        "spiller-spill-path",
    }
)
# security/password-file.html, security/tls.html, security/internal-communication.html,
# security/file-system-access-control.html: what trino/secure/ may set.
TRINO_SECURITY_PROPERTIES = frozenset(
    {
        "http-server.https.enabled",
        "http-server.https.port",
        "http-server.https.keystore.path",
        "http-server.https.keystore.key",
        "http-server.authentication.type",
        "http-server.authentication.allow-insecure-over-http",
        "internal-communication.shared-secret",
    }
)
TRINO_PASSWORD_AUTHENTICATOR_PROPERTIES = frozenset(
    {
        "password-authenticator.name",
        "file.password-file",
        "file.refresh-period",
        "file.auth-token-cache.max-size",
    }
)
TRINO_ACCESS_CONTROL_PROPERTIES = frozenset(
    {"access-control.name", "security.config-file", "security.refresh-period"}
)
TRINO_NODE_PROPERTIES = frozenset({"node.environment", "node.data-dir", "node.id"})
CATALOG_ALLOW_LISTS = {"hive": TRINO_HIVE_PROPERTIES, "iceberg": TRINO_ICEBERG_PROPERTIES}
SECRET_PROPERTIES = frozenset(
    {
        "s3.aws-access-key",
        "s3.aws-secret-key",
        "s3.sse.customer-key",
        "internal-communication.shared-secret",
        "http-server.https.keystore.key",
    }
)

# Standalone metastore (MetastoreConf of Hive 4.0.1) and hadoop-aws 3.3.6 (core-default /
# S3A documentation). fs.s3a.access.key / secret.key are left out on purpose: credentials
# come from the environment, never from this file.
HIVE_METASTORE_PROPERTIES = frozenset(
    {
        "metastore.thrift.port",
        "metastore.thrift.uris",
        "metastore.warehouse.dir",
        "metastore.warehouse.external.dir",
        "javax.jdo.option.ConnectionDriverName",
        "javax.jdo.option.ConnectionURL",
        "javax.jdo.option.ConnectionUserName",
        "javax.jdo.option.ConnectionPassword",
        "fs.s3a.endpoint",
        "fs.s3a.endpoint.region",
        "fs.s3a.path.style.access",
        "fs.s3a.connection.ssl.enabled",
        "fs.s3a.aws.credentials.provider",
        "fs.s3a.impl",
        "fs.s3.impl",
        "fs.s3a.fast.upload",
        "fs.s3a.connection.maximum",
    }
)


def parse_properties(text: str) -> dict[str, str]:
    properties: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "!")):
            continue
        key, sep, value = stripped.partition("=")
        if not sep:
            raise ValueError(f"line {number}: no '=' in {stripped!r}")
        properties[key.strip()] = value.strip()
    return properties


def property_violations(
    properties: Mapping[str, str], allowed: Iterable[str], where: str
) -> list[str]:
    allowed = frozenset(allowed)
    problems = [f"{where}: unknown property {key}" for key in properties if key not in allowed]
    for key in SECRET_PROPERTIES & properties.keys():
        if not re.fullmatch(r"\$\{ENV:[A-Z][A-Z0-9_]*\}", properties[key]):
            problems.append(f"{where}: {key} must be an ${{ENV:...}} reference")
    return problems


def trino_violations(trino_dir: Path | None = None) -> list[str]:
    base = trino_dir or ROOT / "trino"
    problems: list[str] = []
    for path in (base / "etc" / "config.properties", base / "worker" / "config.properties"):
        problems += property_violations(
            parse_properties(path.read_text()), TRINO_SERVER_PROPERTIES, str(path)
        )
    node = base / "etc" / "node.properties"
    problems += property_violations(
        parse_properties(node.read_text()), TRINO_NODE_PROPERTIES, str(node)
    )
    secure = base / "secure"
    for name, allowed in (
        ("coordinator.properties", TRINO_SECURITY_PROPERTIES),
        ("worker.properties", TRINO_SECURITY_PROPERTIES),
        ("password-authenticator.properties", TRINO_PASSWORD_AUTHENTICATOR_PROPERTIES),
        ("access-control.properties", TRINO_ACCESS_CONTROL_PROPERTIES),
    ):
        path = secure / name
        problems += property_violations(parse_properties(path.read_text()), allowed, str(path))
    for catalog in sorted((base / "etc" / "catalog").glob("*.properties")):
        allowed = CATALOG_ALLOW_LISTS.get(catalog.stem)
        if allowed is None:
            problems.append(f"{catalog}: no allow-list for catalog {catalog.stem}")
            continue
        problems += property_violations(
            parse_properties(catalog.read_text()), allowed, str(catalog)
        )
    return problems


def metastore_site_properties(text: str) -> dict[str, str]:
    root = ET.fromstring(text)
    return {
        (prop.findtext("name") or "").strip(): (prop.findtext("value") or "").strip()
        for prop in root.iter("property")
    }


def hive_violations(hive_dir: Path | None = None) -> list[str]:
    base = hive_dir or ROOT / "hive"
    site = metastore_site_properties((base / "metastore-site.xml").read_text())
    problems = property_violations(site, HIVE_METASTORE_PROPERTIES, "metastore-site.xml")
    script = (base / "start-metastore.sh").read_text()
    system_properties = dict.fromkeys(re.findall(r"-D([A-Za-z][\w.]*)=", script), "")
    problems += property_violations(
        system_properties, HIVE_METASTORE_PROPERTIES, "start-metastore.sh"
    )
    return problems
