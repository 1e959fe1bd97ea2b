"""Both engines read bronze from one declaration, `sme_pulse.bronze.BRONZE_TABLES`.

Trino's DDL is generated from it; the DuckDB sources' yml is hand-written for its
descriptions, data tests and freshness, so its locations and column names are derived
from the declaration here. A drift would otherwise only show on one engine: a read error,
or a column that DuckDB has and Trino lacks.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pyarrow as pa
import pytest
import sqlglot
from sme_pulse.bronze import BRONZE_TABLES, BronzeTable, bronze_table
from sme_pulse.bronze.duckdb_sources import external_location
from sme_pulse.bronze.trino_ddl import statements
from sme_pulse.crm import contract as crm_contract
from sme_pulse.crm import ingest as crm_ingest
from sme_pulse.sales import contract as sales_contract
from sme_pulse.sales import manifest as sales_manifest
from sme_pulse.sources import provinces, world_bank
from sme_pulse.sources import quarantine as api_quarantine
from sme_pulse.stream import contract as stream_contract
from sqlglot import exp

from .conftest import DBT, REPO

pytestmark = pytest.mark.integration

LAKE = "s3://sme-lake"
NAMES = [table.name for table in BRONZE_TABLES]

# What each table's files are written with: the stable names of the writing modules.
WRITTEN_WITH = {
    "wb_indicators": world_bank.SCHEMA,
    "vn_provinces": provinces.PROVINCE_SCHEMA,
    "vn_districts": provinces.DISTRICT_SCHEMA,
    "sales_order_lines": sales_contract.ORDER_LINES_SCHEMA,
    "sales_load_manifest": sales_manifest.MANIFEST_SCHEMA,
    "crm_customers": crm_contract.CUSTOMERS_SCHEMA,
    "crm_load_manifest": crm_ingest.MANIFEST_SCHEMA,
    "sales_order_lines_quarantine": sales_contract.QUARANTINE_SCHEMA,
    "crm_customers_quarantine": crm_contract.QUARANTINE_SCHEMA,
    "wb_indicators_quarantine": api_quarantine.QUARANTINE_SCHEMA,
    "vn_provinces_quarantine": api_quarantine.QUARANTINE_SCHEMA,
    "vn_districts_quarantine": api_quarantine.QUARANTINE_SCHEMA,
    "stream_order_events": stream_contract.ORDER_EVENTS_SCHEMA,
    "stream_order_events_quarantine": stream_contract.QUARANTINE_SCHEMA,
}


def expected_trino_type(arrow: pa.DataType) -> str:
    """An oracle written apart from the package's mapping, in sqlglot's spelling."""
    if pa.types.is_list(arrow):
        return f"ARRAY({expected_trino_type(arrow.value_type)})"
    if pa.types.is_timestamp(arrow):
        return "TIMESTAMP(6)"
    simple = {
        pa.string(): "VARCHAR", pa.int32(): "INTEGER", pa.int64(): "BIGINT",
        pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN", pa.date32(): "DATE",
    }  # fmt: skip
    return simple[arrow]


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The bronze sources of the parsed dbt project, rendered with LAKE_URI=LAKE."""
    tmp = tmp_path_factory.mktemp("bronze-sources")
    result = subprocess.run(
        [str(DBT), "parse", "--project-dir", str(REPO / "dbt"), "--profiles-dir",
         str(REPO / "dbt"), "--target-path", str(tmp / "target"), "--log-path",
         str(tmp / "logs"), "--quiet"],
        cwd=REPO / "dbt", capture_output=True, text=True, check=False,
        env={**os.environ, "LAKE_URI": LAKE, "WAREHOUSE_PATH": str(tmp / "w.duckdb")},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    manifest = json.loads((tmp / "target" / "manifest.json").read_text())
    return [s for s in manifest["sources"].values() if s["schema"] == "bronze"]


@pytest.fixture(scope="module")
def trino_creates() -> dict[str, exp.Create]:
    """Every `create table` the registration would run on an empty Trino, parsed."""
    creates = {}
    for statement in statements(LAKE):
        parsed = sqlglot.parse_one(statement, read="trino")
        if isinstance(parsed, exp.Create) and parsed.kind == "TABLE":
            name = parsed.this.this.name
            assert name not in creates, f"{name} is created twice"
            creates[name] = parsed
    return creates


def trino_property(create: exp.Create, name: str) -> str:
    (value,) = [
        p.args["value"].this
        for p in create.args["properties"].expressions
        if type(p) is exp.Property and p.name == name
    ]
    return value


def source_problems(source: dict[str, Any], table: BronzeTable, lake: str) -> list[str]:
    """How a rendered bronze source contradicts its declaration; empty when it agrees."""
    problems = []
    location = source.get("config", {}).get("meta", {}).get("external_location")
    if location != external_location(table, lake):
        problems.append(
            f"{table.name}: external_location is {location!r}; "
            f'the yml should say: external_location: "{external_location(table)}"'
        )
    loaded_at = source.get("loaded_at_field")
    if loaded_at and not (
        loaded_at in table.schema.names
        and pa.types.is_timestamp(table.schema.field(loaded_at).type)
    ):
        problems.append(f"{table.name}: loaded_at_field {loaded_at!r} is not a timestamp column")
    unknown = sorted(set(source.get("columns", {})) - table.column_names)
    if unknown:
        problems.append(f"{table.name}: the yml names columns the files lack: {unknown}")
    return problems


def test_every_declared_table_is_one_bronze_source(sources: list[dict[str, Any]]) -> None:
    assert sorted(s["identifier"] for s in sources) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_the_source_reads_the_declared_folder_and_columns(
    sources: list[dict[str, Any]], name: str
) -> None:
    (source,) = [s for s in sources if s["identifier"] == name]
    assert source_problems(source, bronze_table(name), LAKE) == []


@pytest.mark.unit
def test_a_source_that_drifted_is_caught() -> None:
    table = bronze_table("sales_order_lines")
    drifted = {
        "config": {"meta": {"external_location": external_location(table, "s3://other")}},
        "loaded_at_field": "order_id",
        "columns": {"order_id": {}, "line_number": {}, "file_slug": {}},
    }
    problems = source_problems(drifted, table, LAKE)
    assert len(problems) == 3, problems
    assert "line_number" in problems[2] and "file_slug" not in problems[2]


@pytest.mark.parametrize("name", NAMES)
def test_the_trino_table_has_the_columns_the_files_are_written_with(
    trino_creates: dict[str, exp.Create], name: str
) -> None:
    table = bronze_table(name)
    assert table.schema is WRITTEN_WITH[name]
    create = trino_creates[name]
    declared = {
        col.name: col.args["kind"].sql("trino")
        for col in create.this.expressions
        if isinstance(col, exp.ColumnDef)
    }
    (key,) = create.find(exp.PartitionedByProperty).this.expressions
    expected = {
        f.name: expected_trino_type(f.type) for f in WRITTEN_WITH[name] if f.name != key.this
    }
    expected[key.this] = "VARCHAR"
    assert declared == expected
    assert list(declared)[-1] == key.this, "Hive wants the partition key last"


def test_trino_and_duckdb_read_the_same_folders(
    trino_creates: dict[str, exp.Create], sources: list[dict[str, Any]]
) -> None:
    assert sorted(trino_creates) == sorted(NAMES)
    for source in sources:
        location = trino_property(trino_creates[source["identifier"]], "external_location")
        duckdb_read = source["config"]["meta"]["external_location"]
        assert duckdb_read.startswith(f"read_parquet('{location}/*/*.parquet'"), source["name"]
