"""Bronze as the warehouses see it: every table declared once (`tables`), rendered as
Trino DDL (`trino_ddl`) and applied to a running Trino (`registration`).

DuckDB needs no registration: the dbt sources read the Parquet files in place through
the `external_location` that `duckdb_sources` derives from the same declaration, which
tests/dbt/test_bronze_contract.py holds the sources' yml to.
"""

from sme_pulse.bronze.tables import BRONZE_TABLES, BronzeTable, bronze_table

__all__ = ["BRONZE_TABLES", "BronzeTable", "bronze_table"]
