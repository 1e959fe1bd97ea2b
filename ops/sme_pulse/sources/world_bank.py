"""World Bank Indicators API v2: macro indicators for one country, flattened to bronze.

The API's quirks are handled here and nowhere else: errors come back as HTTP 200 with a
`message` envelope, `per_page` (and sometimes the other header fields) arrive as strings,
an empty result is `[{"page": 0, ...}, null]`, and `value` is null for years not yet
published.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa

from sme_pulse.config import Settings
from sme_pulse.sources.http import JsonClient, SourceError
from sme_pulse.sources.lineage import LINEAGE_FIELDS, RunContext, bronze_key, bronze_prefix
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


def flatten_row(row: dict[str, Any], page: Page) -> dict[str, Any]:
    indicator = row.get("indicator") or {}
    country = row.get("country") or {}
    try:
        year = int(row["date"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SourceError(f"{SOURCE}: row without a usable 'date': {row!r}"[:300]) from exc
    value = row.get("value")
    return {
        "indicator_code": indicator.get("id"),
        "indicator_name": indicator.get("value"),
        "country_code": country.get("id"),
        "country_iso3": row.get("countryiso3code") or None,
        "country_name": country.get("value"),
        "year": year,
        "value": None if value is None or value == "" else float(value),
        "unit": row.get("unit") or None,
        "obs_status": row.get("obs_status") or None,
        "decimal_places": row.get("decimal"),
        "source_last_updated": page.last_updated,
    }


def indicator_url(base_url: str, country: str, indicator: str) -> str:
    return f"{base_url}/country/{country}/indicator/{indicator}"


def fetch_indicator(
    client: JsonClient, base_url: str, country: str, indicator: str, years: tuple[int, int]
) -> Iterator[tuple[dict[str, Any], str]]:
    """Yield `(flat_row, request_url)` for every observation, following pagination."""
    url = indicator_url(base_url, country, indicator)
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
        for row in page.rows:
            yield flatten_row(row, page), final_url
        if page.pages <= page_number or not page.rows:
            return
        page_number += 1
        if page_number > MAX_PAGES:
            raise SourceError(f"{SOURCE}: more than {MAX_PAGES} pages for {url}; refusing")


def replay_route(replay_dir: Path) -> Route:
    def route(request: httpx.Request) -> Path | None:
        indicator = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        page = request.url.params.get("page", "1")
        name = f"{indicator}.json" if page == "1" else f"{indicator}.page{page}.json"
        return replay_dir / SOURCE / name

    return route


def to_table(records: Sequence[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(list(records), schema=SCHEMA)


def collect(
    settings: Settings, run: RunContext, transport: httpx.BaseTransport | None = None
) -> pa.Table:
    """Fetch every configured indicator into one bronze table with lineage."""
    records: list[dict[str, Any]] = []
    transport = transport_for(settings, replay_route(settings.replay_dir), transport)
    with JsonClient.from_settings(SOURCE, settings, transport=transport) as client:
        for indicator in settings.wb_indicators:
            for row, url in fetch_indicator(
                client,
                settings.world_bank_api_url,
                settings.wb_country,
                indicator,
                settings.wb_years,
            ):
                if row["indicator_code"] is None or row["country_code"] is None:
                    raise SourceError(f"{SOURCE}: row without indicator or country from {url}")
                records.append({**row, **run.lineage(SOURCE, url)})
    if not records:
        raise SourceError(
            f"{SOURCE}: no observations for {settings.wb_country} "
            f"{settings.wb_years[0]}:{settings.wb_years[1]} ({', '.join(settings.wb_indicators)})"
        )
    return to_table(records)


def ingest(
    settings: Settings, lake: Lake, run: RunContext, transport: httpx.BaseTransport | None = None
) -> dict[str, int]:
    """Land the indicators as one dated Parquet file; return rows per bronze key."""
    table = collect(settings, run, transport)
    key = bronze_key(SOURCE, DATASET, run.ingest_date)
    lake.write_parquet(key, table)
    return {key: table.num_rows}
