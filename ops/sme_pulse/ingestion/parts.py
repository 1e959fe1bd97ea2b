"""Parquet parts written batch by batch, so a dataset of any size never sits in memory.

Rows are encoded into an in-memory Parquet file (compressed, a fraction of the Arrow
size) and handed to `Lake.put_bytes` whenever a part reaches its row limit, so every part
lands with the lake's atomic write on a folder and on S3.
"""

from __future__ import annotations

import io
from collections.abc import Collection

import pyarrow as pa
import pyarrow.parquet as pq

from sme_pulse.storage import Lake

ROWS_PER_PART = 500_000

LOAD_COUNT_FIELDS = [
    pa.field("rows_read", pa.int64(), nullable=False),
    pa.field("rows_loaded", pa.int64(), nullable=False),
    pa.field("rows_quarantined", pa.int64(), nullable=False),
    pa.field("bronze_parts", pa.int32(), nullable=False),
    pa.field("quarantine_parts", pa.int32(), nullable=False),
]
"""Load-manifest columns counting what one load wrote through a bronze and a quarantine
`PartWriter` (rows_loaded + rows_quarantined = rows_read); the sales and CRM manifests
share them so dbt reads the counts the same way from both."""


class PartWriter:
    """Writes `<prefix>/<stem>-00000.parquet`, `-00001`, ... with one schema."""

    def __init__(
        self,
        lake: Lake,
        prefix: str,
        stem: str,
        schema: pa.Schema,
        rows_per_part: int = ROWS_PER_PART,
    ) -> None:
        self._lake = lake
        self._prefix = prefix
        self._stem = stem
        self._schema = schema
        self._rows_per_part = rows_per_part
        self._buffer: io.BytesIO | None = None
        self._writer: pq.ParquetWriter | None = None
        self._rows_in_part = 0
        self.rows = 0
        self.keys: list[str] = []

    def write(self, batch: pa.RecordBatch) -> None:
        offset = 0
        while offset < batch.num_rows:
            if self._writer is None:
                self._buffer = io.BytesIO()
                self._writer = pq.ParquetWriter(self._buffer, self._schema, compression="zstd")
            take = min(batch.num_rows - offset, self._rows_per_part - self._rows_in_part)
            self._writer.write_batch(batch.slice(offset, take))
            offset += take
            self._rows_in_part += take
            self.rows += take
            if self._rows_in_part >= self._rows_per_part:
                self._flush()

    def _flush(self) -> None:
        if self._writer is None or self._buffer is None:
            return
        self._writer.close()
        key = f"{self._prefix}/{self._stem}-{len(self.keys):05d}.parquet"
        self._lake.put_bytes(key, self._buffer.getvalue())
        self.keys.append(key)
        self._writer = None
        self._buffer = None
        self._rows_in_part = 0

    def close(self) -> list[str]:
        """Write the last part; return every key written."""
        self._flush()
        return self.keys

    def discard(self) -> None:
        """Forget the open part and delete the parts already written (a failed load)."""
        if self._writer is not None:
            self._writer.close()
        self._writer = None
        self._buffer = None
        for key in self.keys:
            self._lake.delete(key)
        self.keys = []


def delete_other_parts(
    lake: Lake, prefix: str, keep_stem: str, keep_keys: Collection[str] | None = None
) -> list[str]:
    """Delete every object under `prefix` but the parts of `keep_stem`; return their keys.

    With `keep_keys` (what the committing load wrote), parts of the same stem that load
    did not write go too: an earlier attempt with more parts, killed before its commit.
    """
    stale = [
        info.key
        for info in lake.list(prefix)
        if not info.key.rsplit("/", 1)[-1].startswith(f"{keep_stem}-")
        or (keep_keys is not None and info.key not in keep_keys)
    ]
    for key in stale:
        lake.delete(key)
    return stale
