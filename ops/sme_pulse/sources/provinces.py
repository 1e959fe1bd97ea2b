"""Vietnam provinces API (provinces.open-api.vn): the administrative hierarchy to bronze.

v1 (`/api/v1/?depth=2`) describes the units before the 1 July 2025 reform: 63 provinces
and their 696 districts. v2 (`/api/v2/?depth=2`) describes the reformed country: 34
provinces with their wards and no district level. Both are parsed here into the same
kinds of rows (a parent table and a child table), keyed by the official GSO codes as
zero-padded strings, because sales exports and the reform's conversion tables use those
strings, not the API's integers. Records are read under the JSON drift policy
(docs/sources.md): a province or unit that breaks it goes to quarantine (with its units,
as `parent_rejected`), a field no record carries fails the run before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

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
REMEDY = (
    "check the provinces API response and update the fields in "
    "sme_pulse/sources/provinces.py; bronze keeps its previous partition"
)
PROVINCE_FIELDS = (
    JsonField("code", ("code",), "integer", required=True),
    JsonField("name", ("name",), "text", required=True),
    JsonField("codename", ("codename",), "text"),
    JsonField("division_type", ("division_type",), "text"),
    JsonField("phone_code", ("phone_code",), "integer"),
)
CHILD_CONTRACT = RecordContract(
    SOURCE,
    (
        *PROVINCE_FIELDS[:4],
        JsonField("short_codename", ("short_codename",), "text"),
        JsonField("province_code", ("province_code",), "integer"),
        JsonField("wards", ("wards",), "array"),
    ),
    REMEDY,
)
"""A district (v1) or ward (v2). v2's depth-2 wards omit `province_code`; the enclosing
province gives it."""


@cache
def province_contract(child_key: str) -> RecordContract:
    """A province must carry its child level's key (null when not expanded): a renamed
    `districts` would otherwise land every province without districts."""
    children = JsonField("children", (child_key,), "array", present=True)
    return RecordContract(SOURCE, (*PROVINCE_FIELDS, children), REMEDY)


def gso_code(value: int, level: str) -> tuple[str | None, list[Violation]]:
    """The API's integer code as the official zero-padded GSO string (1 -> '01')."""
    width = CODE_WIDTH[level]
    if value < 0 or len(str(value)) > width:
        return None, [Violation("invalid_code", "code", f"{value} is not a {width}-digit code")]
    return str(value).zfill(width), []


@dataclass(frozen=True)
class Hierarchy:
    """Provinces plus the child level the API version has, each with its rejects."""

    provinces: ApiDataset
    children: ApiDataset
    child_level: Literal["district", "ward"]


def _province(
    item: object, child_key: str, drift: RecordDrift, version: ApiVersion
) -> tuple[dict[str, Any] | None, list[Violation], list[object]]:
    """(bronze row or None, violations, child records it holds)."""
    values, errors = province_contract(child_key).read(item, drift)
    if values is None:
        held = item.get(child_key) if isinstance(item, dict) else None
        return None, errors, held if isinstance(held, list) else []
    code, errors = gso_code(values["code"], "province")
    row = {
        "province_code": code,
        "province_name": values["name"],
        "codename": values["codename"],
        "division_type": values["division_type"],
        "phone_code": values["phone_code"],
        "api_version": version,
    }
    return (None if errors else row), errors, values["children"] or []


def _child(
    child: object, code: str, level: str, drift: RecordDrift, version: ApiVersion
) -> tuple[dict[str, Any] | None, list[Violation]]:
    values, errors = CHILD_CONTRACT.read(child, drift)
    if values is None:
        return None, errors
    child_code, errors = gso_code(values["code"], level)
    parent = values["province_code"]
    if parent is not None and gso_code(parent, "province")[0] != code:
        errors.append(
            Violation("names_another_province", "province_code", f"{parent} is not {code}")
        )
    if errors:
        return None, errors
    row = {
        f"{level}_code": child_code,
        f"{level}_name": values["name"],
        "codename": values["codename"],
        "division_type": values["division_type"],
        "province_code": code,
        "api_version": version,
    }
    if level == "district":
        row["short_codename"] = values["short_codename"]
        row["ward_count"] = len(values["wards"] or [])
    return row, []


def parse(document: Any, version: ApiVersion, url: str, run: RunContext) -> Hierarchy:
    """Rows and rejects of both levels; a `ContractViolationError` when a field vanished."""
    if not isinstance(document, list):
        raise SourceError(
            f"{SOURCE}: expected a JSON array of provinces, got {type(document).__name__}"
        )
    if not document:
        raise SourceError(f"{SOURCE}: the API returned no provinces")
    if version == "v1":
        child_key, level, suffix = "districts", "district", ""
        children = ApiDataset(SOURCE, DISTRICTS, DISTRICT_SCHEMA, run)
    else:
        child_key, level, suffix = "wards", "ward", "_v2"
        children = ApiDataset(SOURCE, f"{WARDS}{suffix}", WARD_SCHEMA, run)
    province_contract(child_key).require_fields(document, url)
    provinces = ApiDataset(SOURCE, f"{PROVINCES}{suffix}", PROVINCE_SCHEMA, run)
    held_by: list[tuple[str | None, list[object]]] = []
    for item in document:
        row, errors, held = _province(item, child_key, provinces.drift, version)
        provinces.add(item, url, row, errors)
        held_by.append((row["province_code"] if row else None, held))
    CHILD_CONTRACT.require_fields([c for _, held in held_by for c in held], f"{child_key} of {url}")
    for code, held in held_by:
        for child in held:
            if code is None:
                parent = [Violation("parent_rejected", "province", "its province is quarantined")]
                children.add(child, url, None, parent)
            else:
                children.add(child, url, *_child(child, code, level, children.drift, version))
    return Hierarchy(provinces=provinces, children=children, child_level=level)


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


def collect(
    settings: Settings, run: RunContext, transport: httpx.BaseTransport | None = None
) -> Hierarchy:
    """Fetch the hierarchy into its datasets with lineage; write nothing."""
    version = version_of(settings.provinces_api_url)
    transport = transport_for(settings, replay_route(settings.replay_dir), transport)
    with JsonClient.from_settings(SOURCE, settings, transport=transport) as client:
        document, url = client.get_json(api_url(settings.provinces_api_url), {"depth": 2})
    return parse(document, version, url, run)


def ingest(
    settings: Settings, lake: Lake, run: RunContext, transport: httpx.BaseTransport | None = None
) -> dict[str, int]:
    """Land each dataset as a dated Parquet file (rejects in quarantine); rows per key."""
    hierarchy = collect(settings, run, transport)
    return {**hierarchy.provinces.land(lake), **hierarchy.children.land(lake)}
