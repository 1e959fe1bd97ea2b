"""Both DAGs on the real Trino: Iceberg silver and gold, idempotent, equal to DuckDB.

The story runs once per session, in order: a first run from an empty lake, a second run
that must change nothing, a third after one new sales export. Each step's tests read what
the step left. Parity builds the same dbt project on DuckDB from a copy of the very bronze
files Trino read, and compares every gold table row for row.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow.fs as pafs
import pytest
from sme_pulse.bronze import BRONZE_TABLES
from sme_pulse.bronze.trino_ddl import column_types
from sme_pulse.config import REPO_ROOT, Settings
from sme_pulse.feeds.generator import GeneratorConfig, generate
from sme_pulse.orchestration import dbt_invoke
from sme_pulse.orchestration.demo import (
    DagOutcome,
    customer_api,
    ensure_shop,
    run_dag,
)
from sme_pulse.orchestration.iceberg_maintenance import MAINTAINED_SCHEMAS
from sme_pulse.questions import dashboards
from sme_pulse.servers import trino_local
from sme_pulse.storage import Lake
from sme_pulse.warehouse import WarehouseError, query_table

from .conftest import TrinoLakehouse, note

pytestmark = [pytest.mark.trino, pytest.mark.integration]

DAGS = ("sme_pulse_external_data_sync", "sme_pulse_sales_sync")
NEW_EXPORT = GeneratorConfig(
    customers=12,
    seed=2026,
    dirty_share=0.0,
    start=dt.date(2026, 1, 5),
    end=dt.date(2026, 1, 5),
    order_number_offset=1_000_000,
)
"""One more day of the shop's sales, all clean and numbered after its history: the third
run must add exactly its lines."""


def _normalise(value: Any) -> Any:
    """One comparable form per value, whichever engine produced it.

    The two differences tolerated are of representation, not of value: a ratio both
    engines compute is a DECIMAL on one and a DOUBLE on the other (compared as floats,
    exactly: every double in gold derives from integer sums and counts, so no summation
    order can change its last bits), and a timestamp's zone (below).
    """
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # DuckDB hands TIMESTAMPTZ back in the session zone, Trino's timestamp(6) is UTC.
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, list | tuple):
        return tuple(_normalise(v) for v in value)
    return value


def content(rows: list[tuple[Any, ...]]) -> Counter[tuple[Any, ...]]:
    """The table as a multiset of normalised rows: order-independent, duplicates kept."""
    return Counter(tuple(_normalise(v) for v in row) for row in rows)


@dataclass
class Round:
    outcomes: dict[str, DagOutcome]
    gold: dict[str, Counter[tuple[Any, ...]]]
    bronze_rows: dict[str, int]
    crm_versions: int
    """Distinct (customer_id, updated_at) in bronze: what the CRM change log knows."""


def _gold_tables(lakehouse: TrinoLakehouse) -> list[str]:
    if ("gold",) not in lakehouse.rows("show schemas from iceberg"):
        return []
    return sorted(r[0] for r in lakehouse.rows("show tables from iceberg.gold"))


def _run_records() -> frozenset[str]:
    """Gold tables that record runs (dbt tag `run_record`: dbt results, freshness): they
    differ between runs and engines by nature, so the comparisons of gold skip them."""
    manifest = json.loads((REPO_ROOT / "dbt" / "target" / "manifest.json").read_text())
    return frozenset(
        node["alias"] for node in manifest["nodes"].values() if "run_record" in node["tags"]
    )


def _gold_content(lakehouse: TrinoLakehouse) -> dict[str, Counter[tuple[Any, ...]]]:
    return {
        table: content(lakehouse.rows(f"select * from iceberg.gold.{table}"))
        for table in _gold_tables(lakehouse)
        if table not in _run_records()
    }


def _bronze_rows(lakehouse: TrinoLakehouse) -> dict[str, int]:
    if ("bronze",) not in lakehouse.rows("show schemas from hive"):
        return {}
    return {
        table: lakehouse.rows(f"select count(*) from hive.bronze.{table}")[0][0]
        for (table,) in lakehouse.rows("show tables from hive.bronze")
    }


def _run_round(
    lakehouse: TrinoLakehouse, airflow_env: dict[str, str], dags: tuple[str, ...] = DAGS
) -> Round:
    env = {**airflow_env, **lakehouse.env}
    settings = Settings.from_env(env)
    outcomes = {}
    with _patched_environ(env), customer_api(_quiet(), settings) as api_env:
        for dag_id in dags:
            outcome = run_dag(dag_id, settings, {**env, **api_env})
            note(f"{dag_id} on Trino: {outcome.state} in {outcome.wall_s:.1f} s")
            outcomes[dag_id] = outcome
    bronze = _bronze_rows(lakehouse)
    crm_versions = (
        lakehouse.rows(
            "select count(*) from (select distinct customer_id, updated_at "
            "from hive.bronze.crm_customers)"
        )[0][0]
        if "crm_customers" in bronze
        else 0
    )
    return Round(outcomes, _gold_content(lakehouse), bronze, crm_versions)


class _patched_environ:  # noqa: N801 - used as a context manager like contextlib's
    """The demo helpers read Airflow's database through the process environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env, self.saved = env, dict(os.environ)

    def __enter__(self) -> None:
        os.environ.update(self.env)

    def __exit__(self, *exc: object) -> None:
        os.environ.clear()
        os.environ.update(self.saved)


def _quiet() -> Any:
    from rich.console import Console

    return Console(quiet=True)


def _assert_success(round_: Round) -> None:
    for dag_id, outcome in round_.outcomes.items():
        assert outcome.state == "success", (
            f"{dag_id} {outcome.state}: failed tasks {outcome.failed_tasks}; log {outcome.log_path}"
        )
        assert outcome.dbt_tests.get("error", 0) == 0, (dag_id, outcome.dbt_tests)


@pytest.fixture(scope="module")
def first_run(lakehouse: TrinoLakehouse, airflow_env: dict[str, str]) -> Round:
    lakehouse.reset()
    env = {**airflow_env, **lakehouse.env}
    with _patched_environ(env):
        ensure_shop(_quiet(), Settings.from_env(env))
    return _run_round(lakehouse, airflow_env)


@pytest.fixture(scope="module")
def second_run(first_run: Round, lakehouse: TrinoLakehouse, airflow_env: dict[str, str]) -> Round:
    return _run_round(lakehouse, airflow_env)


@dataclass
class ThirdRun:
    round: Round
    new_lines: int


@pytest.fixture(scope="module")
def third_run(
    second_run: Round,
    lakehouse: TrinoLakehouse,
    airflow_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> ThirdRun:
    out = tmp_path_factory.mktemp("new-export")
    summary = generate(out, NEW_EXPORT)
    landing = Lake(lakehouse.env["LANDING_URI"], Settings.from_env(lakehouse.env).s3)
    for path in sorted((out / "landing").iterdir()):
        # A new name: an export under an existing name would supersede that file instead.
        landing.put_bytes(f"2026-01-05_{path.name}", path.read_bytes())
    new_lines = summary.lines
    return ThirdRun(_run_round(lakehouse, airflow_env, ("sme_pulse_sales_sync",)), new_lines)


def test_first_run_builds_everything_and_every_dbt_test_passes(first_run: Round) -> None:
    _assert_success(first_run)
    for dag_id, outcome in first_run.outcomes.items():
        assert sum(outcome.dbt_tests.values()) > 0, f"{dag_id} ran no dbt test"
    assert len(first_run.gold) >= 7
    assert all(sum(rows.values()) > 0 for rows in first_run.gold.values()), {
        table: sum(rows.values()) for table, rows in first_run.gold.items()
    }


def test_silver_and_gold_are_iceberg_tables(first_run: Round, lakehouse: TrinoLakehouse) -> None:
    for schema in MAINTAINED_SCHEMAS:
        tables = [r[0] for r in lakehouse.rows(f"show tables from iceberg.{schema}")]
        assert tables, f"iceberg.{schema} is empty"
        for table in tables:
            snapshots = lakehouse.rows(f'select count(*) from iceberg.{schema}."{table}$snapshots"')
            assert snapshots[0][0] >= 1, f"{schema}.{table} has no Iceberg snapshot"


def test_fct_sales_is_partitioned_by_month(first_run: Round, lakehouse: TrinoLakehouse) -> None:
    ddl = lakehouse.rows("show create table iceberg.gold.fct_sales")[0][0]
    assert "partitioning = ARRAY['month(order_date)']" in ddl, ddl
    partitions = lakehouse.rows('select count(*) from iceberg.gold."fct_sales$partitions"')[0][0]
    assert partitions > 12


def test_second_run_changes_nothing(first_run: Round, second_run: Round) -> None:
    _assert_success(second_run)
    external = second_run.outcomes["sme_pulse_external_data_sync"]
    assert external.task_states.get("skipped", 0) == 2, external.task_states
    # The CRM extraction's watermark is inclusive (crm/watermark.py): the second window
    # fetches the customers updated at the watermark instant again, as an extra change-log
    # row and a manifest row for that window. Nothing new is learnt, and silver keeps one
    # row per customer. Every other bronze table must not gain a row.
    crm_tables = {"crm_customers", "crm_load_manifest"}
    assert {t: n for t, n in second_run.bronze_rows.items() if t not in crm_tables} == {
        t: n for t, n in first_run.bronze_rows.items() if t not in crm_tables
    }
    assert second_run.crm_versions == first_run.crm_versions
    for table, rows in first_run.gold.items():
        assert second_run.gold[table] == rows, f"gold.{table} changed on a re-run"


def test_data_health_tables_record_the_runs(second_run: Round, lakehouse: TrinoLakehouse) -> None:
    """The on-run-end hook recorded the dbt tasks of both rounds on Trino (Iceberg), and
    the data-health models were built: freshness of the sales tables against their SLA,
    and quarantine counts equal to what the sales load manifests say was quarantined."""
    results = lakehouse.rows(
        "select target_name, resource_type, status, count(*) "
        "from iceberg.gold.dbt_run_results group by 1, 2, 3"
    )
    assert {target for target, *_ in results} == {"trino"}, results
    assert {"model", "test"} <= {kind for _, kind, *_ in results}, results
    assert [row for row in results if row[2] in ("error", "fail")] == []
    ((invocations,),) = lakehouse.rows(
        "select count(distinct invocation_id) from iceberg.gold.dbt_run_results"
    )
    assert invocations >= 2 * len(DAGS), "a dbt invocation per dbt task, in both rounds"
    freshness = lakehouse.rows(
        "select table_name, status, last_loaded_at is not null "
        "from iceberg.gold.source_freshness where source_name = 'bronze_sales'"
    )
    assert sorted(freshness) == [("load_manifest", "fresh", True), ("order_lines", "fresh", True)]
    ((quarantined,),) = lakehouse.rows(
        "select sum(quarantined_rows) from iceberg.gold.quarantine_counts "
        "where source_table = 'sales_order_lines'"
    )
    ((committed,),) = lakehouse.rows(
        "select sum(rows_quarantined) from hive.bronze.sales_load_manifest"
    )
    assert quarantined == committed > 0


def test_bronze_partitions_are_the_lake_folders(
    second_run: Round, lakehouse: TrinoLakehouse
) -> None:
    """`register_bronze` found every partition folder the lake holds, and nothing else."""
    fs = lakehouse.s3()
    tables = [r[0] for r in lakehouse.rows("show tables from hive.bronze")]
    assert sorted(tables) == sorted(second_run.bronze_rows)
    for table in tables:
        ddl = lakehouse.rows(f"show create table hive.bronze.{table}")[0][0]
        location = re.search(r"external_location = 's3://([^']+)'", ddl)
        assert location, ddl
        # A quarantine folder exists only once a row was rejected there.
        selector = pafs.FileSelector(location.group(1), recursive=True, allow_not_found=True)
        files = fs.get_file_info(selector)
        folders = {f.path.rsplit("/", 2)[-2] for f in files if f.path.endswith(".parquet")}
        key = lakehouse.rows(
            f"select column_name from hive.information_schema.columns where table_schema = "
            f"'bronze' and table_name = '{table}' order by ordinal_position desc limit 1"
        )[0][0]
        registered = {
            f"{key}={value}"
            for (value,) in lakehouse.rows(f'select {key} from hive.bronze."{table}$partitions"')
        }
        assert registered == folders, f"{table}: metastore {registered} != lake {folders}"


def test_bronze_tables_are_their_declaration(second_run: Round, lakehouse: TrinoLakehouse) -> None:
    """The DAGs' `register_bronze` made every declared table with its declared columns."""
    for table in BRONZE_TABLES:
        columns = lakehouse.rows(
            "select column_name, data_type from hive.information_schema.columns "
            f"where table_schema = 'bronze' and table_name = '{table.name}' "
            "order by ordinal_position"
        )
        assert columns == list(column_types(table).items()), table.name


def test_third_run_adds_exactly_the_new_export(
    second_run: Round, third_run: ThirdRun, lakehouse: TrinoLakehouse
) -> None:
    _assert_success(third_run.round)
    before = second_run.bronze_rows["sales_order_lines"]
    after = third_run.round.bronze_rows["sales_order_lines"]
    assert after - before == third_run.new_lines
    fct_before = sum(second_run.gold["fct_sales"].values())
    fct_after = sum(third_run.round.gold["fct_sales"].values())
    assert fct_after - fct_before == third_run.new_lines
    added = lakehouse.rows(
        "select count(*) from iceberg.gold.fct_sales where order_date = date '2026-01-05'"
    )[0][0]
    assert added == third_run.new_lines


@pytest.fixture(scope="module")
def duckdb_gold(
    third_run: ThirdRun, lakehouse: TrinoLakehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Counter[tuple[Any, ...]]]]:
    """The same dbt project built on DuckDB from a copy of the bronze (and quarantine)
    files Trino read."""
    root = tmp_path_factory.mktemp("duckdb-parity")
    for folder in ("bronze", "quarantine"):
        lake_folder = f"{lakehouse.local.bucket}/{folder}"
        if lakehouse.s3().get_file_info(lake_folder).type == pafs.FileType.NotFound:
            continue
        pafs.copy_files(
            lake_folder,
            str(root / "lake" / folder),
            source_filesystem=lakehouse.s3(),
            destination_filesystem=pafs.LocalFileSystem(),
        )
    env = {
        **os.environ,
        "SME_PULSE_HOME": str(root),
        "DBT_TARGET": "duckdb",
        "LAKE_URI": str(root / "lake"),
        "WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
        "DBT_PROJECT_DIR": str(REPO_ROOT / "dbt"),
        "DBT_PROFILES_DIR": str(REPO_ROOT / "dbt"),
    }
    dbt_invoke.invoke(Settings.from_env(env), ["build"])
    # Not read-only: dbt-duckdb, in this process, still holds its read-write handle.
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'gold'"
            ).fetchall()
        ]
        yield {
            t: content(con.execute(f"select * from gold.{t}").fetchall())
            for t in tables
            if t not in _run_records()
        }
    shutil.rmtree(root, ignore_errors=True)


def test_gold_on_trino_equals_gold_on_duckdb(
    third_run: ThirdRun, duckdb_gold: dict[str, Counter[tuple[Any, ...]]], lakehouse: TrinoLakehouse
) -> None:
    trino_gold = third_run.round.gold
    assert sorted(trino_gold) == sorted(duckdb_gold)
    for table, rows in trino_gold.items():
        only_trino = rows - duckdb_gold[table]
        only_duckdb = duckdb_gold[table] - rows
        assert not only_trino and not only_duckdb, (
            f"gold.{table}: {sum(only_trino.values())} rows only on Trino, e.g. "
            f"{list(only_trino)[:2]}; {sum(only_duckdb.values())} only on DuckDB, e.g. "
            f"{list(only_duckdb)[:2]}"
        )
    note(f"{len(trino_gold)} gold tables identical on Trino and DuckDB", "TRINO_PARITY")


def test_dashboard_questions_run_on_trino(third_run: ThirdRun, lakehouse: TrinoLakehouse) -> None:
    """Every question of every dashboard (ops/sme_pulse/questions) as Metabase sends it:
    `gold.<table>` in the session catalog iceberg. Each returns its declared columns, and
    each business question rows (a data-health one may rightly be empty)."""
    settings = Settings.from_env(lakehouse.env)
    boards = dashboards()
    assert {board.key for board in boards} >= {"business", "data_health"}
    problems = []
    for board in boards:
        for question in board.questions:
            where = f"{board.key}/{question.sql_path.name}"
            try:
                columns, rows = query_table(settings, question.sql())
            except WarehouseError as exc:
                problems.append(f"{where}: {exc}")
                continue
            if tuple(columns) != question.columns:
                problems.append(f"{where} returns {columns}, declares {list(question.columns)}")
            elif board.key == "business" and not rows:
                problems.append(f"{where} returned no rows")
    assert not problems, "\n".join(problems)
    count = sum(len(board.questions) for board in boards)
    note(f"{count} dashboard questions return their declared columns on Trino")


def test_work_ran_on_the_workers(third_run: ThirdRun, lakehouse: TrinoLakehouse) -> None:
    """Coordinator plus worker, as `make up-scale` runs them: the worker reads and writes.

    The coordinator still runs single-task fragments of its own (metadata listings, the
    commit of a CTAS); every query with a distributed plan must have run on a worker.
    """
    nodes = lakehouse.rows("select coordinator, count(*) from system.runtime.nodes group by 1")
    assert dict(nodes).get(False, 0) >= 1, "no Trino worker joined the coordinator"
    coordinator_only, on_workers = lakehouse.rows(
        """
        select count_if(worker_tasks = 0 and tasks > 1), count_if(worker_tasks > 0)
        from (
            select t.query_id, count(*) as tasks, count_if(not n.coordinator) as worker_tasks
            from system.runtime.tasks as t
            join system.runtime.nodes as n on n.node_id = t.node_id
            group by t.query_id
        )
        """
    )[0]
    assert on_workers > 0, "no query ran a task on a worker"
    assert coordinator_only == 0, f"{coordinator_only} distributed queries ran on the coordinator"


def test_weekly_maintenance_compacts_and_expires(
    third_run: ThirdRun,
    duckdb_gold: dict[str, Counter[tuple[Any, ...]]],
    lakehouse: TrinoLakehouse,
    airflow_env: dict[str, str],
) -> None:
    """The maintenance DAG on the tables three runs left, with a one-second retention.

    Runs after the parity test (it needs `duckdb_gold` first) so that compaction and
    expiry are also shown to change no row of gold.
    """
    tables = [
        f"{schema}.{table}"
        for schema in MAINTAINED_SCHEMAS
        for (table,) in lakehouse.rows(f"show tables from iceberg.{schema}")
    ]
    before = {
        t: lakehouse.rows(f"select count(*) from iceberg.{_quoted(t, 'snapshots')}")[0][0]
        for t in tables
    }
    assert max(before.values()) >= 3, f"three runs should leave history: {before}"
    started = lakehouse.rows("select to_iso8601(current_timestamp)")[0][0]
    env = {**airflow_env, **lakehouse.env, "ICEBERG_SNAPSHOT_RETENTION": "1s"}
    with _patched_environ(env):
        outcome = run_dag("sme_pulse_iceberg_maintenance", Settings.from_env(env), env)
    assert outcome.state == "success", (outcome.failed_tasks, outcome.log_path)
    for table in tables:
        snapshots = _quoted(table, "snapshots")
        # expire_snapshots always keeps the current snapshot, however old.
        stale = lakehouse.rows(
            f"select count(*) from iceberg.{snapshots} "
            f"where committed_at < from_iso8601_timestamp('{started}') - interval '1' second "
            "and snapshot_id <> "
            f"(select max_by(snapshot_id, committed_at) from iceberg.{snapshots})"
        )[0][0]
        assert stale == 0, f"{table}: {stale} snapshots older than the retention survived"
        most_files = lakehouse.rows(
            f"select coalesce(max(file_count), 0) from iceberg.{_quoted(table, 'partitions')}"
        )[0][0]
        assert most_files <= 1, f"{table}: {most_files} data files in one partition after optimize"
    assert _gold_content(lakehouse) == third_run.round.gold, "maintenance changed gold rows"


def test_the_lakehouse_survives_a_restart(third_run: ThirdRun, lakehouse: TrinoLakehouse) -> None:
    """Lake objects, metastore and Iceberg metadata persist under SME_PULSE_HOME.

    Last in the module (it stops every server): `down` then `up` must find the same tables
    with the same rows, after the maintenance above.
    """
    gold, bronze = _gold_content(lakehouse), _bronze_rows(lakehouse)
    stopped = trino_local.down(lakehouse.settings)
    assert set(stopped) >= {"s3", "postgres", "metastore", "trino", "trino-worker-1"}
    assert not any(trino_local.status(lakehouse.settings).values())
    restarted = trino_local.up(lakehouse.settings)
    assert restarted.downloaded == ()
    note(f"trino-local restarted warm in {restarted.seconds:.1f} s")
    assert _bronze_rows(lakehouse) == bronze
    assert _gold_content(lakehouse) == gold


def _quoted(table: str, metadata: str) -> str:
    schema, name = table.split(".")
    return f'{schema}."{name}${metadata}"'
