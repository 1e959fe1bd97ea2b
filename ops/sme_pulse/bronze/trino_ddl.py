"""The bronze declaration as Trino statements: Hive external tables over the lake.

Trino reads bronze through the Hive connector (`trino/etc/catalog/hive.properties`): one
schema, `hive.bronze`, located at the lake's `bronze/` folder, and one external Parquet
table per declared dataset, partitioned by its folder key. The tables are metadata only:
dropping one leaves its files in place (Trino's Hive connector documentation: dropping an
external table "only drops the metadata for the table"), so `registration` can recreate a
table whose declaration changed without touching data.

Every function returns one statement as text; `statements()` is what a Trino without
bronze needs, and what `sme-pulse bronze ddl` prints.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from sme_pulse.bronze.tables import BRONZE_ROOT, BRONZE_TABLES, BronzeTable

CATALOG = "hive"
SCHEMA = "bronze"
PARTITION_TYPE = "varchar"
"""A Hive folder key is text; DuckDB reads it as text too (`hive_types_autocast = false`)."""
FORMAT = "PARQUET"


def trino_type(arrow: pa.DataType) -> str:
    """The Trino type the Hive connector reads an Arrow-written Parquet column as.

    Timestamps are `timestamp(6)` whatever their unit: the catalog's
    `hive.timestamp-precision=MICROSECONDS` fixes the precision of every Hive timestamp
    column, and the writers use microseconds. A type with no mapping raises, so a new
    column of an unsupported type fails the tests, not the first query on the stack.
    """
    if pa.types.is_list(arrow) or pa.types.is_large_list(arrow):
        return f"array({trino_type(arrow.value_type)})"
    if pa.types.is_timestamp(arrow):
        return "timestamp(6)"
    if pa.types.is_string(arrow) or pa.types.is_large_string(arrow):
        return "varchar"
    if pa.types.is_boolean(arrow):
        return "boolean"
    if pa.types.is_int32(arrow):
        return "integer"
    if pa.types.is_int64(arrow):
        return "bigint"
    if pa.types.is_float64(arrow):
        return "double"
    if pa.types.is_date32(arrow):
        return "date"
    raise TypeError(f"no Trino type for Arrow {arrow}: add it to sme_pulse.bronze.trino_ddl")


def column_types(table: BronzeTable) -> dict[str, str]:
    """Name to Trino type of every column, in table order: the file columns, then the
    partition key, last (Hive requires partition columns at the end)."""
    types = {field.name: trino_type(field.type) for field in table.columns}
    types[table.partition] = PARTITION_TYPE
    return types


def quote(identifier: str) -> str:
    """A Trino identifier, quoted: a column named like a keyword (`order`) still parses."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A Trino string literal."""
    return "'" + value.replace("'", "''") + "'"


def qualified(table: BronzeTable) -> str:
    return f"{CATALOG}.{SCHEMA}.{quote(table.name)}"


def create_schema(lake_uri: str) -> str:
    location = f"{lake_uri.rstrip('/')}/{BRONZE_ROOT}"
    return f"create schema if not exists {CATALOG}.{SCHEMA} with (location = {literal(location)})"


def create_table(table: BronzeTable, lake_uri: str) -> str:
    columns = ", ".join(f"{quote(name)} {kind}" for name, kind in column_types(table).items())
    return (
        f"create table if not exists {qualified(table)} ({columns}) with ("
        f"external_location = {literal(table.location(lake_uri))}, "
        f"format = {literal(FORMAT)}, "
        f"partitioned_by = array[{literal(table.partition)}])"
    )


def add_column(table: BronzeTable, name: str) -> str:
    """Idempotent, so two DAG runs registering at once both succeed."""
    kind = column_types(table)[name]
    return f"alter table {qualified(table)} add column if not exists {quote(name)} {kind}"


def drop_table(table: BronzeTable) -> str:
    """Metadata only: an external table's files stay where they are."""
    return f"drop table if exists {qualified(table)}"


def sync_partitions(table: BronzeTable) -> str:
    """Add the partition folders the metastore lacks and drop the ones the lake lost."""
    return (
        f"call {CATALOG}.system.sync_partition_metadata("
        f"{literal(SCHEMA)}, {literal(table.name)}, 'FULL')"
    )


def statements(lake_uri: str, tables: Iterable[BronzeTable] = BRONZE_TABLES) -> list[str]:
    """Everything a Trino without bronze runs: the schema, then per table its creation
    and its partition discovery."""
    out = [create_schema(lake_uri)]
    for table in tables:
        out += [create_table(table, lake_uri), sync_partitions(table)]
    return out
