"""The warehouse, whichever engine holds it: queries, and row counts per layer.

`query` is the one way package code asks the DuckDB file or Trino's iceberg catalog a
question. The row counts serve the DAGs' summary task and the demo: an operator should see
at a glance how many rows each bronze dataset and each silver/gold table holds after a run.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from sme_pulse.config import Settings
from sme_pulse.errors import SmePulseError, message_line
from sme_pulse.storage import Lake

MODEL_SCHEMAS = ("silver", "gold")


class WarehouseError(SmePulseError, RuntimeError):
    """The warehouse cannot answer a query; the message names it and the first error line."""


def query_table(settings: Settings, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of `sql` on the configured warehouse (DuckDB file or Trino).

    The DuckDB file is opened read-write: in `airflow dags test` dbt (in process) still
    holds a read-write handle and DuckDB refuses a second handle with another
    configuration. An operator's query goes through `ad_hoc_query` instead.
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
            raise WarehouseError(f"{where}: {message_line(exc)}") from exc
    return _on_duckdb(settings.warehouse_path, sql)


def _on_duckdb(
    path: Path, sql: str, *, read_only: bool = False
) -> tuple[list[str], list[tuple[Any, ...]]]:
    import duckdb

    if not path.exists():
        raise WarehouseError(f"no warehouse at {path}")
    # Read-only handles never download extensions: an ad-hoc query stays on this machine.
    config = {"autoinstall_known_extensions": False} if read_only else {}
    try:
        with duckdb.connect(str(path), read_only=read_only, config=config) as con:
            cur = con.execute(sql)
            rows = cur.fetchall()
            return [d[0] for d in cur.description or []], rows
    except duckdb.Error as exc:
        raise WarehouseError(_duckdb_problem(path, exc)) from exc


def _refusal(sql: str) -> str | None:
    """Why an operator's ad-hoc SQL is refused on the DuckDB file, or None.

    The file is opened read-only, which stops writes to it but not `COPY ... TO` a file,
    `EXPORT DATABASE`, `INSTALL`/`LOAD` or `ATTACH`; external access itself must stay on,
    because the silver views read bronze Parquet with `read_parquet`. So the statement's
    type, as DuckDB's own parser reads it, decides: only queries pass.
    """
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        return message_line(exc)
    if not statements:
        return "no SQL given"
    if len(statements) > 1:
        return f"one statement at a time (got {len(statements)})"
    kind = statements[0].type
    if kind not in (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN):
        return f"only queries (SELECT, SHOW, DESCRIBE, EXPLAIN) run here, not {kind.name}"
    return None


def _duckdb_problem(path: Path, exc: BaseException) -> str:
    """The one line for a DuckDB failure, saying what to do about the usual two."""
    line = message_line(exc)
    if "Could not set lock" in line:
        holder = line.split("Conflicting lock is held in ", 1)[-1].split(". See also")[0]
        return f"{path} is open for writing in another process ({holder}); retry when it ends"
    if "not a valid DuckDB database file" in line:
        return f"{path} is not a DuckDB database (damaged?); rebuild it with `make demo`"
    return f"{path}: {line}"


def ad_hoc_query(settings: Settings, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """An operator's one statement (`sme-pulse query`): read-only, and on DuckDB a query
    only, so it cannot write files or install, load or attach anything."""
    if not sql.strip():
        raise WarehouseError("no SQL given")
    if settings.dbt_target == "trino":
        return query_table(settings, sql)
    refused = _refusal(sql)
    if refused:
        raise WarehouseError(refused)
    return _on_duckdb(settings.warehouse_path, sql, read_only=True)


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
