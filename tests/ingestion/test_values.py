"""Value parsers: VND amounts, Vietnam-local timestamps, contacts and Vietnamese labels."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime

import pytest
from sme_pulse.ingestion.values import (
    ascii_key,
    clean_text,
    local_date,
    normalize_email,
    normalize_phone,
    parse_integer,
    parse_timestamp,
    parse_vnd,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1250000", 1_250_000),
        ("1.250.000", 1_250_000),
        ("1,250,000", 1_250_000),
        ("1 250 000", 1_250_000),
        ("1\u00a0250\u00a0000", 1_250_000),
        ("125.000", 125_000),
        ("1.250.000,00", 1_250_000),
        ("1,250,000.00", 1_250_000),
        ("125000.0", 125_000),
        ("1.250.000 ₫", 1_250_000),
        ("1.250.000đ", 1_250_000),
        ("VND 45,000", 45_000),
        ("45000 VNĐ", 45_000),
        (" 0 ", 0),
        ("-5", -5),
        (1_250_000, 1_250_000),
        (1_250_000.0, 1_250_000),
    ],
)
def test_vnd_amounts_normalise_separators_and_marks(raw: object, expected: int) -> None:
    assert parse_vnd(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["1.5", "12O.000", "#VALUE!", "N/A", "1.250.000.00", "1.25.000", "1000,000", "", 12.5, True],
)
def test_vnd_amounts_refuse_anything_that_is_not_whole_dong(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_vnd(raw)


def test_integers_accept_excel_floats_and_grouped_text() -> None:
    assert parse_integer(3.0) == 3
    assert parse_integer("1.000") == 1000
    assert parse_integer("+2") == 2
    with pytest.raises(ValueError):
        parse_integer("2 items")


@pytest.mark.parametrize(
    ("raw", "expected_utc"),
    [
        ("2024-02-10 00:30:00", datetime(2024, 2, 9, 17, 30, tzinfo=UTC)),
        ("2024-02-10T00:30:00", datetime(2024, 2, 9, 17, 30, tzinfo=UTC)),
        ("2024-02-10T00:30:00+07:00", datetime(2024, 2, 9, 17, 30, tzinfo=UTC)),
        ("2024-02-09T17:30:00Z", datetime(2024, 2, 9, 17, 30, tzinfo=UTC)),
        ("2024-02-10 00:30:00.250", datetime(2024, 2, 9, 17, 30, 0, 250_000, tzinfo=UTC)),
        ("10/02/2024 00:30:00", datetime(2024, 2, 9, 17, 30, tzinfo=UTC)),
        ("10/02/2024 00:30", datetime(2024, 2, 9, 17, 30, tzinfo=UTC)),
        ("10/02/2024", datetime(2024, 2, 9, 17, 0, tzinfo=UTC)),
        (datetime(2024, 2, 10, 0, 30), datetime(2024, 2, 9, 17, 30, tzinfo=UTC)),
        (date(2024, 2, 10), datetime(2024, 2, 9, 17, 0, tzinfo=UTC)),
    ],
)
def test_naive_timestamps_are_vietnam_local_time(raw: object, expected_utc: datetime) -> None:
    parsed = parse_timestamp(raw)
    assert parsed == expected_utc
    assert parsed.tzinfo is UTC


def test_local_date_is_the_day_in_vietnam() -> None:
    assert local_date(datetime(2024, 2, 9, 17, 30, tzinfo=UTC)) == date(2024, 2, 10)
    assert local_date(datetime(2024, 2, 9, 16, 59, tzinfo=UTC)) == date(2024, 2, 9)


@pytest.mark.parametrize(
    "raw",
    ["2024-02-30 10:00:00", "30/02/2024 10:00:00", "0000-00-00 00:00:00", "03/02/24", "N/A", 5],
)
def test_impossible_or_ambiguous_dates_are_refused(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "+84912345678",
        "+84 912 345 678",
        "84912345678",
        "0084912345678",
        "912345678",
        "(+84) 0912 345 678",
    ],
)
def test_phone_variants_normalise_to_e164(raw: str) -> None:
    assert normalize_phone(raw) == "+84912345678"


def test_landlines_are_recognised_and_junk_is_not() -> None:
    assert normalize_phone("024 3825 1234") == "+842438251234"
    assert normalize_phone("12345") is None
    assert normalize_phone("0112345678") is None
    assert normalize_phone(None) is None


def test_email_variants_normalise_and_invalid_ones_give_none() -> None:
    assert normalize_email("  Linh.Nguyen@Gmail.COM ") == "linh.nguyen@gmail.com"
    assert normalize_email("linh nguyen@gmail.com") is None
    assert normalize_email("no-at-sign") is None


@pytest.mark.parametrize(
    "raw",
    ["  Khach.Hang@Gmail.com ", "KHACHHANG@gmail.com", "khach_hang2@yahoo.com",
     "khachle@shop.vn", "noemail@gmail.com", "no.email@x.vn", "NoMail@x.vn", "none@x.vn"],
)  # fmt: skip
def test_placeholder_emails_name_nobody(raw: str) -> None:
    # What a clerk types for a walk-in buyer: it must never link two sales together.
    assert normalize_email(raw) is None


def test_real_addresses_that_resemble_placeholders_are_kept() -> None:
    assert normalize_email("khachhang.lan@gmail.com") == "khachhang.lan@gmail.com"
    assert normalize_email("lan.noemail@gmail.com") == "lan.noemail@gmail.com"
    assert normalize_email("nonexistent@x.vn") == "nonexistent@x.vn"


@pytest.mark.parametrize("raw", ["0000000000", "0999 999 999", "+84 333 333 333", "999999999"])
def test_placeholder_phones_name_nobody(raw: str) -> None:
    assert normalize_phone(raw) is None


def test_a_number_with_a_repeated_digit_run_is_still_a_number() -> None:
    assert normalize_phone("0999 999 998") == "+84999999998"


def test_labels_match_across_accents_tone_placement_and_normal_forms() -> None:
    decomposed = unicodedata.normalize("NFD", "Hoàn thành")
    assert ascii_key(decomposed) == ascii_key("Hoàn thành") == "hoan_thanh"
    assert ascii_key("Mã hóa đơn") == ascii_key("Mã hoá đơn") == ascii_key("MA HOA DON")
    assert ascii_key("Trả hàng/Hoàn tiền") == "tra_hang_hoan_tien"


def test_text_is_trimmed_and_composed() -> None:
    decomposed = unicodedata.normalize("NFD", " Nguyễn Thị Ánh ")
    assert clean_text(decomposed) == "Nguyễn Thị Ánh"
    assert unicodedata.is_normalized("NFC", clean_text(decomposed) or "")
    assert clean_text("   ") is None
    assert clean_text(1.0) == "1"
