"""World Bank Indicators API v2: macro indicators for one country, flattened to bronze.

The API's quirks are handled here and nowhere else: errors come back as HTTP 200 with a
`message` envelope, `per_page` (and sometimes the other header fields) arrive as strings,
an empty result is `[{"page": 0, ...}, null]`, and `value` is null for years not yet
published. Observations are read under the JSON drift policy (`CONTRACT`, docs/sources.md):
numbers sent as text are converted and counted, unconvertible values are quarantined, a
renamed field fails the run with one line before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa

from sme_pulse.config import Settings
from sme_pulse.ingestion.drift import JsonField, RecordContract, RecordDrift
from sme_pulse.ingestion.rules import Violation
from sme_pulse.sources.http import JsonClient, SourceError
from sme_pulse.sources.lineage import LINEAGE_FIELDS, RunContext, bronze_prefix
from sme_pulse.sources.quarantine import ApiDataset
from sme_pulse.sources.replay import Route, transport_for
from sme_pulse.storage import Lake

SOURCE = "world_bank"
DATASET = "indicators"
INDICATORS_PREFIX = bronze_prefix(SOURCE, DATASET)
PER_PAGE = 100
MAX_PAGES = 100

SCHEMA = pa.schema(
    [
        pa.field("indicator_code", pa.string(), nullable=False),
        pa.field("indicator_name", pa.string()),
        pa.field("country_code", pa.string(), nullable=False),
        pa.field("country_iso3", pa.string()),
        pa.field("country_name", pa.string()),
        pa.field("year", pa.int32(), nullable=False),
        pa.field("value", pa.float64()),
        pa.field("unit", pa.string()),
        pa.field("obs_status", pa.string()),
        pa.field("decimal_places", pa.int32()),
        pa.field("source_last_updated", pa.string()),
        *LINEAGE_FIELDS,
    ]
)


@dataclass(frozen=True)
class Page:
    page: int
    pages: int
    per_page: int
    total: int
    last_updated: str | None
    rows: list[dict[str, Any]]


def _as_int(header: dict[str, Any], name: str) -> int:
    raw = header.get(name, 0)
    try:
        return int(raw)
    except (TypeError, ValueError) as exc:
        raise SourceError(f"{SOURCE}: header field {name!r} is not a number: {raw!r}") from exc


def parse_page(document: Any, url: str) -> Page:
    """One response body to a `Page`, or a `SourceError` that quotes the API's message."""
    if not isinstance(document, list) or not document or not isinstance(document[0], dict):
        raise SourceError(f"{SOURCE}: unexpected response shape from {url}")
    header = document[0]
    if "message" in header:
        messages = header["message"] or [{}]
        first = messages[0] if isinstance(messages, list) else messages
        detail = first.get("value") or first.get("key") or "unknown error"
        raise SourceError(f"{SOURCE}: API error {first.get('id', '?')} for {url}: {detail}")
    rows = document[1] if len(document) > 1 else None
    if rows is not None and not isinstance(rows, list):
        raise SourceError(f"{SOURCE}: rows are not a list in the response from {url}")
    return Page(
        page=_as_int(header, "page"),
        pages=_as_int(header, "pages"),
        per_page=_as_int(header, "per_page"),
        total=_as_int(header, "total"),
        last_updated=header.get("lastupdated"),
        rows=rows or [],
    )


CONTRACT = RecordContract(
    SOURCE,
    (
        JsonField("indicator_code", ("indicator", "id"), "text", required=True),
        JsonField("indicator_name", ("indicator", "value"), "text"),
        JsonField("country_code", ("country", "id"), "text", required=True),
        JsonField("country_iso3", ("countryiso3code",), "text"),
        JsonField("country_name", ("country", "value"), "text"),
        JsonField("year", ("date",), "integer", sent_as="text", required=True),
        JsonField("value", ("value",), "number", present=True),
        JsonField("unit", ("unit",), "text"),
        JsonField("obs_status", ("obs_status",), "text"),
        JsonField("decimal_places", ("decimal",), "integer"),
    ),
    remedy="check the World Bank API v2 response and update CONTRACT in "
    "sme_pulse/sources/world_bank.py; bronze keeps its previous partition",
)
"""An observation's fields. `value` must be there but may be null (a year not published
yet), so a renamed `value` fails the run instead of loading every year as unpublished."""


def read_row(
    row: object, page: Page, drift: RecordDrift
) -> tuple[dict[str, Any] | None, list[Violation]]:
    """One observation as bronze values, or the violations that send it to quarantine."""
    values, errors = CONTRACT.read(row, drift)
    if values is None:
        return None, errors
    return {**values, "source_last_updated": page.last_updated}, []


def indicator_url(base_url: str, country: str, indicator: str) -> str:
    return f"{base_url}/country/{country}/indicator/{indicator}"


def fetch_indicator(
    client: JsonClient,
    base_url: str,
    country: str,
    indicator: str,
    years: tuple[int, int],
    sink: ApiDataset,
) -> None:
    """Add every observation of one indicator to `sink`, following pagination.

    The contract's fields are checked over all pages together: a field no observation
    carries was renamed upstream, while one missing from a few sends those to quarantine.
    """
    url = indicator_url(base_url, country, indicator)
    served: list[object] = []
    page_number = 1
    while True:
        params = {
            "format": "json",
            "date": f"{years[0]}:{years[1]}",
            "per_page": PER_PAGE,
            "page": page_number,
        }
        document, final_url = client.get_json(url, params)
        page = parse_page(document, final_url)
        served += page.rows
        for row in page.rows:
            values, errors = read_row(row, page, sink.drift)
            sink.add(row, final_url, values, errors)
        if page.pages <= page_number:
            break
        if not page.rows:
            raise SourceError(
                f"{SOURCE}: page {page_number} of {page.pages} from {final_url} is empty; "
                "the series would be incomplete"
            )
        page_number += 1
        if page_number > MAX_PAGES:
            raise SourceError(f"{SOURCE}: more than {MAX_PAGES} pages for {url}; refusing")
    if page.total and len(served) != page.total:
        raise SourceError(
            f"{SOURCE}: {url} served {len(served)} of the {page.total} observations its "
            "header announces; the series would be incomplete"
        )
    CONTRACT.require_fields(served, url)


def replay_route(replay_dir: Path) -> Route:
    def route(request: httpx.Request) -> Path | None:
        indicator = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        page = request.url.params.get("page", "1")
        name = f"{indicator}.json" if page == "1" else f"{indicator}.page{page}.json"
        return replay_dir / SOURCE / name

    return route


def collect(
    settings: Settings, run: RunContext, transport: httpx.BaseTransport | None = None
) -> ApiDataset:
    """Fetch every configured indicator into one dataset with lineage; write nothing."""
    sink = ApiDataset(SOURCE, DATASET, SCHEMA, run)
    transport = transport_for(settings, replay_route(settings.replay_dir), transport)
    with JsonClient.from_settings(SOURCE, settings, transport=transport) as client:
        for indicator in settings.wb_indicators:
            fetch_indicator(
                client,
                settings.world_bank_api_url,
                settings.wb_country,
                indicator,
                settings.wb_years,
                sink,
            )
    if not sink.read:
        raise SourceError(
            f"{SOURCE}: no observations for {settings.wb_country} "
            f"{settings.wb_years[0]}:{settings.wb_years[1]} ({', '.join(settings.wb_indicators)})"
        )
    return sink


def ingest(
    settings: Settings, lake: Lake, run: RunContext, transport: httpx.BaseTransport | None = None
) -> dict[str, int]:
    """Land the indicators as one dated Parquet file (rejects in quarantine); rows per key."""
    return collect(settings, run, transport).land(lake)
