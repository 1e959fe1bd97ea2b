"""Run dbt against a throwaway lake and warehouse, never touching dbt/target."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")

DbtRunner = Callable[..., subprocess.CompletedProcess[str]]


def run_dbt(
    work: Path, *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`dbt <args>` in the project folder with build output under `work`."""
    command = [
        str(DBT), *args, "--project-dir", str(REPO / "dbt"), "--profiles-dir",
        str(REPO / "dbt"), "--target-path", str(work / "dbt-target"),
        "--log-path", str(work / "dbt-logs"),
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=REPO / "dbt", env={**os.environ, **(env or {})},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if check and result.returncode != 0:
        pytest.fail(f"dbt {' '.join(args)} failed:\n{result.stdout[-4000:]}{result.stderr[-2000:]}")
    return result


@pytest.fixture
def dbt(tmp_path: Path) -> DbtRunner:
    """`dbt(*args, env=...)` in the project folder with build output under tmp_path."""

    def run(
        *args: str, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return run_dbt(tmp_path, *args, env=env, check=check)

    return run
