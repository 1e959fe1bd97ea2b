"""What the DAGs run around Cosmos's model tasks: dbt commands, in process (dbtRunner),
and the bronze registration the models need first.

Build output goes to a temporary folder: dbt/target holds the manifest Cosmos renders the
DAGs from and must not change under a running scheduler.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sme_pulse.config import Settings


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """dbt reads `env_var()` from the process environment; set it for one invocation."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def invoke(settings: Settings, args: list[str]) -> Any:
    """`dbt <args>` on the configured target; raises what dbt raised, returns its result."""
    from dbt.cli.main import dbtRunner

    with tempfile.TemporaryDirectory(prefix="sme-pulse-dbt-") as tmp:
        full = [
            *args,
            "--project-dir", str(settings.dbt_project_dir),
            "--profiles-dir", str(settings.dbt_profiles_dir),
            "--target", settings.dbt_target,
            "--target-path", str(Path(tmp) / "target"),
            "--log-path", str(Path(tmp) / "logs"),
        ]  # fmt: skip
        with environment(settings.dbt_env()):
            result = dbtRunner().invoke(full)
    if result.exception is not None:
        raise result.exception
    if not result.success:
        raise RuntimeError(f"dbt {' '.join(args)} failed on target {settings.dbt_target}")
    return result.result


def register_bronze(settings: Settings) -> str:
    """Register bronze and discover its partitions once per DAG run, before any model.

    On Trino, bronze is Hive external tables over the lake, generated from the one
    declaration in `sme_pulse.bronze` and reconciled with what the metastore holds (see
    `sme_pulse.bronze.registration`); the statements go straight to Trino on the `trino`
    target's connection, no dbt involved. Doing it here rather than in an on-run-start
    hook keeps it out of every Cosmos task, where ~35 parallel invocations repeated the
    same DDL and partition listings. DuckDB reads bronze in place and needs nothing.
    """
    if settings.dbt_target != "trino":
        return f"nothing to register: {settings.dbt_target} reads bronze in place"
    from sme_pulse.bronze.registration import register_on_trino

    register_on_trino(settings)
    return f"bronze registered in hive.bronze over {settings.lake_uri}/bronze"
