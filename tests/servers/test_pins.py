"""One version: the Docker stack runs the Trino and metastore releases trino-local proves."""

from __future__ import annotations

import re

import pytest
import yaml
from sme_pulse.config import REPO_ROOT
from sme_pulse.servers import pins
from sme_pulse.servers.kafka_jars import KAFKA_CLASSPATH, KAFKA_VERSION
from sme_pulse.servers.metastore_jars import METASTORE_CLASSPATH

pytestmark = pytest.mark.unit


def _dockerfile_arg(name: str) -> str:
    text = (REPO_ROOT / "hive" / "Dockerfile").read_text()
    found = re.search(rf"^ARG {name}=(\S+)$", text, re.MULTILINE)
    assert found, f"hive/Dockerfile has no ARG {name}"
    return found.group(1)


def _jar_version(artifact: str) -> str:
    (version,) = [a.version for a in METASTORE_CLASSPATH if a.coordinates.split(":")[1] == artifact]
    return version


def test_compose_runs_the_trino_release_ci_proves() -> None:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    images = {s["image"] for s in compose["services"].values() if "trino" in s.get("image", "")}
    assert images == {f"trinodb/trino:{pins.TRINO_VERSION}"}


def test_compose_runs_the_kafka_release_kafka_local_runs() -> None:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    images = {s["image"] for s in compose["services"].values() if "kafka" in s.get("image", "")}
    assert images == {f"apache/kafka:{KAFKA_VERSION}"}


def test_the_metastore_image_matches_the_local_metastore() -> None:
    dockerfile = (REPO_ROOT / "hive" / "Dockerfile").read_text()
    assert f"FROM apache/hive:{pins.METASTORE_VERSION}\n" in dockerfile
    assert _dockerfile_arg("HADOOP_VERSION") == pins.HADOOP_VERSION == _jar_version("hadoop-aws")
    assert _dockerfile_arg("AWS_SDK_BUNDLE_VERSION") == _jar_version("aws-java-sdk-bundle")
    assert _dockerfile_arg("POSTGRES_JDBC_VERSION") == _jar_version("postgresql")


def test_every_pin_is_a_sha256() -> None:
    artifacts = [pins.TRINO_CORE, *pins.TRINO_PLUGINS.values(), pins.METASTORE, pins.S3PROXY]
    for artifact in [*artifacts, *METASTORE_CLASSPATH, *KAFKA_CLASSPATH]:
        assert re.fullmatch(r"[0-9a-f]{64}", artifact.sha256), artifact.coordinates
        assert artifact.version.split(".")[0].isdigit(), artifact.coordinates
