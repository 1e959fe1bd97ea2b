"""The Trino statements generated from the bronze declaration: valid Trino SQL, one table
and one partition sync per declared table, types as the Hive connector reads Parquet."""

from __future__ import annotations

import pyarrow as pa
import pytest
import sqlglot
from sme_pulse.bronze import BRONZE_TABLES, BronzeTable, bronze_table, trino_ddl
from sme_pulse.sources.lineage import LINEAGE_FIELDS
from sqlglot import exp

pytestmark = pytest.mark.unit

LAKE = "s3://sme-lake"


@pytest.mark.parametrize(
    ("arrow", "trino"),
    [
        (pa.string(), "varchar"),
        (pa.large_string(), "varchar"),
        (pa.int32(), "integer"),
        (pa.int64(), "bigint"),
        (pa.float64(), "double"),
        (pa.bool_(), "boolean"),
        (pa.date32(), "date"),
        (pa.timestamp("us", tz="UTC"), "timestamp(6)"),
        (pa.timestamp("us"), "timestamp(6)"),
        (pa.list_(pa.string()), "array(varchar)"),
        (pa.list_(pa.list_(pa.int64())), "array(array(bigint))"),
    ],
)
def test_arrow_types_map_to_what_the_hive_connector_reads(arrow: pa.DataType, trino: str) -> None:
    assert trino_ddl.trino_type(arrow) == trino


@pytest.mark.parametrize("arrow", [pa.float32(), pa.int16(), pa.decimal128(18, 2), pa.binary()])
def test_an_unmapped_arrow_type_fails_loudly(arrow: pa.DataType) -> None:
    with pytest.raises(TypeError, match="no Trino type"):
        trino_ddl.trino_type(arrow)


def parse(statement: str) -> exp.Expression:
    """Trino SQL as sqlglot reads it; `call` is parsed as the procedure call it makes."""
    if statement.startswith("call "):
        return sqlglot.parse_one(statement.removeprefix("call "), read="trino")
    return sqlglot.parse_one(statement, read="trino")


def test_every_statement_parses_as_trino() -> None:
    for statement in trino_ddl.statements(LAKE):
        assert parse(statement) is not None, statement


def test_one_schema_then_one_create_and_one_sync_per_declared_table() -> None:
    schema, *rest = [parse(s) for s in trino_ddl.statements(LAKE)]
    assert isinstance(schema, exp.Create) and schema.kind == "SCHEMA"
    (location,) = schema.find_all(exp.LocationProperty)
    assert location.this.this == f"{LAKE}/bronze"
    creates, syncs = rest[0::2], rest[1::2]
    assert [c.this.this.name for c in creates] == [t.name for t in BRONZE_TABLES]
    for create in creates:
        assert isinstance(create, exp.Create) and create.kind == "TABLE"
        assert create.args["exists"], "create table if not exists"
    for sync, table in zip(syncs, BRONZE_TABLES, strict=True):
        call = sync.find(exp.Anonymous)
        assert call.name == "sync_partition_metadata"
        assert [a.this for a in call.expressions] == ["bronze", table.name, "FULL"]


@pytest.mark.parametrize("table", BRONZE_TABLES, ids=lambda t: t.name)
def test_create_table_is_an_external_parquet_table_partitioned_by_its_folder_key(
    table: BronzeTable,
) -> None:
    create = parse(trino_ddl.create_table(table, LAKE))
    props = {
        p.name: p.args["value"].this
        for p in create.args["properties"].expressions
        if type(p) is exp.Property
    }
    assert props == {"external_location": f"{LAKE}/{table.path}"}
    assert create.find(exp.FileFormatProperty).this.this == "PARQUET"
    keys = create.find(exp.PartitionedByProperty).this.expressions
    assert [k.this for k in keys] == [table.partition]
    columns = [c.name for c in create.this.expressions if isinstance(c, exp.ColumnDef)]
    assert columns == [*(f.name for f in table.columns), table.partition]


def test_column_types_put_the_partition_key_last_as_varchar() -> None:
    types = trino_ddl.column_types(bronze_table("sales_load_manifest"))
    assert list(types)[-1] == "file_slug" and types["file_slug"] == "varchar"
    assert list(types).count("file_slug") == 1
    assert types["header"] == "array(varchar)" and types["loaded_at"] == "timestamp(6)"


def test_a_column_named_like_a_keyword_and_a_quote_in_the_lake_uri_still_parse() -> None:
    table = BronzeTable(
        "odd", "bronze/x/odd", pa.schema([pa.field("order", pa.string()), *LINEAGE_FIELDS])
    )
    create = parse(trino_ddl.create_table(table, "s3://it's"))
    assert create.this.expressions[0].name == "order"
    assert "s3://it''s/bronze/x/odd" in trino_ddl.create_table(table, "s3://it's")
    alter = parse(trino_ddl.add_column(table, "order"))
    assert isinstance(alter, exp.Alter)


def test_add_column_and_drop_table_are_idempotent() -> None:
    table = bronze_table("crm_load_manifest")
    alter = trino_ddl.add_column(table, "extra_fields")
    assert alter == (
        'alter table hive.bronze."crm_load_manifest" '
        'add column if not exists "extra_fields" array(varchar)'
    )
    assert parse(alter).find(exp.ColumnDef).args["exists"]
    drop = parse(trino_ddl.drop_table(table))
    assert isinstance(drop, exp.Drop) and drop.args["exists"]
