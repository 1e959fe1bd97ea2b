"""The sales contract: every row rule, the header policy, and the reform reference data."""

from __future__ import annotations

import csv
import json
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sme_pulse.ingestion.admin_units import admin_version, load_admin_units
from sme_pulse.ingestion.drift import HeaderMapper
from sme_pulse.ingestion.rules import reason_of
from sme_pulse.sales.contract import (
    COLUMNS,
    LINE_FIELDS,
    REASON_CODES,
    Validator,
    parsed_values_json,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = Validator(load_admin_units(), datetime(2026, 1, 16, tzinfo=UTC))
NAMES = [f.name for f in LINE_FIELDS]


def line(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "order_id": "HD0000001",
        "line_no": "1",
        "order_ts": "2024-02-03 10:15:00",
        "channel": "pos",
        "status": "completed",
        "province_code": "79",
        "district_code": "760",
        "sku": "CF-001",
        "quantity": "2",
        "unit_price_vnd": "145.000",
        "discount_vnd": "10.000",
        "line_total_vnd": "280.000",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not ...}


def valid(values: dict[str, Any]) -> dict[str, Any]:
    row, errors, _ = VALIDATOR.validate(values)
    assert errors == [], errors
    assert row is not None
    assert list(row) == NAMES
    return row


def rejected(values: dict[str, Any]) -> tuple[str, str]:
    row, errors, _ = VALIDATOR.validate(values)
    assert row is None
    return reason_of(errors)


def test_a_clean_line_becomes_typed_bronze_values() -> None:
    out = valid(line(customer_email=" Linh@Gmail.com ", customer_phone="0912 345 678"))
    assert out["order_ts_utc"] == datetime(2024, 2, 3, 3, 15, tzinfo=UTC)
    assert out["order_date_local"] == date(2024, 2, 3)
    assert out["admin_version"] == "v1"
    assert (out["quantity"], out["unit_price_vnd"], out["discount_vnd"]) == (2, 145_000, 10_000)
    assert out["line_total_vnd"] == 280_000
    assert out["currency"] == "VND"
    assert out["customer_email"] == "Linh@Gmail.com"
    assert out["email_normalized"] == "linh@gmail.com"
    assert out["phone_normalized"] == "+84912345678"


def test_optional_amounts_default_and_line_total_is_computed() -> None:
    out = valid(line(discount_vnd=..., line_total_vnd=..., currency=...))
    assert (out["discount_vnd"], out["line_total_vnd"], out["currency"]) == (0, 290_000, "VND")


def test_vietnamese_and_marketplace_labels_map_to_allowed_values() -> None:
    out = valid(
        line(
            channel="TikTok Shop",
            status=unicodedata.normalize("NFD", "Trả hàng/Hoàn tiền"),
            currency="₫",
            payment_method="Thanh toán khi nhận hàng",
        )
    )
    assert (out["channel"], out["status"], out["currency"]) == ("tiktok_shop", "refunded", "VND")
    assert out["payment_method"] == "cod"
    assert valid(line(channel="Tại cửa hàng", status="Đã hủy"))["status"] == "cancelled"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"order_id": "  "}, "required_value_missing"),
        ({"sku": ...}, "required_value_missing"),
        ({"line_no": "0"}, "invalid_line_no"),
        ({"line_no": "one"}, "invalid_line_no"),
        ({"order_ts": "2024-02-30 10:00:00"}, "invalid_order_ts"),
        ({"order_ts": "1999-12-31 10:00:00"}, "order_ts_out_of_range"),
        ({"order_ts": "2027-01-01 10:00:00"}, "order_ts_out_of_range"),
        ({"channel": "facebook"}, "unknown_channel"),
        ({"status": "lost"}, "unknown_status"),
        ({"currency": "USD"}, "unsupported_currency"),
        ({"currency": "$"}, "unsupported_currency"),
        ({"quantity": "-1", "line_total_vnd": ...}, "quantity_not_positive"),
        ({"quantity": "0"}, "quantity_not_positive"),
        ({"quantity": "1.5"}, "invalid_quantity"),
        ({"unit_price_vnd": "12O.000"}, "invalid_amount"),
        ({"unit_price_vnd": "-145000"}, "negative_amount"),
        ({"discount_vnd": "500.000", "line_total_vnd": ...}, "discount_exceeds_gross"),
        ({"line_total_vnd": "290.000"}, "line_total_mismatch"),
        ({"province_code": "99", "district_code": ...}, "unknown_province_code"),
        ({"district_code": "001"}, "unknown_district_code"),
        ({"customer_name": "x" * 501}, "value_too_long"),
    ],
)
def test_each_rule_quarantines_with_its_reason(overrides: dict[str, Any], reason: str) -> None:
    assert rejected(line(**overrides))[0] == reason
    assert reason in REASON_CODES


def test_every_violation_is_listed_in_the_detail() -> None:
    reason, detail = rejected(line(order_ts="N/A", quantity="-3", unit_price_vnd="#VALUE!"))
    assert reason == "invalid_order_ts"
    assert "order_ts:" in detail and "quantity:" in detail and "unit_price_vnd:" in detail


def test_province_codes_follow_the_reform_date() -> None:
    before = {"order_ts": "2025-06-30 23:59:00", "district_code": ...}
    after = {"order_ts": "2025-07-01 00:00:00", "district_code": ...}
    assert valid(line(province_code="02", **before))["admin_version"] == "v1"
    assert rejected(line(province_code="02", **after))[0] == "unknown_province_code"
    assert valid(line(province_code="08", **after))["admin_version"] == "v2"
    assert valid(line(province_code="1", **after))["province_code"] == "01"
    assert rejected(line(order_ts="2025-08-01 10:00:00"))[0] == "district_after_reform"


def test_reform_boundary_uses_the_local_date() -> None:
    out = valid(line(order_ts="2025-06-30T17:30:00Z", province_code="08", district_code=...))
    assert out["order_date_local"] == date(2025, 7, 1)
    assert out["admin_version"] == "v2"
    assert admin_version(date(2025, 6, 30)) == "v1"


def test_header_mapping_reports_aliases_extras_and_missing_columns() -> None:
    mapper = HeaderMapper(COLUMNS)
    header = ["Mã hoá đơn", "STT", "qty", "Thời gian", "channel", "status", "sku", "note"]
    header.append("unit_price")
    mapped = mapper.observe(header)
    assert mapped[0] == "order_id" and mapped[2] == "quantity" and mapped[7] is None
    drift = mapper.drift()
    assert drift.missing_required == []
    assert "currency" in drift.missing_optional
    assert drift.extra == ["note"]
    assert "qty->quantity" in drift.renamed
    assert drift.reordered


def test_a_repeated_column_is_an_extra_and_a_missing_required_one_is_reported() -> None:
    mapper = HeaderMapper(COLUMNS)
    mapped = mapper.observe(["order_id", "quantity", "qty"])
    assert mapped == ["order_id", "quantity", None]
    drift = mapper.drift()
    assert drift.extra == ["qty"]
    required = ["line_no", "order_ts", "channel", "status", "sku", "unit_price_vnd"]
    assert drift.missing_required == required
    assert not drift.reordered


def test_admin_reference_has_63_old_provinces_696_districts_and_34_new_provinces() -> None:
    units = load_admin_units()
    assert len(units.old_provinces) == 63
    assert len(units.old_districts) == 696
    assert len(units.new_provinces) == 34
    assert set(units.crosswalk) == set(units.old_provinces)
    assert set(units.crosswalk.values()) == set(units.new_provinces)


def test_packaged_crosswalk_is_the_dbt_seed() -> None:
    packaged = ROOT / "ops/sme_pulse/ingestion/data/province_crosswalk_2025.csv"
    seed = ROOT / "dbt/seeds/province_crosswalk_2025.csv"
    with packaged.open(encoding="utf-8") as a, seed.open(encoding="utf-8") as b:
        assert list(csv.reader(a)) == list(csv.reader(b))


def parsed(values: dict[str, Any]) -> dict[str, Any]:
    """The parsed values a rejected line keeps in quarantine, as written there."""
    check = VALIDATOR.validate(values)
    assert check.values is None
    return json.loads(parsed_values_json(check.parsed))


def test_a_rejected_line_keeps_its_valid_fields_and_drops_the_broken_one() -> None:
    out = parsed(line(quantity="-2", district_code=""))
    assert "quantity" not in out
    assert out["line_total_vnd"] == 280_000  # as exported: a valid amount on its own
    assert out["order_ts_utc"] == "2024-02-03T03:15:00.000000+00:00"
    assert out["order_date_local"] == "2024-02-03"
    assert (out["province_code"], out["district_code"]) == ("79", None)
    assert (out["unit_price_vnd"], out["discount_vnd"]) == (145_000, 10_000)
    assert set(out) == set(NAMES) - {"quantity"}


def test_a_required_field_never_reads_as_valid_and_empty() -> None:
    out = parsed(line(quantity="-2", line_total_vnd=""))
    assert "line_total_vnd" not in out  # nothing to compute it from
    out = parsed(line(line_total_vnd="1"))
    assert "line_total_vnd" not in out  # contradicts quantity x price - discount
    assert out["quantity"] == 2


def test_a_bad_time_leaves_the_time_and_the_address_unverified() -> None:
    out = parsed(line(order_ts="31/02/2024 25:00"))
    unverified = {"order_ts_utc", "order_date_local", "admin_version"}
    assert unverified | {"province_code", "district_code"} == set(NAMES) - set(out)
    assert out["line_total_vnd"] == 280_000


def test_a_bad_province_drops_only_the_address_fields_it_broke() -> None:
    out = parsed(line(province_code="99", district_code=""))
    assert "province_code" not in out
    assert out["district_code"] is None
    assert out["order_ts_utc"] == "2024-02-03T03:15:00.000000+00:00"


def test_parsed_values_are_a_function_of_the_row_alone() -> None:
    values = line(quantity="0", customer_email=" Linh@Gmail.com ")
    first, second = VALIDATOR.validate(values).parsed, VALIDATOR.validate(dict(values)).parsed
    text = parsed_values_json(first)
    assert text == parsed_values_json(second)
    assert list(json.loads(text)) == sorted(json.loads(text))
    assert json.loads(text)["email_normalized"] == "linh@gmail.com"


def test_a_valid_line_parses_to_its_bronze_values() -> None:
    check = VALIDATOR.validate(line())
    assert check.values is not None
    assert check.parsed == check.values
