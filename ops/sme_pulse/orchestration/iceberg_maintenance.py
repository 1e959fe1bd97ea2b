"""Task bodies of `sme_pulse_iceberg_maintenance`: upkeep of every Iceberg table on Trino.

Each dbt run writes new snapshots and small files: `table` models are replaced in place
(`on_table_exists: replace`, so their history stays one table), incremental models merge.
Left alone, metadata and small files grow every day and reads slow down. Per table, in
this order:

1. `optimize` rewrites files below `ICEBERG_OPTIMIZE_FILE_SIZE_THRESHOLD` into larger ones;
2. `expire_snapshots` drops snapshots older than `ICEBERG_SNAPSHOT_RETENTION` (time travel
   reaches back that far, no further) and the files only they referenced;
3. `remove_orphan_files` deletes files no snapshot references (failed writes) older than
   the same retention, so a write still in flight is never touched;
4. `analyze` refreshes the statistics the planner uses for join order.

Trino refuses a retention below the catalog's floor (`iceberg.expire-snapshots.min-retention`,
`iceberg.remove-orphan-files.min-retention`, from ICEBERG_MIN_RETENTION): the retention
asked for here must not be shorter.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sme_pulse.config import Settings
from sme_pulse.warehouse import query

MAINTAINED_SCHEMAS = ("silver", "gold", "snapshots")


@dataclass(frozen=True)
class TableUpkeep:
    table: str
    snapshots_before: int
    snapshots_after: int
    data_files_before: int
    data_files_after: int


def iceberg_tables(settings: Settings) -> list[str]:
    """`schema.table` of every Iceberg table the pipeline builds (none off Trino)."""
    if settings.dbt_target != "trino":
        return []
    schemas = ", ".join(f"'{s}'" for s in MAINTAINED_SCHEMAS)
    rows = query(
        settings,
        "select table_schema, table_name from iceberg.information_schema.tables "
        f"where table_schema in ({schemas}) and table_type = 'BASE TABLE' order by 1, 2",
    )
    return [f"{schema}.{table}" for schema, table in rows]


def _counts(settings: Settings, table: str) -> tuple[int, int]:
    schema, name = table.split(".")
    snapshots = query(settings, f'select count(*) from iceberg.{schema}."{name}$snapshots"')
    files = query(
        settings, f'select count(*) from iceberg.{schema}."{name}$files" where content = 0'
    )
    return int(snapshots[0][0]), int(files[0][0])


def maintain(settings: Settings, table: str) -> dict[str, Any]:
    """Optimize, expire, clean and analyze one table; what it had before and after."""
    retention = settings.iceberg.snapshot_retention
    threshold = settings.iceberg.optimize_file_size_threshold
    fqn = f"iceberg.{table}"
    snapshots_before, files_before = _counts(settings, table)
    for statement in (
        f"alter table {fqn} execute optimize(file_size_threshold => '{threshold}')",
        f"alter table {fqn} execute expire_snapshots(retention_threshold => '{retention}')",
        f"alter table {fqn} execute remove_orphan_files(retention_threshold => '{retention}')",
        f"analyze {fqn}",
    ):
        query(settings, statement)
    snapshots_after, files_after = _counts(settings, table)
    return asdict(TableUpkeep(table, snapshots_before, snapshots_after, files_before, files_after))
