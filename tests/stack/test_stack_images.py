"""The Dockerfiles: pinned bases, Python installed from uv.lock only, Airflow in step."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml
from stack_policy import ROOT

pytestmark = pytest.mark.unit

AIRFLOW_DOCKERFILE = ROOT / "airflow" / "Dockerfile"
HIVE_DOCKERFILE = ROOT / "hive" / "Dockerfile"


def _instructions(text: str) -> list[str]:
    """Dockerfile instructions with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    return [
        line.strip()
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _from_images(text: str) -> list[str]:
    return [line.split()[1] for line in _instructions(text) if line.upper().startswith("FROM ")]


def pip_pin_violations(text: str) -> list[str]:
    """`pip install pkg==x` lines would be a second list of versions next to uv.lock."""
    return [
        line
        for line in _instructions(text)
        if re.search(r"\bpip3?\s+install\b[^&;|]*==", line) and "uv==" not in line
    ]


def lock_version(package: str) -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return next(p["version"] for p in lock["package"] if p["name"] == package)


@pytest.mark.parametrize(
    "dockerfile", [AIRFLOW_DOCKERFILE, HIVE_DOCKERFILE], ids=lambda p: p.parent.name
)
def test_base_images_are_pinned(dockerfile) -> None:
    for image in _from_images(dockerfile.read_text()):
        name, _, tag = image.rpartition(":")
        assert name and tag and tag != "latest" and "/" not in tag, image


def test_airflow_image_installs_python_packages_from_the_lock_only() -> None:
    text = AIRFLOW_DOCKERFILE.read_text()
    runs = [line for line in _instructions(text) if line.startswith("RUN ")]
    assert any(re.search(r"\buv sync\b.*--locked.*--no-dev", line) for line in runs)
    assert pip_pin_violations(text) == []
    assert "uv.lock" in text


def test_pip_pin_check_catches_a_second_version_list() -> None:
    bad = "FROM x:1\nRUN pip install --no-cache-dir \\\n    dbt-core==1.8.0 minio\n"
    assert pip_pin_violations(bad)
    assert pip_pin_violations("RUN pip install uv==0.13.9\n") == []


def test_airflow_base_image_matches_the_locked_airflow_and_python() -> None:
    image = next(i for i in _from_images(AIRFLOW_DOCKERFILE.read_text()) if "airflow" in i)
    match = re.fullmatch(r"apache/airflow:(?P<airflow>[\d.]+)-python(?P<python>3\.\d+)", image)
    assert match, image
    assert match["airflow"] == lock_version("apache-airflow")
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low, high = re.findall(r"3\.(\d+)", requires)[:2]
    assert int(low) <= int(match["python"].split(".")[1]) < int(high)


def test_uv_version_is_the_same_in_the_image_and_in_ci() -> None:
    image = next(i for i in _from_images(AIRFLOW_DOCKERFILE.read_text()) if "astral-sh/uv" in i)
    workflow = yaml.safe_load((ROOT / ".github/workflows/stack.yml").read_text())
    steps = workflow["jobs"]["up-smoke-down"]["steps"]
    setup = next(s for s in steps if str(s.get("uses", "")).startswith("astral-sh/setup-uv"))
    assert image.rpartition(":")[2] == setup["with"]["version"]


def test_airflow_image_builds_the_dbt_manifest_and_checks_the_dags() -> None:
    text = AIRFLOW_DOCKERFILE.read_text()
    assert re.search(r"dbt parse .*--target trino", text)
    assert "sme_pulse.stack.check_dags" in text
    assert "airflow.__version__" in text


def test_hive_image_adds_s3a_and_jdbc_jars_of_pinned_versions() -> None:
    text = HIVE_DOCKERFILE.read_text()
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.MULTILINE))
    assert re.fullmatch(r"3\.3\.\d+", args["HADOOP_VERSION"])
    assert re.fullmatch(r"1\.12\.\d+", args["AWS_SDK_BUNDLE_VERSION"])
    assert re.fullmatch(r"42\.\d+\.\d+", args["POSTGRES_JDBC_VERSION"])
    for jar in ("hadoop-aws-", "aws-java-sdk-bundle-", "postgresql-"):
        assert jar in text
    assert "initOrUpgradeSchema" in (ROOT / "hive/start-metastore.sh").read_text()
