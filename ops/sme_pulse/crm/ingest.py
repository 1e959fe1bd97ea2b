"""Customer ingestion: customers changed since the watermark, from the CRM API to bronze.

One run is one extraction window, `updated_since` = the stored watermark (everything on
the first run). Pages are followed by cursor over real HTTP with the shared retry
policy; each record is checked against the customer contract; valid ones become
bronze parts, the others quarantine parts with their reason. Then the window's manifest
row is written, and only then the watermark advances to the newest `updated_at` seen.
One extraction runs at a time (`LakeLock`); parts no manifest commits, left by a killed
run, are deleted before and after each run (`crm.commits`), whatever their ingest date.

    bronze/crm/customers/ingest_date=<d>/part-<window>-00000.parquet
    quarantine/crm/customers/ingest_date=<d>/part-<window>-00000.parquet
    bronze/crm/load_manifest/ingest_date=<d>/<window>.parquet
    _state/crm/customers_watermark.json

`<window>` is `full` or `since-<watermark as %Y%m%dT%H%M%S%fZ>` (plus a digest of the
ids already landed at that instant, when there are any), so re-running a window
(after a failure, or the same Airflow run again) rewrites the same objects instead of
adding copies, and successive windows never overwrite each other. Bronze is an
append-only change log: silver keeps the latest row per `customer_id` by `updated_at`.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from sme_pulse.config import Settings
from sme_pulse.crm.commits import (
    CUSTOMERS_PREFIX,
    QUARANTINE_PREFIX,
    drop_uncounted,
    manifest_key,
    partition,
)
from sme_pulse.crm.commits import MANIFEST_PREFIX as MANIFEST_PREFIX  # bronze.tables reads it
from sme_pulse.crm.contract import (
    CUSTOMER_FIELDS,
    CUSTOMERS_SCHEMA,
    FIELDS,
    QUARANTINE_SCHEMA,
    REQUIRED_FIELDS,
    SOURCE,
    CustomerValidator,
    require_fields,
)
from sme_pulse.crm.watermark import Watermark, read_watermark, write_watermark
from sme_pulse.ingestion.admin_units import load_admin_units
from sme_pulse.ingestion.drift import SchemaDrift
from sme_pulse.ingestion.parts import LOAD_COUNT_FIELDS, PartWriter
from sme_pulse.ingestion.report import CustomerIngestError, FileReport, FileStatus, IngestReport
from sme_pulse.ingestion.rules import Violation, raw_record_json, reason_of
from sme_pulse.ingestion.values import clean_text
from sme_pulse.sources.http import JsonClient, RetryPolicy, SourceError
from sme_pulse.sources.lineage import LINEAGE_FIELDS, RunContext
from sme_pulse.storage import Lake, LakeError, LakeLock

log = logging.getLogger(__name__)

LOCK_NAME = "crm_customers"
ENDPOINT = "/v1/customers"
PAGE_SIZE = 500
MAX_PAGES = 100_000
ROWS_PER_PART = 100_000
BUFFER_ROWS = 10_000

MANIFEST_SCHEMA = pa.schema(
    [
        pa.field("extraction_window", pa.string(), nullable=False),
        pa.field("updated_since", pa.timestamp("us", tz="UTC")),
        pa.field("max_updated_at", pa.timestamp("us", tz="UTC")),
        pa.field("status", pa.string(), nullable=False),
        pa.field("pages", pa.int32(), nullable=False),
        *LOAD_COUNT_FIELDS,
        pa.field("fields_seen", pa.list_(pa.string()), nullable=False),
        pa.field("missing_fields", pa.list_(pa.string()), nullable=False),
        pa.field("extra_fields", pa.list_(pa.string()), nullable=False),
        *LINEAGE_FIELDS,
    ]
)


def window_name(since: datetime | None, landed: Collection[str] = ()) -> str:
    """The name of the extraction a watermark asks for: equal names, equal extractions."""
    if since is None:
        return "full"
    name = f"since-{since.astimezone(UTC):%Y%m%dT%H%M%S%fZ}"
    if landed:
        digest = hashlib.sha256("\n".join(sorted(landed)).encode("utf-8")).hexdigest()
        name += f"-{digest[:8]}"
    return name


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _explain(exc: SourceError, settings: Settings) -> str:
    message = str(exc)
    if "HTTP 401" in message or "HTTP 403" in message:
        hint = "set CUSTOMER_API_TOKEN" if not settings.customer_api_token else "check it"
        return f"{message} - the customer API refused the token ({hint})"
    return message


@dataclass
class _Extraction:
    """Pages of one window flowing into bronze and quarantine writers."""

    run: RunContext
    validator: CustomerValidator
    bronze: PartWriter
    quarantine: PartWriter
    since: datetime | None = None
    landed: frozenset[str] = frozenset()
    rows_read: int = 0
    already_landed: int = 0
    pages: int = 0
    newest: datetime | None = None
    at_newest: set[str] = field(default_factory=set)
    seen_fields: dict[str, None] = field(default_factory=dict)
    _good: list[dict[str, Any]] = field(default_factory=list)
    _good_urls: list[str] = field(default_factory=list)
    _bad: list[tuple[str | None, str, str, str, str | None, str]] = field(default_factory=list)

    def _lineage(self, urls: list[str]) -> list[pa.Array]:
        arrays = []
        for f in LINEAGE_FIELDS:
            if f.name == "request_url":
                arrays.append(pa.array(urls, pa.string()))
            else:
                value = self.run.lineage(SOURCE, "")[f.name]
                arrays.append(pa.repeat(pa.scalar(value, f.type), len(urls)))
        return arrays

    def flush(self) -> None:
        if self._good:
            arrays = [
                pa.array([row[f.name] for row in self._good], f.type) for f in CUSTOMER_FIELDS
            ]
            self.bronze.write(
                pa.RecordBatch.from_arrays(
                    arrays + self._lineage(self._good_urls), schema=CUSTOMERS_SCHEMA
                )
            )
            self._good, self._good_urls = [], []
        if self._bad:
            ids, reasons, details, raws, parsed, urls = (
                list(c) for c in zip(*self._bad, strict=True)
            )
            arrays = [
                pa.array(ids, pa.string()),
                pa.array(reasons, pa.string()),
                pa.array(details, pa.string()),
                pa.array(raws, pa.string()),
                pa.array(parsed, pa.string()),
            ]
            self.quarantine.write(
                pa.RecordBatch.from_arrays(arrays + self._lineage(urls), schema=QUARANTINE_SCHEMA)
            )
            self._bad = []

    def _reject(
        self, record: object, url: str, errors: list[Violation], parsed: str | None = None
    ) -> None:
        reason, detail = reason_of(errors)
        customer_id = clean_text(record.get("id")) if isinstance(record, dict) else None
        raw = raw_record_json(record) if isinstance(record, dict) else raw_record_json(str(record))
        self._bad.append((customer_id, reason, detail, raw, parsed, url))

    def add_page(self, records: list[Any], url: str) -> None:
        self.pages += 1
        for record in records:
            if not isinstance(record, dict):
                self.rows_read += 1
                self._reject(
                    record, url, [Violation("not_an_object", "", "record is not a JSON object")]
                )
                continue
            self.seen_fields.update(dict.fromkeys(record))
            check = self.validator.validate(record)
            updated_at = check.updated_at
            customer_id = clean_text(record.get("id"))
            if updated_at is not None and updated_at == self.since and customer_id in self.landed:
                self.already_landed += 1
                continue
            self.rows_read += 1
            self._mark(updated_at, customer_id)
            if check.values is None:
                self._reject(record, url, check.violations, check.parsed_values())
            else:
                self._good.append(check.values)
                self._good_urls.append(url)
        if len(self._good) + len(self._bad) >= BUFFER_ROWS:
            self.flush()

    def _mark(self, updated_at: datetime | None, customer_id: str | None) -> None:
        """Follow the newest `updated_at` and the ids landed at that instant."""
        if updated_at is None:
            return
        if self.newest is None or updated_at > self.newest:
            self.newest, self.at_newest = updated_at, set()
        if updated_at == self.newest and customer_id:
            self.at_newest.add(customer_id)

    def drift(self) -> SchemaDrift:
        seen = list(self.seen_fields)
        return SchemaDrift(
            header=seen,
            missing_required=[f for f in REQUIRED_FIELDS if seen and f not in seen],
            missing_optional=[
                f for f in FIELDS if seen and f not in REQUIRED_FIELDS and f not in seen
            ],
            extra=[f for f in seen if f not in FIELDS],
        )


def _page(document: Any, url: str) -> tuple[list[Any], str | None]:
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise CustomerIngestError(f"customer API: {url} did not answer {{'data': [...]}}")
    cursor = document.get("next_cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise CustomerIngestError(f"customer API: next_cursor from {url} is not a string")
    return document["data"], cursor or None


def _fetch(
    client: JsonClient, endpoint: str, since: datetime | None, page_size: int, sink: _Extraction
) -> None:
    params: dict[str, Any] = {"limit": page_size}
    if since is not None:
        params["updated_since"] = _iso(since)
    cursors: set[str] = set()
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        query = {**params, "cursor": cursor} if cursor else params
        document, url = client.get_json(endpoint, query)
        records, cursor = _page(document, url)
        sink.add_page(records, url)
        if cursor is None:
            return
        if cursor in cursors:
            raise CustomerIngestError(f"customer API: cursor {cursor!r} repeats at {url}")
        cursors.add(cursor)
    raise CustomerIngestError(f"customer API: more than {MAX_PAGES} pages from {endpoint}")


def _prune(lake: Lake, prefix: str, stem: str, keep: list[str]) -> None:
    """Delete parts of this window left by an earlier, larger attempt."""
    for info in lake.list(prefix):
        name = info.key.rsplit("/", 1)[-1]
        if name.startswith(f"{stem}-") and info.key not in keep:
            lake.delete(info.key)


def ingest_customers(
    settings: Settings,
    run: RunContext,
    *,
    page_size: int = PAGE_SIZE,
    rows_per_part: int = ROWS_PER_PART,
) -> IngestReport:
    """Land customers changed since the watermark; advance it after a successful write."""
    lake = Lake.from_settings(settings)
    with LakeLock(lake, LOCK_NAME):
        for prefix in (CUSTOMERS_PREFIX, QUARANTINE_PREFIX):
            lake.abort_stale_uploads(prefix)
        drop_uncounted(lake)
        return _extract(lake, settings, run, page_size, rows_per_part)


def _extract(
    lake: Lake, settings: Settings, run: RunContext, page_size: int, rows_per_part: int
) -> IngestReport:
    previous = read_watermark(lake)
    since = previous.updated_since if previous else None
    landed = frozenset(previous.landed_at_mark) if previous else frozenset()
    window = window_name(since, landed)
    stem = f"part-{window}"
    bronze_prefix = f"{CUSTOMERS_PREFIX}/{partition(run.ingest_date)}"
    quarantine_prefix = f"{QUARANTINE_PREFIX}/{partition(run.ingest_date)}"
    extraction = _Extraction(
        since=since,
        landed=landed,
        run=run,
        validator=CustomerValidator(load_admin_units()),
        bronze=PartWriter(lake, bronze_prefix, stem, CUSTOMERS_SCHEMA, rows_per_part),
        quarantine=PartWriter(lake, quarantine_prefix, stem, QUARANTINE_SCHEMA, rows_per_part),
    )
    endpoint = f"{settings.customer_api_url}{ENDPOINT}"
    headers = (
        {"Authorization": f"Bearer {settings.customer_api_token}"}
        if settings.customer_api_token
        else {}
    )
    try:
        with JsonClient(
            "customer API",
            timeout_s=settings.http_timeout_s,
            policy=RetryPolicy.from_settings(settings),
            headers=headers,
        ) as client:
            _fetch(client, endpoint, since, page_size, extraction)
        require_fields(extraction.seen_fields, endpoint)
        extraction.flush()
        extraction.bronze.close()
        extraction.quarantine.close()
    except BaseException as exc:
        with contextlib.suppress(LakeError):
            extraction.bronze.discard()
            extraction.quarantine.discard()
        if isinstance(exc, SourceError):
            raise CustomerIngestError(_explain(exc, settings)) from exc
        raise
    if extraction.already_landed:
        log.info(
            "customers[%s]: %d record(s) at the watermark were landed before, skipped",
            window,
            extraction.already_landed,
        )
    # Nothing new since the watermark: no parts and the same watermark, so a re-run adds
    # no row; the window's manifest is still written, it carries the freshness SLA.
    status: FileStatus = "unchanged" if since is not None and not extraction.rows_read else "loaded"
    drift = extraction.drift()
    row = {
        "extraction_window": window,
        "updated_since": since,
        "max_updated_at": extraction.newest,
        "status": status,
        "pages": extraction.pages,
        "rows_read": extraction.rows_read,
        "rows_loaded": extraction.bronze.rows,
        "rows_quarantined": extraction.quarantine.rows,
        "bronze_parts": len(extraction.bronze.keys),
        "quarantine_parts": len(extraction.quarantine.keys),
        "fields_seen": drift.header,
        "missing_fields": drift.missing_required + drift.missing_optional,
        "extra_fields": drift.extra,
        **run.lineage(SOURCE, endpoint),
    }
    manifest = manifest_key(run.ingest_date, window)
    lake.write_parquet(manifest, pa.Table.from_pylist([row], schema=MANIFEST_SCHEMA))
    _prune(lake, bronze_prefix, stem, extraction.bronze.keys)
    _prune(lake, quarantine_prefix, stem, extraction.quarantine.keys)
    drop_uncounted(lake, winner=(run.ingest_date, window))
    newest = extraction.newest
    if newest is not None and (since is None or newest > since):
        mark = Watermark(newest, run.run_id, datetime.now(UTC), tuple(extraction.at_newest))
        write_watermark(lake, mark)
    elif newest == since and not extraction.at_newest <= landed:
        mark = Watermark(since, run.run_id, datetime.now(UTC), tuple(extraction.at_newest | landed))
        write_watermark(lake, mark)
    result = FileReport(
        name=f"customers[{window}]",
        status=status,
        rows_read=extraction.rows_read,
        rows_loaded=extraction.bronze.rows,
        rows_quarantined=extraction.quarantine.rows,
        drift=drift,
        keys=[*extraction.bronze.keys, *extraction.quarantine.keys, manifest],
    )
    log.info("%s", result.line())
    return IngestReport(SOURCE, [result])
