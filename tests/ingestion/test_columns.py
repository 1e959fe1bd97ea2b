"""Column expressions agree with the row parsers wherever they claim to be sure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest
from sme_pulse.ingestion import columns, values

pytestmark = pytest.mark.unit

TIMES = [
    "2024-02-03 10:15:00", "2024-02-03T10:15:00", "2024-02-03T10:15:00Z",
    "2024-02-03T10:15:00+07:00", "2024-02-03T10:15:00-05:30", "03/02/2024 10:15:00",
    "2023-02-30 10:00:00", "30/02/2023 10:00:00", "2024-01-01 10:00:60", "2024-01-01 24:00:00",
    "2024-13-01 10:00:00", "3/2/2024 10:15", "2024-02-03", " 2024-02-03 10:15:00", "",
]  # fmt: skip
INTEGERS = ["0", "007", "125000", "1.250.000", "1,250,000", "1.25", "12O", "-5", "1.250,000",
            "1.250.000,00", "999999999999999", "9999999999999999", " 12", ""]  # fmt: skip
EMAILS = ["Lan@Gmail.com", "lan@gmail", "a b@c.vn", "x@y.z", "Lâm@x.vn", "a@b.c\x1f", "",
          "Khach.Hang@Gmail.com", "noemail@x.vn", "khachhang.lan@x.vn"]  # fmt: skip
PHONES = ["0912 345 678", "0912.345.678", "+84 912 345 678", "0084912345678", "84912345678",
          "912345678", "(028) 3822 1234", "0000000000", "12345", "09l2345678",
          "0912\t345678", "0999 999 999", "0999 999 998"]  # fmt: skip


def agree(raw: list[str], vector: Callable[[pa.Array], tuple[pa.Array, pa.Array]], row: Any) -> int:
    """How many values the expression is sure of; each must equal the row parser's."""
    parsed, sure = vector(pa.array(raw, pa.string()))
    count = 0
    for text, value, is_sure in zip(raw, parsed.to_pylist(), sure.to_pylist(), strict=True):
        if is_sure:
            assert value == row(text), text
            count += 1
    return count


def _or_none(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def call(text: str) -> Any:
        try:
            return parse(text)
        except ValueError:
            return "refused"

    return call


def test_whitespace_is_every_character_python_strips() -> None:
    every = "".join(ch for ch in map(chr, range(0x110000)) if ch.isspace())
    assert every == columns.PY_WHITESPACE


def test_timestamps_the_expression_is_sure_of_parse_the_same() -> None:
    sure = agree(TIMES, columns.parse_timestamp, _or_none(values.parse_timestamp))
    assert sure == 6  # the rolled-over and exotic ones are left to the row parser


def test_integers_the_expression_is_sure_of_parse_the_same() -> None:
    plain = agree(INTEGERS, columns.parse_int, _or_none(values.parse_integer))
    grouped = agree(
        INTEGERS, lambda a: columns.parse_int(a, grouped=True), _or_none(values.parse_vnd)
    )
    assert (plain, grouped) == (4, 6)


def test_emails_and_phones_normalise_the_same() -> None:
    # Both read the contact as the contract's text reader left it: trimmed, NFC.
    emails = [values.clean_text(e) or "" for e in EMAILS]
    phones = [values.clean_text(p) or "" for p in PHONES]
    assert agree(emails, columns.normalize_email, values.normalize_email) == 9
    assert agree(phones, columns.normalize_phone, values.normalize_phone) == 12


def test_clean_text_trims_and_composes_like_python() -> None:
    raw = [" Lê\u00a0", "Le\u0302\u0301", "\u3000x\u2028", "   ", ""]
    cleaned = columns.clean_text(pa.array(raw, pa.string())).to_pylist()
    assert cleaned == [values.clean_text(text) for text in raw]
