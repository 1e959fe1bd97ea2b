"""`sme-pulse sales check FILE`: what a load would make of one export, writing nothing.

A shop owner fixing an export wants to know before the next run which rows would be
quarantined and why. The check profiles the file and parses it through the very
`FileLoader.parse` a load runs, with tallies in place of Parquet parts: nothing reaches
the lake, the quarantine or the manifest, and the counts are the ones a load would record.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from sme_pulse.config import Settings
from sme_pulse.ingestion.drift import SchemaDrift
from sme_pulse.ingestion.readers import ReadError, landing_object_problem
from sme_pulse.sales.contract import COLUMNS
from sme_pulse.sales.ingest import file_loader, rejects_file
from sme_pulse.sales.landing import LandingArea, file_format
from sme_pulse.sources.lineage import RunContext

SAMPLE_ROWS = 5


@dataclass
class _Tally:
    """A row sink that counts, by reason, and keeps the first few rejected rows."""

    rows: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    sample: list[dict[str, object]] = field(default_factory=list)

    def write(self, batch: pa.RecordBatch) -> None:
        self.rows += batch.num_rows
        if "reason" not in batch.schema.names:
            return
        self.reasons.update(batch.column("reason").to_pylist())
        wanted = SAMPLE_ROWS - len(self.sample)
        if wanted > 0:
            columns = ["source_row_number", "reason", "reason_detail", "raw_record"]
            self.sample.extend(batch.select(columns).slice(0, wanted).to_pylist())


@dataclass
class ExportCheck:
    """What loading one export would do. `error` set: the file would not load at all."""

    name: str
    file_format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    sample: list[dict[str, object]] = field(default_factory=list)
    drift: SchemaDrift | None = None
    error: str | None = None

    @property
    def would_load(self) -> bool:
        return self.error is None

    def mapping(self) -> list[tuple[str, str | None]]:
        """Each header name (or JSON key) and the contract column it becomes (None: dropped)."""
        if self.drift is None:
            return []
        dropped = set(self.drift.extra)
        return [
            (name, None if name in dropped else COLUMNS.canonical(name))
            for name in self.drift.header
        ]

    def lines(self) -> list[str]:
        """The report `sales check` prints."""
        shown = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
        out = [
            f"{self.name}: format {self.file_format or '?'}, encoding {self.encoding or '-'}, "
            f"delimiter {shown.get(self.delimiter or '', self.delimiter or '-')}"
        ]
        for name, column in self.mapping():
            out.append(f"  column {name!r} -> {column or '(not in the contract, dropped)'}")
        if self.drift is not None:
            out.append(f"  schema: {self.drift.describe()}")
        if self.error is not None:
            out.append(f"would NOT load: {self.error}")
        if self.error is not None and not self.rows_read:
            return out
        out.append(
            f"would load {self.rows_loaded} of {self.rows_read} rows, "
            f"quarantine {self.rows_quarantined}"
        )
        if self.rows_read == 0:
            out.append("warning: no data rows (header only?); the load would record 0 rows")
        out += [f"  {count:>8}  {reason}" for reason, count in sorted(self.reasons.items())]
        for row in self.sample:
            out.append(
                f"  row {row['source_row_number']}: {row['reason']} ({row['reason_detail']}) "
                f"{row['raw_record']}"
            )
        return out


def check_export(settings: Settings, path: Path) -> ExportCheck:
    """Parse `path` exactly as `ingest sales` would, writing nothing anywhere."""
    now = datetime.now(UTC)
    run = RunContext(run_id="sales_check", ingest_date=now.date().isoformat(), ingested_at=now)
    landing = LandingArea(str(path.parent.resolve()))
    name = path.name
    report = ExportCheck(name, file_format=file_format(name))
    refused = landing_object_problem(name, path.stat().st_size, settings.landing_limits)
    if refused:
        report.error = refused
        return report
    if report.file_format is None:
        report.error = "not a .csv, .tsv, .jsonl, .ndjson or .xlsx file"
        return report
    fmt = report.file_format
    profile = landing.profile(name, text=fmt != "xlsx", configured=settings.landing_encoding)
    report.encoding = profile.encoding
    if profile.problem:
        report.error = profile.problem
        return report
    lines, quarantine = _Tally(), _Tally()
    loader = file_loader(settings, landing, landing, run)
    try:
        read, reader, _ = loader.parse(name, fmt, profile, lines, quarantine)
    except (ReadError, csv.Error, UnicodeDecodeError, pa.ArrowInvalid) as exc:
        report.error = str(exc)
        return report
    report.delimiter = reader.delimiter
    report.drift = reader.mapper.drift()
    report.rows_read, report.rows_loaded = read, lines.rows
    report.rows_quarantined = quarantine.rows
    report.reasons = dict(quarantine.reasons)
    report.sample = quarantine.sample
    if rejects_file(report.drift, fmt):
        missing = ", ".join(report.drift.missing_required)
        report.error = f"the header lacks required column(s) {missing}; every row is quarantined"
    return report
