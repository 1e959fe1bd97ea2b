"""Vietnam's administrative codes before and after the 1 July 2025 reform.

Exports dated before the reform address customers with the 63 old provinces and their
696 districts; exports dated from 1 July 2025 use the 34 new provinces and no district.
The contracts check codes against the list valid on the row's date, and the generator
draws addresses from the same lists, so both agree on what a real code is.

Old units come from the recorded provinces API v1 response shipped in the package;
the new provinces and the old-to-new mapping are a copy of the dbt seed
`province_crosswalk_2025.csv` (a unit test keeps the two identical).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Literal

AdminVersion = Literal["v1", "v2"]

REFORM_DATE = date(2025, 7, 1)
CROSSWALK_FILE = "province_crosswalk_2025.csv"


def admin_version(day: date) -> AdminVersion:
    """'v1' (63 provinces with districts) before the reform, 'v2' (34 provinces) from it."""
    return "v2" if day >= REFORM_DATE else "v1"


@dataclass(frozen=True)
class AdminUnits:
    old_provinces: dict[str, str]
    old_districts: dict[str, str]
    new_provinces: dict[str, str]
    crosswalk: dict[str, str]

    def provinces(self, version: AdminVersion) -> dict[str, str]:
        return self.old_provinces if version == "v1" else self.new_provinces

    def districts_of(self, province_code: str) -> list[str]:
        return [d for d, p in self.old_districts.items() if p == province_code]


def _zero_pad(raw: object, width: int) -> str:
    return str(raw).strip().zfill(width)


@lru_cache(maxsize=1)
def load_admin_units() -> AdminUnits:
    package = resources.files("sme_pulse")
    v1 = json.loads(
        (package / "replay" / "vn_provinces" / "v1_depth2.json").read_text(encoding="utf-8")
    )
    old_provinces: dict[str, str] = {}
    old_districts: dict[str, str] = {}
    for province in v1:
        code = _zero_pad(province["code"], 2)
        old_provinces[code] = province["name"]
        for district in province.get("districts") or []:
            old_districts[_zero_pad(district["code"], 3)] = code
    crosswalk: dict[str, str] = {}
    new_provinces: dict[str, str] = {}
    text = (package / "ingestion" / "data" / CROSSWALK_FILE).read_text(encoding="utf-8")
    for row in csv.DictReader(text.splitlines()):
        crosswalk[row["old_province_code"]] = row["new_province_code"]
        new_provinces[row["new_province_code"]] = row["new_province_name"]
    return AdminUnits(old_provinces, old_districts, new_provinces, crosswalk)
