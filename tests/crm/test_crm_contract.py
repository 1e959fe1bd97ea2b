"""The customer contract, record by record."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sme_pulse.crm.contract import CUSTOMER_FIELDS, REASON_CODES, CustomerValidator
from sme_pulse.ingestion.admin_units import load_admin_units

pytestmark = pytest.mark.unit

VALIDATOR = CustomerValidator(load_admin_units())
NAMES = [f.name for f in CUSTOMER_FIELDS]
Record = Callable[..., dict[str, Any]]


def test_a_valid_record_becomes_bronze_values(customer: Record) -> None:
    values, updated_at, errors, _ = VALIDATOR.validate(customer(1, email=" Lan1@Gmail.com "))
    assert errors == [] and values is not None
    row = values
    assert list(row) == NAMES
    assert row["customer_id"] == "KH000001"
    assert row["updated_at"] == updated_at == datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    assert row["email_normalized"] == "lan1@gmail.com"
    assert row["phone_normalized"] == "+84912345678"
    assert (row["province_code"], row["district_code"], row["admin_version"]) == (
        "01",
        "001",
        "v1",
    )


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"id": None}, "required_value_missing"),
        ({"full_name": " "}, "required_value_missing"),
        ({"updated_at": "yesterday"}, "invalid_updated_at"),
        ({"created_at": "0000-00-00 00:00:00"}, "invalid_created_at"),
        ({"created_at": "2030-01-01T00:00:00Z"}, "created_after_updated"),
        ({"province_code": "99", "district_code": None}, "unknown_province_code"),
        ({"district_code": "760"}, "unknown_district_code"),
        ({"loyalty_tier": "diamond"}, "unknown_loyalty_tier"),
    ],
)
def test_each_rule_quarantines_with_its_reason(
    customer: Record, overrides: dict[str, Any], reason: str
) -> None:
    values, _, errors, _ = VALIDATOR.validate(customer(1, **overrides))
    assert values is None
    assert errors[0][0] == reason
    assert reason in REASON_CODES


def test_codes_follow_the_update_date_across_the_reform(customer: Record) -> None:
    after = {"updated_at": "2025-07-02T00:00:00Z"}
    values, _, errors, _ = VALIDATOR.validate(customer(1, **after))
    assert values is None and errors[0][0] == "district_after_reform"
    values, _, errors, _ = VALIDATOR.validate(
        customer(1, province_code="02", district_code=None, **after)
    )
    assert errors[0][0] == "unknown_province_code"
    check = VALIDATOR.validate(customer(1, province_code="8", district_code=None, **after))
    values = check.values
    assert values is not None and values["province_code"] == "08"


def test_a_quarantined_record_still_reports_its_update_time(customer: Record) -> None:
    values, updated_at, _, _ = VALIDATOR.validate(customer(5, full_name=""))
    assert values is None
    assert updated_at == datetime(2024, 3, 1, 13, 0, tzinfo=UTC)


def test_a_quarantined_record_keeps_the_values_that_parsed(customer: Record) -> None:
    # A blank name breaks the contract, but the id, contacts and tier still identify the
    # customer for identity resolution; the broken address is left out, not guessed.
    check = VALIDATOR.validate(
        customer(5, full_name=" ", province_code="99", district_code=None, loyalty_tier="Gold")
    )
    assert check.values is None
    assert [e.reason for e in check.violations] == [
        "required_value_missing",
        "unknown_province_code",
    ]
    parsed = check.parsed_values()
    assert parsed is not None
    assert json.loads(parsed) == {
        "created_at": "2023-01-05T02:00:00+00:00",
        "customer_id": "KH000005",
        "email": "lan5@gmail.com",
        "email_normalized": "lan5@gmail.com",
        "loyalty_tier": "gold",
        "phone": "0912 345 678",
        "phone_normalized": "+84912345678",
        "updated_at": "2024-03-01T13:00:00+00:00",
    }
    assert list(json.loads(parsed)) == sorted(json.loads(parsed))


def test_an_invalid_tier_is_not_kept_and_an_empty_record_keeps_nothing(customer: Record) -> None:
    check = VALIDATOR.validate(customer(6, loyalty_tier="diamond"))
    assert check.values is None
    assert "loyalty_tier" not in json.loads(check.parsed_values() or "{}")
    empty = {"id": " ", "full_name": "", "updated_at": ""}
    assert VALIDATOR.validate(empty).parsed_values() is None
