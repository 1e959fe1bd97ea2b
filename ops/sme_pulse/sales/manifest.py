"""The sales load manifest: one row per landing file describing its current load.

It is a Parquet dataset (`bronze/sales/load_manifest/file_slug=<slug>/manifest.parquet`)
so dbt reads it as a source next to the order lines, and it is also the ingestion's
state: a file whose name and SHA-256 match its manifest row was loaded and is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from sme_pulse.ingestion.drift import SchemaDrift
from sme_pulse.ingestion.parts import LOAD_COUNT_FIELDS
from sme_pulse.sales.layout import MANIFEST_OBJECT, MANIFEST_PREFIX, manifest_key
from sme_pulse.sources.lineage import LINEAGE_FIELDS, RunContext
from sme_pulse.storage import Lake

MANIFEST_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("file_slug", pa.string(), nullable=False),
        pa.field("source_file_sha256", pa.string(), nullable=False),
        pa.field("source_file_bytes", pa.int64(), nullable=False),
        pa.field("file_format", pa.string(), nullable=False),
        pa.field("encoding", pa.string()),
        pa.field("line_terminator", pa.string()),
        pa.field("delimiter", pa.string()),
        pa.field("status", pa.string(), nullable=False),
        *LOAD_COUNT_FIELDS,
        pa.field("header", pa.list_(pa.string()), nullable=False),
        pa.field("missing_required_columns", pa.list_(pa.string()), nullable=False),
        pa.field("missing_optional_columns", pa.list_(pa.string()), nullable=False),
        pa.field("extra_columns", pa.list_(pa.string()), nullable=False),
        pa.field("renamed_columns", pa.list_(pa.string()), nullable=False),
        pa.field("columns_reordered", pa.bool_(), nullable=False),
        pa.field("version", pa.int32(), nullable=False),
        pa.field("supersedes_sha256", pa.string()),
        pa.field("loaded_at", pa.timestamp("us", tz="UTC"), nullable=False),
        *LINEAGE_FIELDS,
    ]
)


@dataclass(frozen=True)
class LoadRecord:
    """The manifest facts the ingestion needs to decide what to do with a file."""

    sha256: str
    status: str
    version: int
    rows_read: int
    rows_loaded: int
    rows_quarantined: int


def read_manifests(lake: Lake) -> dict[str, LoadRecord]:
    """Current load per file slug."""
    records: dict[str, LoadRecord] = {}
    for info in lake.list(MANIFEST_PREFIX):
        if not info.key.endswith(f"/{MANIFEST_OBJECT}"):
            continue
        row = lake.read_parquet(info.key).to_pylist()[0]
        records[row["file_slug"]] = LoadRecord(
            sha256=row["source_file_sha256"],
            status=row["status"],
            version=row["version"],
            rows_read=row["rows_read"],
            rows_loaded=row["rows_loaded"],
            rows_quarantined=row["rows_quarantined"],
        )
    return records


@dataclass(frozen=True)
class ManifestEntry:
    source_file: str
    file_slug: str
    sha256: str
    size: int
    file_format: str
    encoding: str | None
    line_terminator: str | None
    delimiter: str | None
    status: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    bronze_parts: int
    quarantine_parts: int
    drift: SchemaDrift
    version: int
    supersedes_sha256: str | None
    loaded_at: datetime


def write_manifest(lake: Lake, entry: ManifestEntry, run: RunContext, request_url: str) -> str:
    """Replace the file's manifest row; this single write commits the load."""
    row = {
        "source_file": entry.source_file,
        "file_slug": entry.file_slug,
        "source_file_sha256": entry.sha256,
        "source_file_bytes": entry.size,
        "file_format": entry.file_format,
        "encoding": entry.encoding,
        "line_terminator": entry.line_terminator,
        "delimiter": entry.delimiter,
        "status": entry.status,
        "rows_read": entry.rows_read,
        "rows_loaded": entry.rows_loaded,
        "rows_quarantined": entry.rows_quarantined,
        "bronze_parts": entry.bronze_parts,
        "quarantine_parts": entry.quarantine_parts,
        "header": entry.drift.header,
        "missing_required_columns": entry.drift.missing_required,
        "missing_optional_columns": entry.drift.missing_optional,
        "extra_columns": entry.drift.extra,
        "renamed_columns": entry.drift.renamed,
        "columns_reordered": entry.drift.reordered,
        "version": entry.version,
        "supersedes_sha256": entry.supersedes_sha256,
        "loaded_at": entry.loaded_at,
        **run.lineage("sales", request_url),
    }
    key = manifest_key(entry.file_slug)
    lake.write_parquet(key, pa.Table.from_pylist([row], schema=MANIFEST_SCHEMA))
    return key
