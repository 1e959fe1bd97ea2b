"""One API dataset of one run: its loaded rows, its rejected records, and how both land.

    bronze/<source>/<dataset>/ingest_date=<d>/part-0.parquet
    quarantine/<source>/<dataset>/ingest_date=<d>/part-0.parquet

The quarantine carries the columns the sales and CRM quarantines carry (`reason`,
`reason_detail`, `raw_record` as received, lineage), so one query reads every rejected
row. The quarantine object is written first and bronze last, because bronze is what the
models read: a failed bronze write puts the previous quarantine object back, so a run
either lands both or leaves the partition as it was. Records read = loaded +
quarantined is checked before anything is written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from sme_pulse.ingestion.drift import RecordDrift
from sme_pulse.ingestion.rules import Violation, reason_of
from sme_pulse.sources.http import SourceError
from sme_pulse.sources.lineage import LINEAGE_FIELDS, RunContext, bronze_key
from sme_pulse.storage import Lake

log = logging.getLogger(__name__)

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("reason", pa.string(), nullable=False),
        pa.field("reason_detail", pa.string(), nullable=False),
        pa.field("raw_record", pa.string(), nullable=False),
        *LINEAGE_FIELDS,
    ]
)


def quarantine_key(source: str, dataset: str, ingest_date: str) -> str:
    """Where the rejected records of a bronze partition go (same partition, own root)."""
    return f"quarantine/{source}/{dataset}/ingest_date={ingest_date}/part-0.parquet"


@dataclass
class ApiDataset:
    """Rows of one bronze dataset gathered from an API's responses during one run."""

    source: str
    dataset: str
    schema: pa.Schema
    run: RunContext
    drift: RecordDrift = field(default_factory=RecordDrift)
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    read: int = 0

    def add(
        self, record: object, url: str, values: Mapping[str, Any] | None, errors: list[Violation]
    ) -> None:
        """Count one record the API served; load `values`, or quarantine it with `errors`."""
        self.read += 1
        lineage = self.run.lineage(self.source, url)
        if values is not None and not errors:
            self.rows.append({**values, **lineage})
            return
        reason, detail = reason_of(errors)
        raw = json.dumps(record, ensure_ascii=False, default=str)
        self.rejected.append(
            {"reason": reason, "reason_detail": detail, "raw_record": raw, **lineage}
        )

    def line(self) -> str:
        """What the run log says about this dataset."""
        return (
            f"{self.source}/{self.dataset}: read {self.read}, loaded {len(self.rows)}, "
            f"quarantined {len(self.rejected)} (schema drift: {self.drift.describe()})"
        )

    def land(self, lake: Lake) -> dict[str, int]:
        """Write quarantine then bronze; return rows per key written."""
        loaded, quarantined = len(self.rows), len(self.rejected)
        if loaded + quarantined != self.read:
            raise SourceError(
                f"{self.source}/{self.dataset}: read {self.read} but loaded {loaded} + "
                f"quarantined {quarantined}; nothing written"
            )
        date = self.run.ingest_date
        q_key = quarantine_key(self.source, self.dataset, date)
        b_key = bronze_key(self.source, self.dataset, date)
        previous = lake.get_bytes(q_key) if lake.exists(q_key) else None
        if quarantined:
            lake.write_parquet(q_key, pa.Table.from_pylist(self.rejected, QUARANTINE_SCHEMA))
        elif previous is not None:
            lake.delete(q_key)
        level = logging.WARNING if quarantined or self.drift.drifted else logging.INFO
        log.log(level, "%s", self.line())
        if not loaded and quarantined:
            raise SourceError(
                f"{self.line()}: every record was rejected ({self.rejected[0]['reason']}); "
                f"bronze left as it was, the records are in {lake.location(q_key)}"
            )
        try:
            lake.write_parquet(b_key, pa.Table.from_pylist(self.rows, self.schema))
        except BaseException:
            if previous is not None:
                lake.put_bytes(q_key, previous)
            elif quarantined:
                lake.delete(q_key)
            raise
        return {b_key: loaded, **({q_key: quarantined} if quarantined else {})}
