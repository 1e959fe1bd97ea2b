"""Column expressions: the value parsers of `ingestion.values`, on whole Arrow arrays.

Each function returns the parsed array and a `sure` mask. Where `sure` is true the result
is exactly what the row-at-a-time parser returns for that value; where it is false the
value has a shape the expression does not cover (a currency mark, an exotic date format,
a non-ASCII e-mail), and the row goes to the row parser, which decides. So the fast path
only ever covers the common shapes, and every rule keeps one wording, in `rules`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sme_pulse.ingestion import values

# Every character Python's str.strip() removes, derived from str.isspace so trimming is
# identical (the last such character is U+3000; a unit test checks the whole range).
PY_WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
# Python's `\s` on ASCII text, for the e-mail and phone patterns.
_ASCII_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f "
_EMAIL = rf"^[^@{_ASCII_SPACE}]+@[^@{_ASCII_SPACE}]+\.[^@{_ASCII_SPACE}]+$"
_CONTROL = r"[\x00-\x1f]"
_VN_PHONE = r"^(?:[35789]\d{8}|2\d{9})$"
_PLAIN_INT = r"^\d{1,15}$"
_GROUPED = {".": r"^\d{1,3}(?:\.\d{3})+$", ",": r"^\d{1,3}(?:,\d{3})+$"}
_ISO = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}"
_OFFSET = r"[+-]\d{2}:\d{2}$"
_DAY_FIRST = r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}$"
TS = pa.timestamp("us", tz="UTC")
VN_OFFSET_US = 7 * 3600 * 1_000_000


def const(value: bool, length: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.bool_()), length)


def fill(mask: pa.Array, value: bool = False) -> pa.Array:
    """A boolean array with nulls replaced: null comparisons count as `value`."""
    return pc.fill_null(mask, value)


def _nfc(value: str | None) -> tuple[str | None, bool]:
    return (value if value is None else unicodedata.normalize("NFC", value)), True


def clean_text(raw: pa.Array) -> pa.Array:
    """`values.clean_text`: trimmed, NFC-normalised, empty → null.

    Only non-ASCII values can change under NFC; they are normalised by Python's own
    `unicodedata`, once per distinct value, so the result is the row parser's exactly.
    """
    trimmed = pc.utf8_trim(raw, PY_WHITESPACE)
    other = pc.invert(fill(pc.string_is_ascii(trimmed), True))
    if pc.any(other).as_py():
        normalized, _ = map_unique(trimmed.filter(other), _nfc, pa.string())
        trimmed = pc.replace_with_mask(trimmed, other, normalized)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def empty_to_null(raw: pa.Array) -> pa.Array:
    """Empty values as null, nothing trimmed: for columns read with anchored patterns, where
    a value with spaces around it is simply not `sure` and goes to the row parser."""
    return pc.if_else(pc.equal(raw, ""), pa.scalar(None, pa.string()), raw)


def too_long(text: pa.Array, limit: int) -> pa.Array:
    return fill(pc.greater(pc.utf8_length(text), limit))


def parse_int(text: pa.Array, *, grouped: bool = False) -> tuple[pa.Array, pa.Array]:
    """Whole numbers written as plain digits (or grouped by '.' or ',' when `grouped`)."""
    digits = text
    sure = fill(pc.match_substring_regex(text, _PLAIN_INT))
    if grouped and not pc.all(pc.or_(sure, pc.is_null(text))).as_py():
        for sep, pattern in _GROUPED.items():
            match = fill(pc.match_substring_regex(text, pattern))
            if pc.any(match).as_py():
                stripped = pc.replace_substring(text, sep, "")
                digits = pc.if_else(match, stripped, digits)
                sure = pc.or_(
                    sure, pc.and_(match, fill(pc.less_equal(pc.utf8_length(stripped), 15)))
                )
    safe = pc.if_else(sure, digits, pa.scalar("0"))
    return pc.if_else(sure, pc.cast(safe, pa.int64()), pa.scalar(None, pa.int64())), sure


def _strptime(text: pa.Array, fmt: str) -> pa.Array:
    return pc.strptime(text, format=fmt, unit="us", error_is_null=True)


ISO_DAY_SECOND = ((8, 10), (17, 19))
DAY_FIRST_DAY_SECOND = ((0, 2), (17, 19))


def _round_trips(
    text: pa.Array, positions: tuple[tuple[int, int], tuple[int, int]], parsed_us: pa.Array
) -> pa.Array:
    """Arrow's strptime range-checks each field but rolls 30 February over into March and
    second 60 into the next minute; Python refuses both. Only a value whose parsed day
    and second equal its written digits is a real date and time."""
    moment = pc.cast(parsed_us, pa.timestamp("us"))
    ok = pc.is_valid(parsed_us)
    for part, (start, stop) in zip((pc.day, pc.second), positions, strict=True):
        digits = pc.if_else(ok, pc.utf8_slice_codeunits(text, start, stop), "0")
        ok = pc.and_(ok, pc.equal(pc.cast(part(moment), pa.int64()), pc.cast(digits, pa.int64())))
    return fill(ok)


def parse_timestamp(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """UTC instants from 'YYYY-MM-DD[ T]HH:MM:SS' (naive = Vietnam time, or with 'Z' or
    '±HH:MM') and Vietnamese 'dd/mm/yyyy HH:MM:SS'; other shapes are not `sure`."""
    n = len(text)
    result = pa.nulls(n, pa.int64())
    sure = const(False, n)
    iso = fill(pc.match_substring_regex(text, _ISO))
    if pc.any(iso).as_py():
        head = pc.replace_substring(pc.utf8_slice_codeunits(text, 0, 19), "T", " ")
        tail = pc.utf8_slice_codeunits(text, 19)
        naive_us = pc.cast(
            pc.cast(_strptime(head, "%Y-%m-%d %H:%M:%S"), pa.timestamp("us")), pa.int64()
        )
        local = pc.and_(iso, pc.equal(tail, ""))
        utc = pc.and_(iso, pc.equal(tail, "Z"))
        offset = pc.and_(iso, fill(pc.match_substring_regex(tail, _OFFSET)))
        sign = pc.if_else(pc.starts_with(tail, "-"), -1, 1)
        hours = pc.cast(pc.if_else(offset, pc.utf8_slice_codeunits(tail, 1, 3), "0"), pa.int64())
        minutes = pc.cast(pc.if_else(offset, pc.utf8_slice_codeunits(tail, 4, 6), "0"), pa.int64())
        shift = pc.multiply(pc.multiply(sign, pc.add(pc.multiply(hours, 60), minutes)), 60_000_000)
        shift = pc.if_else(local, VN_OFFSET_US, pc.if_else(utc, 0, shift))
        known = pc.or_(local, pc.or_(utc, offset))
        parsed = pc.subtract(naive_us, shift)
        ok = pc.and_(known, _round_trips(head, ISO_DAY_SECOND, naive_us))
        result = pc.if_else(ok, parsed, result)
        sure = pc.or_(sure, ok)
    day_first = fill(pc.match_substring_regex(text, _DAY_FIRST))
    if pc.any(day_first).as_py():
        parsed = pc.cast(
            pc.cast(_strptime(text, "%d/%m/%Y %H:%M:%S"), pa.timestamp("us")), pa.int64()
        )
        ok = pc.and_(day_first, _round_trips(text, DAY_FIRST_DAY_SECOND, parsed))
        result = pc.if_else(ok, pc.subtract(parsed, VN_OFFSET_US), result)
        sure = pc.or_(sure, ok)
    return pc.cast(result, TS), fill(sure)


def local_date(ts: pa.Array) -> pa.Array:
    """The calendar day in Vietnam (UTC+7, no daylight saving) of UTC instants."""
    shifted = pc.add(pc.cast(ts, pa.int64()), VN_OFFSET_US)
    return pc.cast(pc.cast(shifted, pa.timestamp("us")), pa.date32())


def instant(moment: datetime) -> pa.Scalar:
    return pa.scalar(moment, TS)


def normalize_email(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """`values.normalize_email` for ASCII addresses; non-ASCII ones are not `sure`."""
    ascii_ = fill(pc.string_is_ascii(text), True)
    lower = pc.utf8_lower(text)
    valid = pc.and_(
        fill(pc.match_substring_regex(lower, _EMAIL)),
        pc.invert(fill(pc.match_substring_regex(lower, values.PLACEHOLDER_EMAIL))),
    )
    return pc.if_else(valid, lower, pa.scalar(None, pa.string())), ascii_


def normalize_phone(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """`values.normalize_phone` for ASCII numbers; non-ASCII ones are not `sure`."""
    ascii_ = fill(pc.string_is_ascii(text), True)
    digits = text
    for noise in (" ", ".", "-", "(", ")"):
        digits = pc.replace_substring(digits, noise, "")
    ascii_ = pc.and_(ascii_, pc.invert(fill(pc.match_substring_regex(digits, _CONTROL))))
    length = pc.utf8_length(digits)
    national = pc.if_else(
        fill(pc.starts_with(digits, "+84")),
        pc.utf8_slice_codeunits(digits, 3),
        pc.if_else(
            fill(pc.starts_with(digits, "0084")),
            pc.utf8_slice_codeunits(digits, 4),
            pc.if_else(
                pc.and_(
                    fill(pc.starts_with(digits, "84")),
                    fill(pc.is_in(length, pa.array([11, 12], pa.int32()))),
                ),
                pc.utf8_slice_codeunits(digits, 2),
                digits,
            ),
        ),
    )
    national = pc.if_else(
        fill(pc.starts_with(national, "0")), pc.utf8_slice_codeunits(national, 1), national
    )
    valid = pc.and_(
        fill(pc.match_substring_regex(national, _VN_PHONE)),
        pc.invert(fill(pc.match_substring_regex(national, values.PLACEHOLDER_PHONE))),
    )
    return pc.if_else(valid, pc.binary_join_element_wise("+84", national, ""), None), ascii_


def map_unique(
    text: pa.Array, function: Callable[[str | None], tuple[Any, bool]], kind: pa.DataType
) -> tuple[pa.Array, pa.Array]:
    """Apply a row-at-a-time `function` (value -> (result, ok)) once per distinct value.

    Columns such as channel, status or province hold a handful of distinct values in a
    million rows, so the contract's own Python rule runs a few dozen times, not a million.
    """
    distinct = pc.unique(text)
    results = [function(value) for value in distinct.to_pylist()]
    positions = pc.index_in(text, distinct, skip_nulls=False)
    values = pc.take(pa.array([r for r, _ in results], kind), positions)
    oks = pc.take(pa.array([ok for _, ok in results], pa.bool_()), positions)
    return values, oks
