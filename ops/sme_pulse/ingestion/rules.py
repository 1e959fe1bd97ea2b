"""Field rules shared by the sales and CRM contracts, and how a broken rule is worded.

A rule that fails appends a `Violation`; the first one is the quarantine row's `reason`,
and all of them together its `reason_detail`. These run one row at a time: the column
expressions in `ingestion.columns` decide which rows are certainly good, and only the
others come here, to be loaded after all or to get their reason worded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import NamedTuple

from sme_pulse.ingestion.admin_units import REFORM_DATE, AdminUnits, admin_version
from sme_pulse.ingestion.values import clean_text

MAX_TEXT = 500


class Violation(NamedTuple):
    """One broken rule: its reason code, the column, and a short message."""

    reason: str
    column: str
    message: str


def reason_of(errors: Sequence[Violation]) -> tuple[str, str]:
    """(first reason code, every violation as 'column: message' joined by '; ')."""
    return errors[0].reason, "; ".join(f"{e.column}: {e.message}" for e in errors)


def raw_record_json(values: Mapping[str, object] | str) -> str:
    """The row exactly as read (names as in the file), as JSON text for the quarantine."""
    if isinstance(values, str):
        return json.dumps({"_line": values}, ensure_ascii=False)
    return json.dumps(values, ensure_ascii=False, default=str)


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_text(
    values: Mapping[str, object], name: str, errors: list[Violation], required: bool = False
) -> str | None:
    """Clean text of `name`, recording a violation when required and empty or too long."""
    value = clean_text(values.get(name))
    if value is None:
        if required:
            errors.append(Violation("required_value_missing", name, "is empty"))
        return None
    if len(value) > MAX_TEXT:
        errors.append(Violation("value_too_long", name, f"is longer than {MAX_TEXT} characters"))
        return None
    return value


def read_code(raw: object, width: int) -> str | None:
    """A numeric code zero-padded to its width (Excel turns '01' into 1)."""
    text = clean_text(raw)
    if text is None:
        return None
    return text.zfill(width) if text.isdigit() and len(text) <= width else text


def read_address(
    values: Mapping[str, object], day: date | None, units: AdminUnits, errors: list[Violation]
) -> tuple[str | None, str | None]:
    """(province_code, district_code), checked against the units valid on `day`.

    Sales lines and CRM customers carry the same codes under the same reform rules, so
    both contracts check them here. Without a `day` (its timestamp did not parse, and
    that is reported on its own) the codes are checked against the old units, so a bad
    code is still reported.
    """
    version = admin_version(day) if day is not None else None
    province = read_code(values.get("province_code"), 2)
    if province is not None and province not in units.provinces(version or "v1"):
        era = "from" if version == "v2" else "before"
        errors.append(
            Violation(
                "unknown_province_code",
                "province_code",
                f"{province!r} is not a province code {era} {REFORM_DATE}",
            )
        )
    district = read_code(values.get("district_code"), 3)
    if district is not None:
        if version == "v2":
            errors.append(
                Violation(
                    "district_after_reform",
                    "district_code",
                    f"{district!r} given for {day}; districts ended {REFORM_DATE}",
                )
            )
        elif units.old_districts.get(district) != province:
            errors.append(
                Violation(
                    "unknown_district_code",
                    "district_code",
                    f"{district!r} is not a district of province {province!r}",
                )
            )
    return province, district
