"""Sales ingestion: every landing export to bronze order lines, quarantine and manifest.

For each file in the landing area, in key order:

1. fingerprint it (SHA-256); if its manifest row has the same hash it was loaded
   already and is skipped, so re-running a day changes nothing;
2. stream it in batches through the reader for its format and the contract; valid rows
   become bronze parts, every other row a quarantine part with its reason, raw values
   and the values that did pass the contract (`parsed_values`, so silver can repair the
   line from its order or hold the order back with its revenue; loaded + quarantined =
   read, always);
3. compare the SHA-256 of the bytes the parser read with the fingerprint: a file
   rewritten while it was read is not loaded (its parts are deleted, nothing is recorded)
   and the next run loads its final content;
4. write the manifest row, which commits the load, then delete the parts of any earlier
   version of the same file: a corrected file with the same name supersedes the old load.

One load runs at a time per lake (`LakeLock`); a second one waits and then finds the
files unchanged. Each load first aborts multipart uploads a dead writer left on S3.

A file that cannot be parsed at all is reported as failed and leaves bronze untouched;
a missing or unreachable landing area raises `SalesIngestError`; lake failures raise
`LakeError`.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NamedTuple, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from sme_pulse.config import LandingLimits, Settings
from sme_pulse.ingestion.admin_units import load_admin_units
from sme_pulse.ingestion.blocks import Block, CsvBlocks, RowBlocks
from sme_pulse.ingestion.drift import SchemaDrift
from sme_pulse.ingestion.json_blocks import JsonLinesBlocks
from sme_pulse.ingestion.parts import ROWS_PER_PART, PartWriter, delete_other_parts
from sme_pulse.ingestion.readers import (
    RawRow,
    ReadError,
    XlsxReader,
    landing_object_problem,
    raw_record,
)
from sme_pulse.ingestion.report import FileReport, FileStatus, IngestReport
from sme_pulse.ingestion.rules import Violation, raw_record_json, reason_of
from sme_pulse.ingestion.values import clean_text
from sme_pulse.sales.block_check import check_block
from sme_pulse.sales.contract import (
    COLUMNS,
    LINE_FIELDS,
    ORDER_LINES_SCHEMA,
    QUARANTINE_SCHEMA,
    SOURCE,
    Validator,
    parsed_values_json,
)
from sme_pulse.sales.landing import FileProfile, HashedStream, LandingArea, file_format
from sme_pulse.sales.layout import (
    ORDER_LINES_PREFIX,
    QUARANTINE_PREFIX,
    file_slug,
    lines_prefix,
    part_stem,
    quarantine_prefix,
)
from sme_pulse.sales.manifest import LoadRecord, ManifestEntry, read_manifests, write_manifest
from sme_pulse.sources.lineage import LINEAGE_FIELDS, RunContext
from sme_pulse.storage import Lake, LakeError, LakeLock

log = logging.getLogger(__name__)

MAX_RAW_ORDER_ID = 200
CHECKS_IN_FLIGHT = 2
Source = CsvBlocks | JsonLinesBlocks | RowBlocks


class Reject(NamedTuple):
    """A rejected row, the rules it broke, and its valid fields (None: never split)."""

    row: RawRow
    violations: list[Violation]
    parsed: dict[str, Any] | None


class RowSink(Protocol):
    """Where checked rows go: Parquet parts on a load, a tally on a dry run."""

    def write(self, batch: pa.RecordBatch) -> None: ...


@dataclass(frozen=True)
class _FileConstants:
    """Columns that hold one value for every row of a file."""

    name: str
    sha256: str
    run: RunContext
    request_url: str

    def arrays(self, rows: int, numbers: pa.Array | list[int]) -> list[pa.Array]:
        lineage = self.run.lineage(SOURCE, self.request_url)
        ts = pa.timestamp("us", tz="UTC")
        return [
            pa.repeat(pa.scalar(self.name, pa.string()), rows),
            pa.repeat(pa.scalar(self.sha256, pa.string()), rows),
            pa.array(numbers, pa.int64()),
            pa.repeat(pa.scalar(self.run.ingested_at, ts), rows),
        ] + [pa.repeat(pa.scalar(lineage[f.name], f.type), rows) for f in LINEAGE_FIELDS]


def _lines_batch(
    values: dict[str, pa.Array], numbers: pa.Array, c: _FileConstants
) -> pa.RecordBatch:
    arrays = [values[f.name].cast(f.type) for f in LINE_FIELDS]
    return pa.RecordBatch.from_arrays(
        arrays + c.arrays(len(numbers), numbers), schema=ORDER_LINES_SCHEMA
    )


def _row_values(checked: list[dict[str, Any]]) -> dict[str, pa.Array]:
    return {f.name: pa.array([row[f.name] for row in checked], f.type) for f in LINE_FIELDS}


def _quarantine_batch(
    rejects: list[Reject], header: list[str], c: _FileConstants
) -> pa.RecordBatch:
    reasons, details, order_ids, raws, parsed = [], [], [], [], []
    for row, errors, values in rejects:
        reason, detail = reason_of(errors)
        reasons.append(reason)
        details.append(detail)
        order_id = clean_text(row.values.get("order_id"))
        order_ids.append(order_id[:MAX_RAW_ORDER_ID] if order_id else None)
        raws.append(raw_record_json(raw_record(row, header)))
        parsed.append(None if values is None else parsed_values_json(values))
    fixed = c.arrays(len(rejects), [reject.row.number for reject in rejects])
    arrays = [
        *fixed[:3],
        pa.array(reasons, pa.string()),
        pa.array(details, pa.string()),
        pa.array(order_ids, pa.string()),
        pa.array(raws, pa.string()),
        pa.array(parsed, pa.string()),
        *fixed[3:],
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=QUARANTINE_SCHEMA)


def rejects_file(drift: SchemaDrift, fmt: str) -> bool:
    """A CSV or XLSX header without a required column rejects the whole file; JSON Lines
    records carry their own keys, so there only the records missing one are quarantined."""
    return bool(drift.missing_required) and fmt != "jsonl"


def _drop_other_versions(lake: Lake, slug: str, stem: str, keys: list[str] | None = None) -> None:
    delete_other_parts(lake, lines_prefix(slug), stem, keys)
    delete_other_parts(lake, quarantine_prefix(slug), stem, keys)


def _drop_uncommitted(lake: Lake, committed: dict[str, LoadRecord]) -> list[str]:
    """Delete parts no manifest commits: those of a load that died (or lost the lake)
    before its manifest, even when its landing file is gone since. Runs under the lock,
    so no other load is writing parts."""
    stale = []
    for prefix in (ORDER_LINES_PREFIX, QUARANTINE_PREFIX):
        for info in lake.list(prefix):
            folder, name = info.key.rsplit("/", 1)
            record = committed.get(folder.rsplit("file_slug=", 1)[-1])
            if record is None or not name.startswith(f"{part_stem(record.sha256)}-"):
                stale.append(info.key)
    for key in stale:
        lake.delete(key)
    return stale


@dataclass
class FileLoader:
    lake: Lake
    landing: LandingArea
    validator: Validator
    run: RunContext
    rows_per_part: int
    encoding: str
    limits: LandingLimits = field(default_factory=LandingLimits)

    def load(self, name: str, previous: LoadRecord | None) -> FileReport:
        fmt = file_format(name)
        if fmt is None:
            return FileReport(
                name, "unsupported", error="not a .csv, .tsv, .jsonl, .ndjson or .xlsx file"
            )
        profile = self.landing.profile(name, text=fmt != "xlsx", configured=self.encoding)
        slug, stem = file_slug(name), part_stem(profile.sha256)
        if previous is not None and previous.sha256 == profile.sha256:
            _drop_other_versions(self.lake, slug, stem)
            return FileReport(
                name,
                "unchanged",
                profile.sha256,
                previous.rows_read,
                previous.rows_loaded,
                previous.rows_quarantined,
            )
        if profile.problem:
            return FileReport(name, "failed", profile.sha256, error=profile.problem)
        location = self.landing.location(name)
        bronze = PartWriter(
            self.lake, lines_prefix(slug), stem, ORDER_LINES_SCHEMA, self.rows_per_part
        )
        quarantine = PartWriter(
            self.lake, quarantine_prefix(slug), stem, QUARANTINE_SCHEMA, self.rows_per_part
        )
        try:
            read, reader, changed = self.parse(name, fmt, profile, bronze, quarantine)
            if changed:
                bronze.discard()
                quarantine.discard()
                return FileReport(
                    name,
                    "failed",
                    profile.sha256,
                    error="the file changed while it was read; nothing loaded, "
                    "the next run loads its final content",
                )
            bronze.close()
            quarantine.close()
        except (ReadError, csv.Error, UnicodeDecodeError, pa.ArrowInvalid) as exc:
            bronze.discard()
            quarantine.discard()
            return FileReport(name, "failed", profile.sha256, error=str(exc))
        except BaseException as exc:
            with contextlib.suppress(LakeError):
                bronze.discard()
                quarantine.discard()
            if isinstance(exc, OSError):
                raise LakeError(f"cannot read {location}: {exc}") from exc
            raise
        drift = reader.mapper.drift()
        rejected = rejects_file(drift, fmt)
        status: FileStatus = "rejected" if rejected else "loaded"
        entry = ManifestEntry(
            source_file=name,
            file_slug=slug,
            sha256=profile.sha256,
            size=profile.size,
            file_format=fmt,
            encoding=profile.encoding,
            line_terminator=profile.line_terminator,
            delimiter=reader.delimiter,
            status=status,
            rows_read=read,
            rows_loaded=bronze.rows,
            rows_quarantined=quarantine.rows,
            bronze_parts=len(bronze.keys),
            quarantine_parts=len(quarantine.keys),
            drift=drift,
            version=previous.version + 1 if previous else 1,
            supersedes_sha256=previous.sha256 if previous else None,
            loaded_at=self.run.ingested_at,
        )
        manifest = write_manifest(self.lake, entry, self.run, location)
        _drop_other_versions(self.lake, slug, stem, [*bronze.keys, *quarantine.keys])
        return FileReport(
            name,
            status,
            profile.sha256,
            read,
            bronze.rows,
            quarantine.rows,
            drift=drift,
            superseded_sha256=entry.supersedes_sha256,
            error=drift.describe() if rejected else None,
            keys=[*bronze.keys, *quarantine.keys, manifest],
        )

    def parse(
        self, name: str, fmt: str, profile: FileProfile, lines: RowSink, quarantine: RowSink
    ) -> tuple[int, Source, bool]:
        """Rows read, the reader (its header mapping and delimiter), and whether the file
        changed while it was read; valid rows go to `lines`, rejected ones to `quarantine`.

        The one parse both a load and `sales check` (a dry run) go through, so a check
        reports exactly what a load would do.
        """
        constants = _FileConstants(name, profile.sha256, self.run, self.landing.location(name))
        with contextlib.ExitStack() as stack:
            reader, read_sha256 = self._reader(name, fmt, profile, stack)
            read = self._stream(reader, constants, lines, quarantine)
            changed = read_sha256() != profile.sha256
        return read, reader, changed

    def _reader(
        self, name: str, fmt: str, profile: FileProfile, stack: contextlib.ExitStack
    ) -> tuple[Source, Callable[[], str]]:
        """The file's blocks, and a function giving the SHA-256 of the bytes they came from."""
        if fmt == "xlsx":
            workbook = self.landing.get_bytes(name)
            blocks = RowBlocks(XlsxReader(workbook, COLUMNS, self.limits), COLUMNS)
            return blocks, lambda: hashlib.sha256(workbook).hexdigest()
        stream = HashedStream(stack.enter_context(self.landing.open_input(name)))
        encoding = profile.encoding or "utf-8"
        if fmt == "csv":
            return CsvBlocks(stream, encoding, COLUMNS), stream.sha256
        return (
            JsonLinesBlocks(stream, encoding, COLUMNS, max_row_bytes=self.limits.max_row_bytes),
            stream.sha256,
        )

    def _stream(
        self,
        source: Source,
        constants: _FileConstants,
        bronze: RowSink,
        quarantine: RowSink,
    ) -> int:
        """Read, check and write blocks as a pipeline, in file order.

        This thread reads (Arrow parses each block on every core); two threads check
        blocks side by side (Arrow kernels release the GIL); one thread encodes and
        compresses Parquet. At most `CHECKS_IN_FLIGHT` blocks wait, so memory stays
        bounded whatever the file's size.
        """

        def check(block: Block) -> tuple[pa.RecordBatch | None, pa.RecordBatch | None]:
            lines, rejects = self._check(block, constants)
            rejected = _quarantine_batch(rejects, source.header, constants) if rejects else None
            return lines, rejected

        def write(batches: tuple[pa.RecordBatch | None, pa.RecordBatch | None]) -> None:
            lines, rejected = batches
            if lines is not None:
                bronze.write(lines)
            if rejected is not None:
                quarantine.write(rejected)

        read = 0
        checks: deque[Future[tuple[pa.RecordBatch | None, pa.RecordBatch | None]]] = deque()
        written: Future[None] | None = None
        with (
            ThreadPoolExecutor(CHECKS_IN_FLIGHT, thread_name_prefix="check") as checkers,
            ThreadPoolExecutor(1, thread_name_prefix="parquet-writer") as writer,
        ):

            def hand_over() -> Future[None]:
                batches = checks.popleft().result()
                if written is not None:
                    written.result()
                return writer.submit(write, batches)

            for block in source.blocks():
                read += block.read
                checks.append(checkers.submit(check, block))
                if len(checks) >= CHECKS_IN_FLIGHT:
                    written = hand_over()
            while checks:
                written = hand_over()
            if written is not None:
                written.result()
        return read

    def _check(
        self, block: Block, constants: _FileConstants
    ) -> tuple[pa.RecordBatch | None, list[Reject]]:
        """Bronze lines of the block in file order, and its rejected rows with their reasons.

        Rows the column expressions are sure of are loaded as they are; every other row is
        decided by the row rules, which load it after all or word why it is rejected.
        """
        check = check_block(block, self.validator.units, self.validator.latest)
        unsure = pc.indices_nonzero(pc.invert(check.sure)).to_pylist() if len(block) else []
        sure = check.sure if unsure else None
        fast_values = (
            check.values if sure is None else {k: v.filter(sure) for k, v in check.values.items()}
        )
        fast_numbers = block.numbers if sure is None else block.numbers.filter(sure)
        rejects: list[Reject] = []
        checked: list[dict[str, Any]] = []
        numbers: list[int] = []
        for row in [*(block.row(i) for i in unsure), *block.extra]:
            if row.defect is not None:
                rejects.append(Reject(row, [row.defect], None))
                continue
            result = self.validator.validate(row.values)
            if result.values is None:
                rejects.append(Reject(row, result.violations, result.parsed))
            else:
                checked.append(result.values)
                numbers.append(row.number)
        rejects.sort(key=lambda reject: reject.row.number)
        batch = _lines_batch(fast_values, fast_numbers, constants) if len(fast_numbers) else None
        if checked:
            rescued = _lines_batch(_row_values(checked), pa.array(numbers, pa.int64()), constants)
            table = pa.Table.from_batches([b for b in (batch, rescued) if b is not None])
            table = table.sort_by("source_row_number").combine_chunks()
            batch = table.to_batches()[0]
        return batch, rejects


def file_loader(
    settings: Settings,
    lake: Lake,
    landing: LandingArea,
    run: RunContext,
    rows_per_part: int = ROWS_PER_PART,
) -> FileLoader:
    """The loader a run (and a dry run) uses: the contract as of one day after the load."""
    return FileLoader(
        lake=lake,
        landing=landing,
        validator=Validator(load_admin_units(), run.ingested_at + timedelta(days=1)),
        run=run,
        rows_per_part=rows_per_part,
        encoding=settings.landing_encoding,
        limits=settings.landing_limits,
    )


def ingest_sales(
    settings: Settings,
    run: RunContext,
    *,
    rows_per_part: int = ROWS_PER_PART,
) -> IngestReport:
    """Load every new or changed landing file; return what happened to each."""
    landing = LandingArea(settings.landing_uri, settings.s3)
    landing.require_reachable()
    lake = Lake.from_settings(settings)
    loader = file_loader(settings, lake, landing, run, rows_per_part)
    report = IngestReport(SOURCE)
    with LakeLock(lake, SOURCE):
        for prefix in (ORDER_LINES_PREFIX, QUARANTINE_PREFIX):
            lake.abort_stale_uploads(prefix)
        previous = read_manifests(lake)
        _drop_uncommitted(lake, previous)
        for info in landing.files():
            # An unsafe name or an oversized file is refused before a byte is read.
            refused = landing_object_problem(info.key, info.size, settings.landing_limits)
            result = (
                FileReport(repr(info.key)[1:-1], "rejected", error=refused)
                if refused
                else loader.load(info.key, previous.get(file_slug(info.key)))
            )
            log.info("%s", result.line())
            report.files.append(result)
    return report
