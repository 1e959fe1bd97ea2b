"""Customer ingestion: customers changed since the watermark, from the CRM API to bronze.

One run is one extraction window, `updated_since` = the stored watermark (everything on
the first run). Pages are followed by cursor over real HTTP with the shared retry
policy; each record is checked against the customer contract; valid ones become
bronze parts, the others quarantine parts with their reason. Then the window's manifest
row is written, and only then the watermark advances to the newest `updated_at` seen.

    bronze/crm/customers/ingest_date=<d>/part-<window>-00000.parquet
    quarantine/crm/customers/ingest_date=<d>/part-<window>-00000.parquet
    bronze/crm/load_manifest/ingest_date=<d>/<window>.parquet
    _state/crm/customers_watermark.json

`<window>` is `full` or `since-<watermark as %Y%m%dT%H%M%S%fZ>`, so re-running a window
(after a failure, or the same Airflow run again) rewrites the same objects instead of
adding copies, and successive windows never overwrite each other. Bronze is an
append-only change log: silver keeps the latest row per `customer_id` by `updated_at`.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from sme_pulse.config import Settings
from sme_pulse.crm.contract import (
    CUSTOMER_FIELDS,
    CUSTOMERS_SCHEMA,
    FIELDS,
    QUARANTINE_SCHEMA,
    SOURCE,
    CustomerValidator,
)
from sme_pulse.crm.watermark import Watermark, read_watermark, write_watermark
from sme_pulse.ingestion.admin_units import load_admin_units
from sme_pulse.ingestion.drift import SchemaDrift
from sme_pulse.ingestion.parts import LOAD_COUNT_FIELDS, PartWriter
from sme_pulse.ingestion.report import CustomerIngestError, FileReport, IngestReport
from sme_pulse.ingestion.rules import Violation, raw_record_json, reason_of
from sme_pulse.ingestion.values import clean_text
from sme_pulse.sources.http import JsonClient, RetryPolicy, SourceError
from sme_pulse.sources.lineage import LINEAGE_FIELDS, RunContext
from sme_pulse.storage import Lake, LakeError

log = logging.getLogger(__name__)

CUSTOMERS_PREFIX = "bronze/crm/customers"
QUARANTINE_PREFIX = "quarantine/crm/customers"
MANIFEST_PREFIX = "bronze/crm/load_manifest"
ENDPOINT = "/v1/customers"
PAGE_SIZE = 500
MAX_PAGES = 100_000
ROWS_PER_PART = 100_000
BUFFER_ROWS = 10_000
REQUIRED_FIELDS = ("id", "full_name", "updated_at")

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


def window_name(since: datetime | None) -> str:
    return "full" if since is None else f"since-{since.astimezone(UTC):%Y%m%dT%H%M%S%fZ}"


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
    rows_read: int = 0
    pages: int = 0
    newest: datetime | None = None
    seen_fields: dict[str, None] = field(default_factory=dict)
    _good: list[dict[str, Any]] = field(default_factory=list)
    _good_urls: list[str] = field(default_factory=list)
    _bad: list[tuple[str | None, str, str, str, str]] = field(default_factory=list)

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
            ids, reasons, details, raws, urls = (list(c) for c in zip(*self._bad, strict=True))
            arrays = [
                pa.array(ids, pa.string()),
                pa.array(reasons, pa.string()),
                pa.array(details, pa.string()),
                pa.array(raws, pa.string()),
            ]
            self.quarantine.write(
                pa.RecordBatch.from_arrays(arrays + self._lineage(urls), schema=QUARANTINE_SCHEMA)
            )
            self._bad = []

    def _reject(self, record: object, url: str, errors: list[Violation]) -> None:
        reason, detail = reason_of(errors)
        customer_id = clean_text(record.get("id")) if isinstance(record, dict) else None
        raw = raw_record_json(record) if isinstance(record, dict) else raw_record_json(str(record))
        self._bad.append((customer_id, reason, detail, raw, url))

    def add_page(self, records: list[Any], url: str) -> None:
        self.pages += 1
        for record in records:
            self.rows_read += 1
            if not isinstance(record, dict):
                self._reject(
                    record, url, [Violation("not_an_object", "", "record is not a JSON object")]
                )
                continue
            self.seen_fields.update(dict.fromkeys(record))
            check = self.validator.validate(record)
            updated_at = check.updated_at
            if updated_at is not None and (self.newest is None or updated_at > self.newest):
                self.newest = updated_at
            if check.values is None:
                self._reject(record, url, check.violations)
            else:
                self._good.append(check.values)
                self._good_urls.append(url)
        if len(self._good) + len(self._bad) >= BUFFER_ROWS:
            self.flush()

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
    previous = read_watermark(lake)
    since = previous.updated_since if previous else None
    window = window_name(since)
    stem = f"part-{window}"
    partition = f"ingest_date={run.ingest_date}"
    bronze_prefix = f"{CUSTOMERS_PREFIX}/{partition}"
    quarantine_prefix = f"{QUARANTINE_PREFIX}/{partition}"
    extraction = _Extraction(
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
    drift = extraction.drift()
    row = {
        "extraction_window": window,
        "updated_since": since,
        "max_updated_at": extraction.newest,
        "status": "loaded",
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
    manifest_key = f"{MANIFEST_PREFIX}/{partition}/{window}.parquet"
    lake.write_parquet(manifest_key, pa.Table.from_pylist([row], schema=MANIFEST_SCHEMA))
    _prune(lake, bronze_prefix, stem, extraction.bronze.keys)
    _prune(lake, quarantine_prefix, stem, extraction.quarantine.keys)
    newest = extraction.newest
    if newest is not None and (since is None or newest > since):
        write_watermark(lake, Watermark(newest, run.run_id, datetime.now(UTC)))
    result = FileReport(
        name=f"customers[{window}]",
        status="loaded",
        rows_read=extraction.rows_read,
        rows_loaded=extraction.bronze.rows,
        rows_quarantined=extraction.quarantine.rows,
        drift=drift,
        keys=[*extraction.bronze.keys, *extraction.quarantine.keys, manifest_key],
    )
    log.info("%s", result.line())
    return IngestReport(SOURCE, [result])
