"""Parsers for the values Vietnamese exports carry, shared by the sales and CRM contracts.

Each parser takes what a reader produced (a CSV string, a JSON number, an Excel cell)
and returns one canonical Python value or raises `ValueError` with a short reason that
ends up in the quarantine row. They are plain functions so the contracts stay readable
and every rule can be tested on its own.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache

# Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed offset is exact
# for every date the contracts accept and needs no tz database in slim containers.
VN_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")

_CURRENCY_MARKS = re.compile(r"^\s*(?:vn[dđ]|₫|đ)?\s*(.*?)\s*(?:vn[dđ]|₫|đ)?\s*$", re.IGNORECASE)
_INTEGER = re.compile(
    r"(?P<sign>[+-]?)"
    r"(?P<digits>\d{1,3}(?:(?P<sep>[., \u00a0\u202f])\d{3})(?:(?P=sep)\d{3})*|\d+)"
    r"(?:(?P<dec>[.,])0{1,2})?"
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_NOISE = re.compile(r"[\s.\-()\u00a0]")
_VN_PHONE = re.compile(r"[35789]\d{8}|2\d{9}")
_TEXT_KEY_NOISE = re.compile(r"[^a-z0-9]+")
# Contacts a till clerk types when the buyer gives none: "khachhang@..." ("customer"),
# "khach.hang@gmail.com", "khachle@..." ("walk-in"), "noemail@...", and phones of one
# repeated digit. They name nobody, so they must never link two sales to one customer:
# both normalisers return None for them. The patterns are also valid RE2, so the Arrow
# column expressions (ingestion.columns) apply the very same rule.
PLACEHOLDER_EMAIL = r"^(?:khach[._-]?hang|khach[._-]?le|no[._-]?e?mail|none|null|test)\d*@"
PLACEHOLDER_PHONE = r"^(?:0+|1+|2+|3+|4+|5+|6+|7+|8+|9+)$"
_PLACEHOLDER_EMAIL = re.compile(PLACEHOLDER_EMAIL)
_PLACEHOLDER_PHONE = re.compile(PLACEHOLDER_PHONE)


def clean_text(value: object) -> str | None:
    """Trimmed NFC text, or None when empty; Excel numbers become their plain digits."""
    if value is None:
        return None
    if type(value) is str and value.isascii():
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = value if isinstance(value, str) else str(value)
    text = text.strip()
    if not text:
        return None
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


@lru_cache(maxsize=4096)
def ascii_key(text: str) -> str:
    """Lower-case ASCII key of a label: 'Trạng thái' and 'trang_thai' both give 'trang_thai'.

    Vietnamese labels arrive with either tone placement ('hoá'/'hóa'), composed or
    decomposed, with or without diacritics, so matching is done on this folded form.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _TEXT_KEY_NOISE.sub("_", stripped.lower()).strip("_")


def parse_integer(value: object) -> int:
    """A whole number from an int, an integral float or text with thousands separators.

    Text may group thousands with '.', ',' or spaces ('1.250.000', '1,250,000') and may
    end in one or two zero decimals written with the other separator ('1.250.000,00').
    '125.000' is read as 125000: VND has no minor unit, so three digits after a
    separator are always a thousands group. Anything else ('1.5', '12O.000') is refused.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(f"{value!r} is not a whole number")
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        return int(text)
    match = _INTEGER.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a whole number")
    sep, dec = match.group("sep"), match.group("dec")
    if sep is not None and dec == sep:
        raise ValueError(f"{text!r} mixes up thousands and decimal separators")
    digits = match.group("digits")
    if sep is not None:
        digits = digits.replace(sep, "")
    number = int(digits)
    return -number if match.group("sign") == "-" else number


def parse_vnd(value: object) -> int:
    """A VND amount as integer dong; accepts a leading or trailing '₫', 'đ' or 'VND'."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        match = _CURRENCY_MARKS.fullmatch(value)
        value = match.group(1) if match else value
    return parse_integer(value)


def _parse_clock(text: str) -> time:
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f"time {text!r} is not HH:MM[:SS]")
    hour, minute = int(parts[0]), int(parts[1])
    second = float(parts[2]) if len(parts) == 3 else 0.0
    whole = int(second)
    return time(hour, minute, whole, int((second - whole) * 1_000_000))


def _parse_day_first(text: str) -> datetime:
    """'dd/mm/yyyy[ HH:MM[:SS]]', the order Vietnamese exports write dates in."""
    day_part, _, clock_part = text.partition(" ")
    pieces = day_part.split("/")
    if len(pieces) != 3 or len(pieces[2]) != 4:
        raise ValueError(f"date {text!r} is not dd/mm/yyyy")
    day = date(int(pieces[2]), int(pieces[1]), int(pieces[0]))
    clock = _parse_clock(clock_part.strip()) if clock_part.strip() else time()
    return datetime.combine(day, clock)


def parse_timestamp(value: object) -> datetime:
    """An aware UTC datetime; naive values are local Vietnam time (UTC+7).

    Accepts ISO 8601 (with 'T' or a space, optional fraction, optional 'Z' or offset),
    Vietnamese day-first 'dd/mm/yyyy HH:MM[:SS]', and Excel date or datetime cells.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = _parse_day_first(text) if "/" in text else datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a date and time ({exc})") from exc
    else:
        raise ValueError(f"{value!r} is not a date and time")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VN_TZ)
    return parsed.astimezone(UTC)


def local_date(moment: datetime) -> date:
    """The calendar day in Vietnam of an aware datetime."""
    return moment.astimezone(VN_TZ).date()


def normalize_email(value: str | None) -> str | None:
    """Lower-cased, trimmed address when it looks like one and is not a placeholder
    (`PLACEHOLDER_EMAIL`); None otherwise."""
    if value is None:
        return None
    text = value.strip().lower()
    if not _EMAIL.fullmatch(text) or _PLACEHOLDER_EMAIL.match(text):
        return None
    return text


def normalize_phone(value: str | None) -> str | None:
    """Vietnamese number in E.164 ('+84912345678') from any common way of writing it.

    Handles '0912 345 678', '0912.345.678', '84912345678', '+84 912 345 678', '0084...'
    and the 9-digit form spreadsheets leave after eating the leading zero. A number of
    one repeated digit ('0999 999 999') is a placeholder (`PLACEHOLDER_PHONE`): None.
    """
    if value is None:
        return None
    digits = _PHONE_NOISE.sub("", value)
    if digits.startswith("+84"):
        national = digits[3:]
    elif digits.startswith("0084"):
        national = digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        national = digits[2:]
    else:
        national = digits
    if national.startswith("0"):
        national = national[1:]
    if not _VN_PHONE.fullmatch(national) or _PLACEHOLDER_PHONE.match(national):
        return None
    return f"+84{national}"
