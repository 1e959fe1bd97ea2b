"""Vietnam provinces API (provinces.open-api.vn): the administrative hierarchy to bronze.

v1 (`/api/v1/?depth=2`) describes the units before the 1 July 2025 reform: 63 provinces
and their 696 districts. v2 (`/api/v2/?depth=2`) describes the reformed country: 34
provinces with their wards and no district level. Both are parsed here into the same
kinds of rows (a parent table and a child table), keyed by the official GSO codes as
zero-padded strings, because sales exports and the reform's conversion tables use those
strings, not the API's integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import pyarrow as pa

from sme_pulse.config import Settings
from sme_pulse.sources.http import JsonClient, SourceError
from sme_pulse.sources.lineage import LINEAGE_FIELDS, RunContext, bronze_key, bronze_prefix
from sme_pulse.sources.replay import Route, transport_for
from sme_pulse.storage import Lake

SOURCE = "vn_provinces"
ApiVersion = Literal["v1", "v2"]

# Dataset names under bronze/vn_provinces/; v2's datasets carry the suffix `_v2`.
PROVINCES = "provinces"
DISTRICTS = "districts"
WARDS = "wards"
PROVINCES_PREFIX = bronze_prefix(SOURCE, PROVINCES)
DISTRICTS_PREFIX = bronze_prefix(SOURCE, DISTRICTS)

PROVINCE_SCHEMA = pa.schema(
    [
        pa.field("province_code", pa.string(), nullable=False),
        pa.field("province_name", pa.string(), nullable=False),
        pa.field("codename", pa.string()),
        pa.field("division_type", pa.string()),
        pa.field("phone_code", pa.int32()),
        pa.field("api_version", pa.string(), nullable=False),
        *LINEAGE_FIELDS,
    ]
)

DISTRICT_SCHEMA = pa.schema(
    [
        pa.field("district_code", pa.string(), nullable=False),
        pa.field("district_name", pa.string(), nullable=False),
        pa.field("codename", pa.string()),
        pa.field("division_type", pa.string()),
        pa.field("short_codename", pa.string()),
        pa.field("province_code", pa.string(), nullable=False),
        pa.field("ward_count", pa.int32()),
        pa.field("api_version", pa.string(), nullable=False),
        *LINEAGE_FIELDS,
    ]
)

WARD_SCHEMA = pa.schema(
    [
        pa.field("ward_code", pa.string(), nullable=False),
        pa.field("ward_name", pa.string(), nullable=False),
        pa.field("codename", pa.string()),
        pa.field("division_type", pa.string()),
        pa.field("province_code", pa.string(), nullable=False),
        pa.field("api_version", pa.string(), nullable=False),
        *LINEAGE_FIELDS,
    ]
)

CODE_WIDTH = {"province": 2, "district": 3, "ward": 5}


def gso_code(raw: Any, level: str, context: str) -> str:
    """The API's integer code as the official zero-padded GSO string (1 -> '01')."""
    if isinstance(raw, bool) or raw is None or raw == "":
        raise SourceError(f"{SOURCE}: {level} without a code in {context}")
    text = str(raw).strip()
    if not text.isdigit():
        raise SourceError(f"{SOURCE}: {level} code {raw!r} is not numeric in {context}")
    return text.zfill(CODE_WIDTH[level])


@dataclass(frozen=True)
class Hierarchy:
    """Parsed rows: provinces plus the child level the API version has."""

    provinces: list[dict[str, Any]]
    children: list[dict[str, Any]]
    child_level: Literal["district", "ward"]


def _children(item: dict[str, Any], key: str) -> list[dict[str, Any]]:
    # The API gives `null` or `[]` for a level it did not expand.
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise SourceError(f"{SOURCE}: {key!r} is not a list for {item.get('name')!r}")
    return value


def parse(document: Any, version: ApiVersion) -> Hierarchy:
    if not isinstance(document, list):
        raise SourceError(
            f"{SOURCE}: expected a JSON array of provinces, got {type(document).__name__}"
        )
    if not document:
        raise SourceError(f"{SOURCE}: the API returned no provinces")
    child_key, child_level = ("districts", "district") if version == "v1" else ("wards", "ward")
    provinces: list[dict[str, Any]] = []
    children: list[dict[str, Any]] = []
    for item in document:
        if not isinstance(item, dict):
            raise SourceError(f"{SOURCE}: a province entry is not an object: {item!r}"[:200])
        code = gso_code(item.get("code"), "province", f"province {item.get('name')!r}")
        phone = item.get("phone_code")
        provinces.append(
            {
                "province_code": code,
                "province_name": item.get("name"),
                "codename": item.get("codename"),
                "division_type": item.get("division_type"),
                "phone_code": int(phone) if phone not in (None, "") else None,
                "api_version": version,
            }
        )
        for child in _children(item, child_key):
            where = f"{child_level} {child.get('name')!r} of {code}"
            parent = child.get("province_code", item.get("code"))
            if gso_code(parent, "province", where) != code:
                raise SourceError(f"{SOURCE}: {where} names another province ({parent!r})")
            row = {
                f"{child_level}_code": gso_code(child.get("code"), child_level, where),
                f"{child_level}_name": child.get("name"),
                "codename": child.get("codename"),
                "division_type": child.get("division_type"),
                "province_code": code,
                "api_version": version,
            }
            if child_level == "district":
                row["short_codename"] = child.get("short_codename")
                row["ward_count"] = len(_children(child, "wards"))
            children.append(row)
    return Hierarchy(provinces=provinces, children=children, child_level=child_level)


def api_url(base_url: str) -> str:
    return f"{base_url}/"


def version_of(base_url: str) -> ApiVersion:
    """The API version a base URL points at (`.../api/v2` is v2; anything else v1)."""
    return "v2" if base_url.rstrip("/").endswith("/v2") else "v1"


def replay_route(replay_dir: Path) -> Route:
    def route(request: httpx.Request) -> Path | None:
        version = "v2" if "/v2" in request.url.path else "v1"
        depth = request.url.params.get("depth", "1")
        return replay_dir / SOURCE / f"{version}_depth{depth}.json"

    return route


def _table(
    rows: Sequence[dict[str, Any]], schema: pa.Schema, lineage: dict[str, object]
) -> pa.Table:
    return pa.Table.from_pylist([{**row, **lineage} for row in rows], schema=schema)


def collect(
    settings: Settings, run: RunContext, transport: httpx.BaseTransport | None = None
) -> dict[str, pa.Table]:
    """Fetch the hierarchy; return bronze tables by dataset name."""
    version = version_of(settings.provinces_api_url)
    transport = transport_for(settings, replay_route(settings.replay_dir), transport)
    with JsonClient.from_settings(SOURCE, settings, transport=transport) as client:
        document, url = client.get_json(api_url(settings.provinces_api_url), {"depth": 2})
    hierarchy = parse(document, version)
    lineage = run.lineage(SOURCE, url)
    districts = hierarchy.child_level == "district"
    child, child_schema = (DISTRICTS, DISTRICT_SCHEMA) if districts else (WARDS, WARD_SCHEMA)
    suffix = "" if version == "v1" else "_v2"
    return {
        f"{PROVINCES}{suffix}": _table(hierarchy.provinces, PROVINCE_SCHEMA, lineage),
        f"{child}{suffix}": _table(hierarchy.children, child_schema, lineage),
    }


def ingest(
    settings: Settings, lake: Lake, run: RunContext, transport: httpx.BaseTransport | None = None
) -> dict[str, int]:
    """Land each dataset as a dated Parquet file; return rows per bronze key."""
    tables = collect(settings, run, transport)
    written: dict[str, int] = {}
    for dataset, table in tables.items():
        key = bronze_key(SOURCE, dataset, run.ingest_date)
        lake.write_parquet(key, table)
        written[key] = table.num_rows
    return written
