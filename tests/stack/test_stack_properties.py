"""Trino and Hive metastore settings: only property names valid for the pinned versions."""

from __future__ import annotations

import re

import pytest
from stack_policy import (
    CATALOG_ALLOW_LISTS,
    ROOT,
    TRINO_S3_PROPERTIES,
    hive_violations,
    metastore_site_properties,
    parse_properties,
    property_violations,
    trino_violations,
)

pytestmark = pytest.mark.unit


def test_trino_property_files_use_only_known_properties() -> None:
    assert trino_violations() == []


def test_hive_metastore_settings_use_only_known_properties() -> None:
    assert hive_violations() == []


def test_a_typo_in_a_catalog_property_is_caught(tmp_path) -> None:
    trino = tmp_path / "trino"
    (trino / "etc" / "catalog").mkdir(parents=True)
    (trino / "worker").mkdir()
    (trino / "secure").mkdir()
    copied = ["etc/config.properties", "etc/node.properties", "worker/config.properties"]
    copied += [f"secure/{p.name}" for p in (ROOT / "trino/secure").glob("*.properties")]
    for relative in copied:
        (trino / relative).write_text((ROOT / "trino" / relative).read_text())
    hive = (ROOT / "trino/etc/catalog/hive.properties").read_text()
    (trino / "etc/catalog/hive.properties").write_text(
        hive.replace("s3.path-style-access", "s3.path-style-acess")
    )
    assert trino_violations(trino) == [
        f"{trino}/etc/catalog/hive.properties: unknown property s3.path-style-acess"
    ]


def test_a_typo_in_metastore_site_is_caught(tmp_path) -> None:
    hive = tmp_path / "hive"
    hive.mkdir()
    (hive / "start-metastore.sh").write_text((ROOT / "hive/start-metastore.sh").read_text())
    site = (ROOT / "hive/metastore-site.xml").read_text()
    (hive / "metastore-site.xml").write_text(site.replace("path.style.access", "path.style.acess"))
    assert hive_violations(hive) == ["metastore-site.xml: unknown property fs.s3a.path.style.acess"]


def test_legacy_hive_s3_properties_are_not_allowed() -> None:
    for allowed in CATALOG_ALLOW_LISTS.values():
        assert not [name for name in allowed if name.startswith("hive.s3.")]
    problems = property_violations({"hive.s3.endpoint": "x"}, CATALOG_ALLOW_LISTS["hive"], "t")
    assert problems == ["t: unknown property hive.s3.endpoint"]


def test_a_literal_s3_secret_is_rejected() -> None:
    problems = property_violations({"s3.aws-secret-key": "abc123"}, TRINO_S3_PROPERTIES, "catalog")
    assert problems == ["catalog: s3.aws-secret-key must be an ${ENV:...} reference"]


@pytest.mark.parametrize("catalog", ["hive", "iceberg"])
def test_both_catalogs_use_the_native_s3_file_system_on_minio(catalog: str) -> None:
    props = parse_properties((ROOT / f"trino/etc/catalog/{catalog}.properties").read_text())
    assert props["fs.native-s3.enabled"] == "true"
    assert props["s3.endpoint"] == "http://minio:9000"
    assert props["s3.path-style-access"] == "true"
    assert props["hive.metastore.uri"] == "thrift://hive-metastore:9083"
    assert props["s3.aws-access-key"] == "${ENV:AWS_ACCESS_KEY_ID}"
    assert props["s3.aws-secret-key"] == "${ENV:AWS_SECRET_ACCESS_KEY}"


def test_catalog_roles() -> None:
    hive = parse_properties((ROOT / "trino/etc/catalog/hive.properties").read_text())
    iceberg = parse_properties((ROOT / "trino/etc/catalog/iceberg.properties").read_text())
    assert hive["connector.name"] == "hive"
    assert hive["hive.non-managed-table-writes-enabled"] == "false"
    assert iceberg["connector.name"] == "iceberg"
    assert iceberg["iceberg.catalog.type"] == "hive_metastore"


def _gigabytes(size: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT])B?", size.strip(), re.IGNORECASE)
    assert match, size
    factor = {"K": 1 / 1024**2, "M": 1 / 1024, "G": 1, "T": 1024}[match.group(2).upper()]
    return float(match.group(1)) * factor


def test_query_memory_fits_the_heap_and_the_heap_fits_the_container() -> None:
    jvm = (ROOT / "trino/etc/jvm.config").read_text().split()
    heap = _gigabytes(next(opt[4:] for opt in jvm if opt.startswith("-Xmx")))
    for config in ("etc/config.properties", "worker/config.properties"):
        props = parse_properties((ROOT / "trino" / config).read_text())
        needed = _gigabytes(props["query.max-memory-per-node"]) + _gigabytes(
            props["memory.heap-headroom-per-node"]
        )
        assert needed <= heap, config
    compose = (ROOT / "docker-compose.yml").read_text()
    limit = re.search(r"\$\{TRINO_MEM_LIMIT:-(\w+)\}", compose)
    assert limit and _gigabytes(limit.group(1)) > heap


def test_worker_finds_the_coordinator_by_service_name() -> None:
    props = parse_properties((ROOT / "trino/worker/config.properties").read_text())
    assert props["coordinator"] == "false"
    assert props["discovery.uri"] == "http://trino:8080"


def test_metastore_site_keeps_credentials_out() -> None:
    site = metastore_site_properties((ROOT / "hive/metastore-site.xml").read_text())
    assert not {"fs.s3a.access.key", "fs.s3a.secret.key"} & site.keys()
    assert site["fs.s3a.path.style.access"] == "true"
    assert site["fs.s3a.aws.credentials.provider"].endswith(
        "EnvironmentVariableCredentialsProvider"
    )
    assert "javax.jdo.option.ConnectionPassword" not in site
