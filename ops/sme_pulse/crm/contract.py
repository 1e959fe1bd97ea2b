"""The customer record contract for the CRM API (`GET /v1/customers`).

Fields: `id` (required), `full_name` (required, not blank), `updated_at` (required,
ISO 8601; naive means Vietnam local time), `created_at` (optional; when present it must
parse and not be later than `updated_at`), `email`, `phone` (optional, kept as sent, with
`email_normalized` and `phone_normalized` added), `province_code` and `district_code`
(optional; valid on the record's `updated_at` date: 63 old provinces with districts
before 1 July 2025, 34 new provinces and no district from then), `loyalty_tier`
(optional; member, silver, gold or platinum).

Unknown extra fields are listed in the load manifest and dropped; missing optional
fields read as null. A record breaking a rule goes to quarantine with its reason and
the record as received. A required field that no record of a window carries was renamed
or removed by the API: that fails the window (`require_fields`) instead of quarantining
every record, and nothing is written.

A quarantined record keeps the values that did parse (`parsed_values`, a JSON object
with sorted keys, null when nothing did): identity resolution still matches orders to
a customer whose record broke an unrelated rule (a blank name, an unknown province).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import pyarrow as pa

from sme_pulse.ingestion.admin_units import AdminUnits, admin_version
from sme_pulse.ingestion.drift import ContractViolationError
from sme_pulse.ingestion.rules import Violation, read_address, read_text
from sme_pulse.ingestion.values import (
    clean_text,
    local_date,
    normalize_email,
    normalize_phone,
    parse_timestamp,
)
from sme_pulse.sources.lineage import LINEAGE_FIELDS

SOURCE = "crm"
FIELDS = (
    "id",
    "full_name",
    "email",
    "phone",
    "province_code",
    "district_code",
    "loyalty_tier",
    "created_at",
    "updated_at",
)
REQUIRED_FIELDS = ("id", "full_name", "updated_at")
LOYALTY_TIERS = ("member", "silver", "gold", "platinum")

REASON_CODES: dict[str, str] = {
    "not_an_object": "the record is not a JSON object",
    "required_value_missing": "id, full_name or updated_at is empty",
    "value_too_long": "a text value is too long",
    "invalid_updated_at": "updated_at is not a date and time",
    "invalid_created_at": "created_at is not a date and time",
    "created_after_updated": "created_at is later than updated_at",
    "unknown_province_code": "province_code is not valid on the update date",
    "unknown_district_code": "district_code is not a district of the province",
    "district_after_reform": "a district is given on a record updated from 2025-07-01",
    "unknown_loyalty_tier": "loyalty_tier is not member, silver, gold or platinum",
}
"""Every `reason` a quarantined customer record can carry."""

CUSTOMER_FIELDS = [
    pa.field("customer_id", pa.string(), nullable=False),
    pa.field("full_name", pa.string(), nullable=False),
    pa.field("email", pa.string()),
    pa.field("phone", pa.string()),
    pa.field("email_normalized", pa.string()),
    pa.field("phone_normalized", pa.string()),
    pa.field("province_code", pa.string()),
    pa.field("district_code", pa.string()),
    pa.field("admin_version", pa.string(), nullable=False),
    pa.field("loyalty_tier", pa.string()),
    pa.field("created_at", pa.timestamp("us", tz="UTC")),
    pa.field("updated_at", pa.timestamp("us", tz="UTC"), nullable=False),
]
CUSTOMERS_SCHEMA = pa.schema([*CUSTOMER_FIELDS, *LINEAGE_FIELDS])
QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("customer_id", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("reason_detail", pa.string(), nullable=False),
        pa.field("raw_record", pa.string(), nullable=False),
        pa.field("parsed_values", pa.string()),
        *LINEAGE_FIELDS,
    ]
)


def require_fields(seen: Collection[str], where: str) -> None:
    """Raise `ContractViolationError` when a required field is in no record seen at all."""
    missing = [name for name in REQUIRED_FIELDS if seen and name not in seen]
    if missing:
        raise ContractViolationError(
            f"{SOURCE}: field {missing[0]!r} is missing from every record of {where} (renamed "
            "or removed by the API); nothing was written and the watermark did not move - "
            "map the new name in sme_pulse/crm/contract.py or fix the CRM API"
        )


# The fields a broken rule leaves unusable, by the column its violation names: an
# address violation voids the whole address, a too-long contact its normalised form too.
_VOIDS: dict[str, tuple[str, ...]] = {
    "id": ("customer_id",),
    "province_code": ("province_code", "district_code", "admin_version"),
    "district_code": ("district_code",),
    "email": ("email", "email_normalized"),
    "phone": ("phone", "phone_normalized"),
}


class CustomerCheck(NamedTuple):
    """A checked record: bronze values by `CUSTOMER_FIELDS` name (None when it breaks a
    rule), its `updated_at` (even when quarantined, so the watermark moves past it),
    every rule it breaks, and the values that did parse (all of them for a valid record;
    what a quarantined one keeps in `parsed_values`)."""

    values: dict[str, Any] | None
    updated_at: datetime | None
    violations: list[Violation]
    parsed: dict[str, Any]

    def parsed_values(self) -> str | None:
        """The parsed values as a JSON object with sorted keys (timestamps ISO 8601 UTC),
        or None when nothing parsed."""
        if not self.parsed:
            return None
        return json.dumps(
            {k: v.isoformat() if isinstance(v, datetime) else v for k, v in self.parsed.items()},
            ensure_ascii=False,
            sort_keys=True,
        )


@dataclass(frozen=True)
class CustomerValidator:
    units: AdminUnits

    def validate(self, record: Mapping[str, Any]) -> CustomerCheck:
        """The record's bronze values, its `updated_at` and the rules it breaks."""
        errors: list[Violation] = []
        customer_id = read_text(record, "id", errors, required=True)
        full_name = read_text(record, "full_name", errors, required=True)

        updated_at: datetime | None = None
        raw_updated = record.get("updated_at")
        if clean_text(raw_updated) is None:
            errors.append(Violation("required_value_missing", "updated_at", "is empty"))
        else:
            try:
                updated_at = parse_timestamp(raw_updated)
            except ValueError as exc:
                errors.append(Violation("invalid_updated_at", "updated_at", str(exc)))
        created_at: datetime | None = None
        raw_created = record.get("created_at")
        if clean_text(raw_created) is not None:
            try:
                created_at = parse_timestamp(raw_created)
            except ValueError as exc:
                errors.append(Violation("invalid_created_at", "created_at", str(exc)))
            else:
                if updated_at is not None and created_at > updated_at:
                    errors.append(
                        Violation("created_after_updated", "created_at", "is later than updated_at")
                    )

        day = local_date(updated_at) if updated_at is not None else None
        version = admin_version(day) if day is not None else None
        province, district = read_address(record, day, self.units, errors)
        tier = read_text(record, "loyalty_tier", errors)
        if tier is not None:
            tier = tier.lower()
            if tier not in LOYALTY_TIERS:
                errors.append(
                    Violation(
                        "unknown_loyalty_tier",
                        "loyalty_tier",
                        f"{tier!r} is not one of {LOYALTY_TIERS}",
                    )
                )
        email = read_text(record, "email", errors)
        phone = read_text(record, "phone", errors)

        values = {
            "customer_id": customer_id,
            "full_name": full_name,
            "email": email,
            "phone": phone,
            "email_normalized": normalize_email(email),
            "phone_normalized": normalize_phone(phone),
            "province_code": province,
            "district_code": district,
            "admin_version": version,
            "loyalty_tier": tier,
            "created_at": created_at,
            "updated_at": updated_at,
        }
        voided = {name for e in errors for name in _VOIDS.get(e.column, (e.column,))}
        parsed = {k: v for k, v in values.items() if v is not None and k not in voided}
        if errors or version is None or updated_at is None:
            return CustomerCheck(None, updated_at, errors, parsed)
        return CustomerCheck(values, updated_at, errors, parsed)
