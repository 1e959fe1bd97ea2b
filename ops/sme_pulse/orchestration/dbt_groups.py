"""Cosmos task groups for one dbt layer, configured the same way in every DAG.

Cosmos renders from the manifest `make` builds (LoadMode.DBT_MANIFEST), so parsing a DAG
never starts dbt. Every dbt invocation runs in process (dbtRunner), never as a subprocess.
How a layer runs is `DBT_EXECUTION`; docs/benchmarks.md has the three measured side by
side on both DAGs, and each keeps a task per model and stops what depends on a failed test:

- `build` (default, the fastest measured): one `dbt build` task per model, its run then
  its tests. Half the tasks of `local`, and each task's fixed cost (dbt loading the
  project, writing its artifacts, Cosmos tidying up) is most of a small model's time.
- `watcher`: one `dbt build` per layer, in the layer's `dbt_producer_watcher` task, and a
  task per model and per model's tests that reports that node's result. One dbt start-up
  per layer, but Cosmos records four XComs per node (tests included), which on this
  project costs more than it saves. The producer comes first in the group: `airflow dags
  test` runs one task at a time in no set order, and a model task started before its
  producer would wait for it forever. It is not retried: Cosmos skips a producer's retry,
  which would skip the layer's tasks as if they had nothing to do.
- `local`: a `dbt run` task then a `dbt test` task per model.

On DuckDB every task that opens the warehouse joins the one-slot pool `duckdb_writer`,
because DuckDB allows a single writing process at a time; in `watcher` that is only the
producer (the model tasks read XCom). On Trino the pool is the default one.

Each task that renders a dbt node shows that node's YAML description and columns in the
UI's task "Docs" (`sme_pulse.orchestration.dbt_docs`).
"""

from __future__ import annotations

import gc
import re
from typing import Any

from airflow.exceptions import AirflowException
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import (
    PRODUCER_WATCHER_TASK_ID,
    ExecutionMode,
    InvocationMode,
    LoadMode,
    TestBehavior,
    TestIndirectSelection,
)
from cosmos.exceptions import CosmosDbtRunError

from sme_pulse.config import Settings
from sme_pulse.orchestration.dbt_docs import attach_task_docs

DUCKDB_POOL = "duckdb_writer"
DBT_ERRORS_PREFIX = "dbt invocation completed with errors: "
"""How Cosmos (`cosmos.dbt.runner.handle_exception_if_needed`) starts the error it raises
when dbt finished but some nodes did not pass; one `<node>: <message>` line per node."""
FAILED_TEST_LINE = re.compile(r"^(\S+): Got \d+ results?, configured to fail if ")
"""dbt's message for a data test that found rows it forbids."""
WATCHER_TESTS_FAILED = re.compile(
    r"^(?:dbt tests for model|Tests for model) '([^']+)' (?:failed\.|finished with status 'fail')"
)
"""How a `watcher` layer's test task (`cosmos.operators._watcher.base`) reports that the
producer's `dbt build` found a model's tests failing."""


def failed_data_tests(exception: BaseException) -> list[str]:
    """The data tests a failed dbt task reports, when failing tests are all that failed.

    Empty when anything else went wrong too (a model's SQL error, a lost connection):
    those may be transient, a test that found bad rows is not.
    """
    message = str(exception)
    if isinstance(exception, AirflowException) and (found := WATCHER_TESTS_FAILED.match(message)):
        return [f"tests of {found.group(1)}"]
    if not isinstance(exception, CosmosDbtRunError) or not message.startswith(DBT_ERRORS_PREFIX):
        return []
    lines = [line for line in message.removeprefix(DBT_ERRORS_PREFIX).splitlines() if line]
    matches = [FAILED_TEST_LINE.match(line) for line in lines]
    if not matches or not all(matches):
        return []
    return [m.group(1) for m in matches if m]


def warehouse_pool(settings: Settings) -> dict[str, str]:
    """Task arguments that serialise warehouse access on DuckDB (none on Trino)."""
    return {"pool": DUCKDB_POOL} if settings.dbt_target == "duckdb" else {}


def freeze_heap(context: Any) -> None:
    """Before a dbt task runs: move every object alive now out of the garbage collector's
    sight. Cosmos calls `gc.collect()` after each dbt invocation (to release dbt's adapter
    semaphores, cosmos#2334); over Airflow's, dbt's and the parsed project's objects that
    took 0.5 s per task here. Frozen objects stay alive, which they would anyway."""
    gc.freeze()


def dbt_layer(group_id: str, select: list[str], settings: Settings, **kwargs: Any) -> DbtTaskGroup:
    watcher = settings.dbt_execution == "watcher"
    operator_args: dict[str, Any] = {"install_deps": False, "on_execute_callback": freeze_heap}
    if not watcher:
        operator_args.update(warehouse_pool(settings))
    project = ProjectConfig(
        dbt_project_path=settings.dbt_project_dir,
        manifest_path=settings.dbt_manifest_path,
        install_dbt_deps=False,
        env_vars=settings.dbt_env(),
    )
    # A local file: read it as one. Cosmos wraps every manifest path in Airflow's
    # ObjectStoragePath, whose first open loads Airflow's plugins for hook lineage,
    # a third of a DAG file's first parse (docs/benchmarks.md, DAG parse time).
    project.manifest_path = settings.dbt_manifest_path
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=project,
        profile_config=ProfileConfig(
            profile_name="sme_pulse",
            target_name=settings.dbt_target,
            profiles_yml_filepath=settings.dbt_profiles_dir / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER if watcher else ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
            # A test that also reads a downstream model (a relationship into gold, the
            # YoY check) runs with that model's layer, once all its parents exist. Cosmos
            # passes this to the model tasks only: the producer needs it too.
            test_indirect_selection=TestIndirectSelection.BUILDABLE,
            setup_operator_args=(
                {
                    "retries": 0,
                    "indirect_selection": TestIndirectSelection.BUILDABLE.value,
                    **warehouse_pool(settings),
                }
                if watcher
                else None
            ),
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            select=select,
            test_behavior=(
                TestBehavior.BUILD if settings.dbt_execution == "build" else TestBehavior.AFTER_EACH
            ),
            enable_mock_profile=False,
        ),
        operator_args=operator_args,
        **kwargs,
    )
    attach_task_docs(group, settings.dbt_manifest_path)
    if watcher:
        _producer_first(group)
    return group


def _producer_first(group: DbtTaskGroup) -> None:
    """Put the layer's `dbt build` task upstream of every other task of the layer."""
    producer = group.children[f"{group.group_id}.{PRODUCER_WATCHER_TASK_ID}"]
    for root in list(group.get_roots()):
        if root is not producer:
            producer >> root
