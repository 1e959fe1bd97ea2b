"""The warehouse, whichever engine holds it: queries, and row counts per layer.

`query` is the one way package code asks the DuckDB file or Trino's iceberg catalog a
question. The row counts serve the DAGs' summary task and the demo: an operator should see
at a glance how many rows each bronze dataset and each silver/gold table holds after a run.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sme_pulse.config import Settings
from sme_pulse.errors import SmePulseError
from sme_pulse.storage import Lake

MODEL_SCHEMAS = ("silver", "gold")


class WarehouseError(SmePulseError, RuntimeError):
    """The warehouse cannot answer a query; the message names it and the first error line."""


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def query_table(
    settings: Settings, sql: str, *, read_only: bool = False
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of `sql` on the configured warehouse (DuckDB file or Trino).

    `read_only` opens the DuckDB file read-only (an operator's ad-hoc query); package code
    leaves it off, because in `airflow dags test` dbt (in process) still holds a
    read-write handle and DuckDB refuses a second handle with another configuration.
    """
    if settings.dbt_target == "trino":
        import trino

        where = f"Trino at {settings.trino.host}:{settings.trino.port}"
        try:
            con = trino.dbapi.connect(**settings.trino.connect_args(), catalog="iceberg")
            cur = con.cursor()
            cur.execute(sql)
            rows = [tuple(row) for row in cur.fetchall()]
            return [d[0] for d in cur.description or []], rows
        except (trino.exceptions.Error, OSError) as exc:
            raise WarehouseError(f"{where}: {_first_line(exc)}") from exc
    import duckdb

    if not settings.warehouse_path.exists():
        raise WarehouseError(f"no warehouse at {settings.warehouse_path}")
    try:
        with duckdb.connect(str(settings.warehouse_path), read_only=read_only) as con:
            cur = con.execute(sql)
            rows = cur.fetchall()
            return [d[0] for d in cur.description or []], rows
    except duckdb.Error as exc:
        raise WarehouseError(f"{settings.warehouse_path}: {_first_line(exc)}") from exc


def query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    """Rows of `sql` on the configured warehouse."""
    return query_table(settings, sql)[1]


def bronze_row_counts(lake: Lake) -> dict[str, dict[str, int]]:
    """Per bronze dataset (`bronze/<source>/<dataset>`): files and rows across them."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"files": 0, "rows": 0})
    for obj in lake.list("bronze/"):
        if not obj.key.endswith(".parquet"):
            continue
        dataset = "/".join(obj.key.split("/")[:3])
        counts[dataset]["files"] += 1
        counts[dataset]["rows"] += lake.parquet_row_count(obj.key)
    return dict(sorted(counts.items()))


def model_row_counts(settings: Settings) -> dict[str, int]:
    """Rows per table in the silver and gold schemas of the configured dbt target."""
    on_trino = settings.dbt_target == "trino"
    if not on_trino and not settings.warehouse_path.exists():
        return {}
    catalog = "iceberg." if on_trino else ""
    schemas = ", ".join(f"'{schema}'" for schema in MODEL_SCHEMAS)
    tables = query(
        settings,
        f"select table_schema, table_name from {catalog}information_schema.tables "
        f"where table_schema in ({schemas}) order by 1, 2",
    )
    counts = {}
    for schema, name in tables:
        (count,) = query(settings, f'select count(*) from {catalog}"{schema}"."{name}"')[0]
        counts[f"{schema}.{name}"] = count
    return counts
