"""Registration against a stand-in for Trino's metastore: what it runs for a missing table,
a table that matches, one whose declaration gained a column, and one that changed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pytest
from sme_pulse.bronze import BRONZE_TABLES, BronzeTable, bronze_table, trino_ddl
from sme_pulse.bronze.registration import (
    RegisteredTable,
    parse_show_create,
    plan_table,
    register,
    register_on_trino,
)
from sme_pulse.config import Settings

pytestmark = pytest.mark.unit

LAKE = "s3://sme-lake"
TABLE = bronze_table("crm_load_manifest")


def as_registered(table: BronzeTable, **changes: Any) -> RegisteredTable:
    """What Trino reports for `table` after the generated `create table`."""
    spec = {
        "columns": trino_ddl.column_types(table),
        "location": table.location(LAKE),
        "partitioned_by": (table.partition,),
        "format": "PARQUET",
        **changes,
    }
    return RegisteredTable(**spec)


def show_create(name: str, registered: RegisteredTable) -> str:
    """`show create table` as Trino 476 prints it."""
    columns = ",\n".join(f"   {c} {t}" for c, t in registered.columns.items())
    keys = ", ".join(f"'{k}'" for k in registered.partitioned_by)
    return (
        f"CREATE TABLE hive.bronze.{name} (\n{columns}\n)\nWITH (\n"
        f"   external_location = '{registered.location}',\n"
        f"   format = '{registered.format}',\n   partitioned_by = ARRAY[{keys}]\n)"
    )


class FakeTrino:
    """Answers registration's two reads from `tables`; records every statement."""

    def __init__(self, tables: dict[str, RegisteredTable]) -> None:
        self.tables = tables
        self.statements: list[str] = []

    def __call__(self, sql: str) -> Sequence[Sequence[Any]]:
        self.statements.append(sql)
        if "information_schema.columns" in sql:
            return [
                (name, column, kind)
                for name, table in sorted(self.tables.items())
                for column, kind in table.columns.items()
            ]
        if sql.startswith("show create table"):
            name = sql.rsplit(".", 1)[1].strip('"')
            return [(show_create(name, self.tables[name]),)]
        return []

    @property
    def changes(self) -> list[str]:
        return [s for s in self.statements if not s.startswith(("select", "show"))]


def test_an_empty_catalog_gets_the_schema_and_every_table() -> None:
    trino = FakeTrino({})
    plan = register(trino, LAKE)
    assert trino.changes == trino_ddl.statements(LAKE)
    assert {t.action for t in plan.tables} == {"create"}


def test_a_catalog_that_matches_only_syncs_partitions() -> None:
    trino = FakeTrino({t.name: as_registered(t) for t in BRONZE_TABLES})
    plan = register(trino, LAKE)
    assert {t.action for t in plan.tables} == {"keep"}
    assert trino.changes == [
        trino_ddl.create_schema(LAKE),
        *(trino_ddl.sync_partitions(t) for t in BRONZE_TABLES),
    ]


def test_a_column_added_to_the_writer_is_added_to_the_table_in_place() -> None:
    older = dict(trino_ddl.column_types(TABLE))
    del older["extra_fields"], older["missing_fields"]
    step = plan_table(TABLE, as_registered(TABLE, columns=older), LAKE)
    assert step.action == "add columns"
    assert step.statements == (
        trino_ddl.add_column(TABLE, "missing_fields"),
        trino_ddl.add_column(TABLE, "extra_fields"),
        trino_ddl.sync_partitions(TABLE),
    )


def test_column_order_alone_is_no_difference() -> None:
    # After `add column` the new column sits before the partition key, not in schema order.
    shuffled = dict(reversed(list(trino_ddl.column_types(TABLE).items())))
    assert plan_table(TABLE, as_registered(TABLE, columns=shuffled), LAKE).action == "keep"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"columns": {**trino_ddl.column_types(TABLE), "gone": "varchar"}}, "column gone removed"),
        (
            {"columns": {**trino_ddl.column_types(TABLE), "pages": "bigint"}},
            "pages bigint -> integer",
        ),
        ({"location": "s3://old-lake/bronze/crm/load_manifest"}, "location s3://old-lake"),
        ({"partitioned_by": ("run_date",)}, "partitioned by run_date -> ingest_date"),
        ({"format": "ORC"}, "format ORC -> PARQUET"),
    ],
)
def test_a_change_add_column_cannot_express_recreates_the_table(
    changes: dict[str, Any], reason: str
) -> None:
    step = plan_table(TABLE, as_registered(TABLE, **changes), LAKE)
    assert step.action == "recreate" and reason in step.reason
    assert step.statements == (
        trino_ddl.drop_table(TABLE),
        trino_ddl.create_table(TABLE, LAKE),
        trino_ddl.sync_partitions(TABLE),
    )


def test_a_table_nobody_declares_is_left_alone() -> None:
    stray = BronzeTable("old_feed", "bronze/old/feed", pa.schema([pa.field("id", pa.string())]))
    trino = FakeTrino({"old_feed": as_registered(stray)})
    plan = register(trino, LAKE)
    assert plan.undeclared == ("old_feed",)
    assert not any("old_feed" in s for s in trino.statements)
    assert "old_feed: left alone" in plan.lines()[-1]


def test_a_dry_run_only_reads() -> None:
    trino = FakeTrino({TABLE.name: as_registered(TABLE, format="ORC")})
    plan = register(trino, LAKE, dry_run=True)
    assert trino.changes == []
    assert trino_ddl.drop_table(TABLE) in plan.statements


def test_show_create_table_is_read_back() -> None:
    ddl = show_create("t", as_registered(TABLE, location="s3://it''s/t"))
    assert parse_show_create(ddl) == ("s3://it's/t", ("ingest_date",), "PARQUET")
    assert parse_show_create("CREATE TABLE hive.bronze.t (\n   a bigint\n)") == (None, (), None)


def test_registering_needs_the_trino_target(tmp_path: Any) -> None:
    settings = Settings.from_env({"SME_PULSE_HOME": str(tmp_path), "DBT_TARGET": "duckdb"})
    with pytest.raises(ValueError, match="Trino only"):
        register_on_trino(settings)
