"""Cosmos task groups for one dbt layer, configured the same way in every DAG.

Cosmos renders from the manifest `make` builds (LoadMode.DBT_MANIFEST), so parsing a DAG
never starts dbt. Each model becomes a run task followed by its tests, in process
(dbtRunner) rather than a dbt subprocess per task. On DuckDB every
dbt task joins the one-slot pool `duckdb_writer`, because DuckDB allows a single writing
process at a time; on Trino the pool is the default one.
"""

from __future__ import annotations

from typing import Any

from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import (
    ExecutionMode,
    InvocationMode,
    LoadMode,
    TestBehavior,
    TestIndirectSelection,
)

from sme_pulse.config import Settings

DUCKDB_POOL = "duckdb_writer"


def warehouse_pool(settings: Settings) -> dict[str, str]:
    """Task arguments that serialise warehouse access on DuckDB (none on Trino)."""
    return {"pool": DUCKDB_POOL} if settings.dbt_target == "duckdb" else {}


def dbt_layer(group_id: str, select: list[str], settings: Settings, **kwargs: Any) -> DbtTaskGroup:
    operator_args: dict[str, Any] = {"install_deps": False, **warehouse_pool(settings)}
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=settings.dbt_project_dir,
            manifest_path=settings.dbt_manifest_path,
            install_dbt_deps=False,
            env_vars=settings.dbt_env(),
        ),
        profile_config=ProfileConfig(
            profile_name="sme_pulse",
            target_name=settings.dbt_target,
            profiles_yml_filepath=settings.dbt_profiles_dir / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
            # A test that also reads a downstream model (a relationship into gold, the
            # YoY check) runs with that model's task, once all its parents exist.
            test_indirect_selection=TestIndirectSelection.BUILDABLE,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            select=select,
            test_behavior=TestBehavior.AFTER_EACH,
            enable_mock_profile=False,
        ),
        operator_args=operator_args,
        **kwargs,
    )
