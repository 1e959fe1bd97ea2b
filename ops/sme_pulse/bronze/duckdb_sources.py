"""How DuckDB reads a bronze table in place: the dbt source's `external_location`.

dbt-duckdb substitutes a source's `meta.external_location` for the table name, so each
bronze source in `dbt/models/staging/*/_*__sources.yml` carries the `read_parquet(...)`
call below. The yml stays hand-written, for its descriptions, data tests and freshness;
tests/dbt/test_bronze_contract.py checks its locations against this function and prints
the line to paste when they differ.
"""

from __future__ import annotations

from sme_pulse.bronze.tables import BronzeTable

LAKE_URI_JINJA = "{{ env_var('LAKE_URI', '../.local/lake') }}"
"""How the yml spells the lake root: dbt renders it from LAKE_URI at parse time."""

READ_OPTIONS = "hive_partitioning = true, hive_types_autocast = false, union_by_name = true"
"""`hive_partitioning`: the `<partition>=<value>` folder becomes a column, as on Trino;
`hive_types_autocast = false`: it stays varchar, as on Trino; `union_by_name`: files
written before a column was added still read, the new column as NULL, as on Trino."""


def external_location(table: BronzeTable, lake_uri: str = LAKE_URI_JINJA) -> str:
    """`read_parquet(...)` over every file of every partition (one folder level: one key)."""
    return f"read_parquet('{table.location(lake_uri)}/*/*.parquet', {READ_OPTIONS})"
