"""What the DAGs run around Cosmos's model tasks: dbt commands, in process (dbtRunner),
and the bronze registration the models need first.

Build output goes to a temporary folder: dbt/target holds the manifest Cosmos renders the
DAGs from and must not change under a running scheduler. The folder starts with a copy of
the parse state `make manifest` left there, so dbt re-parses only what changed since (as
Cosmos does for its tasks) instead of the whole project: about 2 s less per invocation.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sme_pulse.config import Settings

PARTIAL_PARSE = "partial_parse.msgpack"


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


def run_dbt(settings: Settings, args: list[str], target: Path, logs: Path) -> Any:
    from dbt.cli.main import dbtRunner

    full = [
        *args,
        "--project-dir", str(settings.dbt_project_dir),
        "--profiles-dir", str(settings.dbt_profiles_dir),
        "--target", settings.dbt_target,
        "--target-path", str(target),
        "--log-path", str(logs),
    ]  # fmt: skip
    with environment(settings.dbt_env()):
        result = dbtRunner().invoke(full)
    if result.exception is not None:
        raise result.exception
    if not result.success:
        raise RuntimeError(f"dbt {' '.join(args)} failed on target {settings.dbt_target}")
    return result.result


def invoke(settings: Settings, args: list[str]) -> Any:
    """`dbt <args>` on the configured target; raises what dbt raised, returns its result."""
    with tempfile.TemporaryDirectory(prefix="sme-pulse-dbt-") as tmp:
        target = Path(tmp) / "target"
        target.mkdir()
        parsed = settings.dbt_project_dir / "target" / PARTIAL_PARSE
        if parsed.is_file():
            shutil.copyfile(parsed, target / PARTIAL_PARSE)
        return run_dbt(settings, args, target, Path(tmp) / "logs")


def parse_project(settings: Settings) -> Path:
    """`dbt parse` into the project's target folder: the manifest Cosmos renders the DAGs
    from, and a parse state made with the settings every task runs dbt with, so that
    Cosmos's tasks and `invoke` re-parse only what changed. Returns the manifest."""
    target = settings.dbt_project_dir / "target"
    run_dbt(settings, ["parse", "--quiet"], target, settings.dbt_project_dir / "logs")
    return target / "manifest.json"


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
