"""The compose file and the workflow against their official JSON schemas, and (where the
docker compose plugin exists) compose's own parser with dummy values for the secrets."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sme_pulse.stack.envfile import required_variables
from stack_policy import ROOT

pytestmark = pytest.mark.integration

CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


def _check(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_compose_file_matches_the_compose_spec() -> None:
    result = _check("vendor.compose-spec", ROOT / "docker-compose.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_spec_check_rejects_a_broken_file(tmp_path) -> None:
    bad = tmp_path / "compose.yml"
    bad.write_text("services:\n  app:\n    image: x:1\n    restart: sometimes\n    ports: 80\n")
    assert _check("vendor.compose-spec", bad).returncode != 0


def test_workflow_matches_the_github_workflow_schema() -> None:
    result = _check("vendor.github-workflows", ROOT / ".github/workflows/stack.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def _compose_plugin() -> bool:
    if not shutil.which("docker"):
        return False
    probe = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, check=False
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _compose_plugin(), reason="docker compose plugin not installed")
def test_docker_compose_config_resolves_with_every_secret_set(tmp_path) -> None:
    compose_text = (ROOT / "docker-compose.yml").read_text()
    env = {k: v for k, v in os.environ.items() if k not in required_variables(compose_text)}
    env.update({name: "dummy-value" for name in required_variables(compose_text)})
    args = ["docker", "compose", "--project-directory", str(ROOT), "--env-file", os.devnull]
    for profile in ("scale", "provision"):
        args += ["--profile", profile]
    result = subprocess.run(
        [*args, "config", "--quiet"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(not _compose_plugin(), reason="docker compose plugin not installed")
def test_docker_compose_config_refuses_to_start_without_a_secret() -> None:
    compose_text = (ROOT / "docker-compose.yml").read_text()
    env = {k: v for k, v in os.environ.items() if k not in required_variables(compose_text)}
    env.update({name: "dummy-value" for name in required_variables(compose_text)})
    del env["POSTGRES_PASSWORD"]
    result = subprocess.run(
        [
            "docker",
            "compose",
            "--project-directory",
            str(ROOT),
            "--env-file",
            os.devnull,
            "config",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr
