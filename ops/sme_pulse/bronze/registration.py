"""Bring Trino's `hive.bronze` in line with the bronze declaration, once per DAG run.

`create table if not exists` alone keeps a table whose declaration has since changed: a
column added to a writer's Arrow schema would stay invisible on Trino while DuckDB,
which reads the files as they are, already shows it. So registration first reads what
the metastore holds (`information_schema.columns`, `show create table`) and then, per
declared table:

* **create** it when it is missing;
* **add columns** (`alter table ... add column if not exists`) when the declaration only
  gained columns: metadata only, no moment without the table, and the Hive connector
  reads the new column by name from files in every partition, old ones included;
* **recreate** it (drop, create) when a column was removed or retyped, or the location,
  partition key or format differ: the table is metadata over the files, and dropping
  an external table leaves them in place. A query running in that moment fails, so this
  is kept for changes `add column` cannot express;
* **keep** it otherwise;

and always syncs its partitions with the lake's folders (`sync_partition_metadata`
FULL), which is how new ingestion dates and sales files become visible. Tables in
`hive.bronze` that nothing declares are left alone and named in the log.

Every statement is idempotent (`if not exists` / `if exists`), so the two DAGs may
register at the same time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sme_pulse.bronze import trino_ddl
from sme_pulse.bronze.tables import BRONZE_TABLES, BronzeTable
from sme_pulse.config import Settings

log = logging.getLogger(__name__)

Execute = Callable[[str], Sequence[Sequence[Any]]]
"""Runs one statement on Trino and returns its rows."""

Action = Literal["create", "add columns", "recreate", "keep"]


@dataclass(frozen=True)
class RegisteredTable:
    """What the metastore holds for one table in `hive.bronze`."""

    columns: dict[str, str]
    """Name to Trino type, in table order (partition keys last)."""
    location: str | None
    partitioned_by: tuple[str, ...]
    format: str | None


@dataclass(frozen=True)
class TablePlan:
    """What registration does to one declared table, and why."""

    table: str
    action: Action
    reason: str
    statements: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """Every statement of one registration, in order, with the reasons per table."""

    schema_statement: str
    tables: tuple[TablePlan, ...]
    undeclared: tuple[str, ...] = field(default=())
    """Tables in `hive.bronze` that no declaration names: left alone."""

    @property
    def statements(self) -> list[str]:
        return [self.schema_statement, *(s for t in self.tables for s in t.statements)]

    def lines(self) -> list[str]:
        """One line per table for a log or a terminal."""
        out = [f"{t.table}: {t.action} ({t.reason})" for t in self.tables]
        out += [
            f"{name}: left alone (not declared in sme_pulse.bronze)" for name in self.undeclared
        ]
        return out


_LOCATION = re.compile(r"external_location = '((?:[^']|'')*)'")
_PARTITIONED_BY = re.compile(r"partitioned_by = ARRAY\[([^\]]*)\]", re.IGNORECASE)
_FORMAT = re.compile(r"\bformat = '(\w+)'")


def parse_show_create(ddl: str) -> tuple[str | None, tuple[str, ...], str | None]:
    """Location, partition keys and format from Trino's `show create table` text."""
    location = _LOCATION.search(ddl)
    partitioned = _PARTITIONED_BY.search(ddl)
    file_format = _FORMAT.search(ddl)
    keys = re.findall(r"'((?:[^']|'')*)'", partitioned.group(1)) if partitioned else []
    return (
        location.group(1).replace("''", "'") if location else None,
        tuple(keys),
        file_format.group(1).upper() if file_format else None,
    )


def read_registered(execute: Execute, names: Iterable[str]) -> dict[str, RegisteredTable]:
    """The tables `hive.bronze` holds: columns of all, properties of those in `names`."""
    rows = execute(
        "select table_name, column_name, data_type "
        f"from {trino_ddl.CATALOG}.information_schema.columns "
        f"where table_schema = {trino_ddl.literal(trino_ddl.SCHEMA)} "
        "order by table_name, ordinal_position"
    )
    columns: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        columns.setdefault(table, {})[column] = data_type
    wanted = set(names)
    registered: dict[str, RegisteredTable] = {}
    for name, table_columns in columns.items():
        location, partitioned_by, file_format = None, (), None
        if name in wanted:
            qualified = f"{trino_ddl.CATALOG}.{trino_ddl.SCHEMA}.{trino_ddl.quote(name)}"
            ((ddl, *_),) = execute(f"show create table {qualified}")
            location, partitioned_by, file_format = parse_show_create(ddl)
        registered[name] = RegisteredTable(table_columns, location, partitioned_by, file_format)
    return registered


def _differences(
    table: BronzeTable, registered: RegisteredTable, lake_uri: str
) -> tuple[list[str], list[str]]:
    """(columns only the declaration has, what `add column` cannot fix)."""
    declared = trino_ddl.column_types(table)
    missing = [name for name in declared if name not in registered.columns]
    blocking = [f"column {name} removed" for name in registered.columns if name not in declared]
    blocking += [
        f"column {name} {registered.columns[name]} -> {kind}"
        for name, kind in declared.items()
        if name in registered.columns and registered.columns[name] != kind
    ]
    if registered.partitioned_by != (table.partition,):
        was = ", ".join(registered.partitioned_by) or "none"
        blocking.append(f"partitioned by {was} -> {table.partition}")
    location = table.location(lake_uri)
    if (registered.location or "").rstrip("/") != location:
        blocking.append(f"location {registered.location} -> {location}")
    if registered.format != trino_ddl.FORMAT:
        blocking.append(f"format {registered.format} -> {trino_ddl.FORMAT}")
    return missing, blocking


def plan_table(table: BronzeTable, registered: RegisteredTable | None, lake_uri: str) -> TablePlan:
    """The statements that make one table match its declaration, then sync it."""
    sync = trino_ddl.sync_partitions(table)
    create = trino_ddl.create_table(table, lake_uri)
    if registered is None:
        return TablePlan(table.name, "create", "not registered yet", (create, sync))
    missing, blocking = _differences(table, registered, lake_uri)
    if blocking:
        reason = "; ".join(blocking + [f"column {name} added" for name in missing])
        return TablePlan(
            table.name, "recreate", reason, (trino_ddl.drop_table(table), create, sync)
        )
    if missing:
        adds = tuple(trino_ddl.add_column(table, name) for name in missing)
        return TablePlan(table.name, "add columns", f"new: {', '.join(missing)}", (*adds, sync))
    return TablePlan(table.name, "keep", "matches its declaration", (sync,))


def plan(
    registered: dict[str, RegisteredTable],
    lake_uri: str,
    tables: Sequence[BronzeTable] = BRONZE_TABLES,
) -> Plan:
    """Pure: from what the metastore holds to what to run, so it is tested without Trino."""
    declared = {table.name for table in tables}
    return Plan(
        schema_statement=trino_ddl.create_schema(lake_uri),
        tables=tuple(plan_table(t, registered.get(t.name), lake_uri) for t in tables),
        undeclared=tuple(sorted(set(registered) - declared)),
    )


def register(
    execute: Execute,
    lake_uri: str,
    tables: Sequence[BronzeTable] = BRONZE_TABLES,
    *,
    dry_run: bool = False,
) -> Plan:
    """Read `hive.bronze`, work out the plan, and run it; a dry run only returns the plan."""
    registered = read_registered(execute, (t.name for t in tables))
    result = plan(registered, lake_uri, tables)
    if dry_run:
        return result
    for table in result.tables:
        level = logging.WARNING if table.action == "recreate" else logging.INFO
        log.log(level, "bronze %s: %s (%s)", table.table, table.action, table.reason)
    for name in result.undeclared:
        log.warning("bronze %s: in hive.bronze but not declared; left alone", name)
    for statement in result.statements:
        execute(statement)
    return result


def register_on_trino(settings: Settings, *, dry_run: bool = False) -> Plan:
    """`register` on the Trino the settings name: the connection dbt's `trino` target uses
    (TRINO_HOST, TRINO_PORT, TRINO_USER) and the lake it reads (LAKE_URI)."""
    from sme_pulse.warehouse import query

    if settings.dbt_target != "trino":
        raise ValueError(f"bronze is registered on Trino only; DBT_TARGET is {settings.dbt_target}")
    return register(lambda sql: query(settings, sql), settings.lake_uri, dry_run=dry_run)
