"""Trino's bronze tables are declared by hand in dbt/macros/bronze.sql; the Parquet files
are written with the Arrow schemas in the package. Keep the two, and the DuckDB source
paths, from drifting apart: a mismatch only shows on the stack, as a Trino read error."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass

import pyarrow as pa
import pytest
import sqlglot
from sme_pulse.crm import contract as crm_contract
from sme_pulse.crm import ingest as crm_ingest
from sme_pulse.sales import contract as sales_contract
from sme_pulse.sales import manifest as sales_manifest
from sme_pulse.sources import provinces, world_bank
from sqlglot import exp

from .conftest import DBT, REPO

pytestmark = pytest.mark.integration

WRITTEN_WITH = {
    "wb_indicators": world_bank.SCHEMA,
    "vn_provinces": provinces.PROVINCE_SCHEMA,
    "vn_districts": provinces.DISTRICT_SCHEMA,
    "sales_order_lines": sales_contract.ORDER_LINES_SCHEMA,
    "sales_load_manifest": sales_manifest.MANIFEST_SCHEMA,
    "crm_customers": crm_contract.CUSTOMERS_SCHEMA,
    "crm_load_manifest": crm_ingest.MANIFEST_SCHEMA,
}
LAKE = "s3://sme-lake"


def trino_type(arrow: pa.DataType) -> str:
    if pa.types.is_list(arrow):
        return f"array({trino_type(arrow.value_type)})"
    if pa.types.is_timestamp(arrow):
        return "timestamp(6)"
    simple = {
        pa.string(): "varchar", pa.int32(): "integer", pa.int64(): "bigint",
        pa.float64(): "double", pa.bool_(): "boolean", pa.date32(): "date",
    }  # fmt: skip
    return simple[arrow]


@dataclass
class BronzeDdl:
    tables: dict[str, tuple[str, exp.Create]]
    manifest: dict


@pytest.fixture(scope="module")
def ddl(tmp_path_factory: pytest.TempPathFactory) -> BronzeDdl:
    """Every `create table` of `dbt run-operation show_bronze_ddl`, parsed as Trino."""
    tmp = tmp_path_factory.mktemp("bronze-ddl")
    result = subprocess.run(
        [str(DBT), "run-operation", "show_bronze_ddl", "--project-dir", str(REPO / "dbt"),
         "--profiles-dir", str(REPO / "dbt"), "--target-path", str(tmp / "target"),
         "--log-path", str(tmp / "logs"), "--quiet"],
        cwd=REPO / "dbt", capture_output=True, text=True, check=False,
        env={**os.environ, "LAKE_URI": LAKE, "WAREHOUSE_PATH": str(tmp / "w.duckdb")},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    tables = {}
    for statement in filter(str.strip, result.stdout.splitlines()):
        parsed = sqlglot.parse_one(statement, read="trino")
        if isinstance(parsed, exp.Create) and parsed.kind == "TABLE":
            tables[parsed.this.this.name] = (statement, parsed)
    manifest = json.loads((tmp / "target" / "manifest.json").read_text())
    return BronzeDdl(tables, manifest)


def declared(create: exp.Create) -> dict[str, str]:
    return {
        col.name: col.args["kind"].sql("trino").lower()
        for col in create.this.expressions
        if isinstance(col, exp.ColumnDef)
    }


def partition_of(statement: str) -> str:
    (match,) = re.findall(r"partitioned_by = array\['(\w+)'\]", statement)
    return match


@pytest.mark.parametrize("table", sorted(WRITTEN_WITH))
def test_columns_and_types_match_the_arrow_schema(ddl: BronzeDdl, table: str) -> None:
    statement, create = ddl.tables[table]
    partition = partition_of(statement)
    expected = {f.name: trino_type(f.type) for f in WRITTEN_WITH[table] if f.name != partition}
    expected[partition] = "varchar"
    assert declared(create) == expected


def test_every_bronze_source_is_a_declared_table_at_the_same_path(ddl: BronzeDdl) -> None:
    assert set(ddl.tables) == set(WRITTEN_WITH)
    sources = [s for s in ddl.manifest["sources"].values() if s["schema"] == "bronze"]
    assert {s["identifier"] for s in sources} == set(WRITTEN_WITH)
    for source in sources:
        statement, _ = ddl.tables[source["identifier"]]
        (location,) = re.findall(r"external_location = '([^']+)'", statement)
        duckdb_read = source["config"]["meta"]["external_location"]
        assert f"read_parquet('{location}/*/*.parquet'" in duckdb_read, source["identifier"]
