"""Numbers, money, dates and months the way the reader's language writes them.

Vietnamese writes 1.234.567 ₫, 12,5%, 05/03/2025 and "Tháng 3/2025"; English writes
₫1,234,567, 12.5%, 5 Mar 2025 and "Mar 2025". Babel holds the locale rules; this module
only decides which rule a column gets, from the column's name, because the questions name
their columns by what they hold (`_vnd` money, `_pct` percent, `_month` a month).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from sme_pulse.report import catalog

LOCALES: Final = {"vi": "vi_VN", "en": "en_GB"}
SHOP_TIME_ZONE: Final = ZoneInfo("Asia/Ho_Chi_Minh")
"""Load times are stored in UTC and shown in the shop's own time."""
MISSING: Final = "—"
PERCENT_PATTERN: Final = "#,##0.0"
DECIMAL_PATTERN: Final = "#,##0.##"
DATE_PATTERNS: Final = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
DATETIME_PATTERNS: Final = {"vi": "dd/MM/yyyy HH:mm", "en": "d MMM yyyy HH:mm"}
SHORT_MONTH_PATTERNS: Final = {"vi": "M/yyyy", "en": "MMM yyyy"}


@dataclass(frozen=True)
class Formats:
    """Formatting for one language (`vi` or `en`)."""

    lang: str = catalog.DEFAULT_LANGUAGE

    @property
    def locale(self) -> str:
        return LOCALES[self.lang]

    def number(self, value: float | int | Decimal) -> str:
        return format_decimal(value, DECIMAL_PATTERN, locale=self.locale)

    def vnd(self, value: float | int | Decimal) -> str:
        """Whole đồng: VND has no minor unit in use."""
        whole = round(value)
        if self.lang == "vi":
            return f"{format_decimal(whole, '#,##0', locale=self.locale)}\u00a0₫"
        return format_currency(whole, "VND", format="¤#,##0", locale=self.locale)

    def pct(self, value: float | int | Decimal) -> str:
        return f"{format_decimal(value, PERCENT_PATTERN, locale=self.locale)}%"

    def date(self, value: date) -> str:
        return format_date(value, DATE_PATTERNS[self.lang], locale=self.locale)

    def month(self, value: date) -> str:
        """`Tháng 3/2025` / `Mar 2025`: the label of a month in tables and headings."""
        if self.lang == "vi":
            return f"Tháng {value.month}/{value.year}"
        return format_date(value, "MMM yyyy", locale=self.locale)

    def short_month(self, value: date) -> str:
        """`3/2025` / `Mar 2025`: a month on a chart axis, where space is short."""
        return format_date(value, SHORT_MONTH_PATTERNS[self.lang], locale=self.locale)

    def datetime(self, value: datetime) -> str:
        """In Vietnam time, saying so; a naive time is taken as UTC (how loads record it)."""
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        local = aware.astimezone(SHOP_TIME_ZONE)
        shown = format_datetime(local, DATETIME_PATTERNS[self.lang], locale=self.locale)
        return f"{shown} ({catalog.text(self.lang, 'local_time')})"

    def cell(self, column: str, value: object) -> str:
        """One value of `column` as text, the rule chosen by the column's name and type."""
        if value is None:
            return MISSING
        if isinstance(value, bool):
            return catalog.value_label(self.lang, column, str(value).lower())
        if isinstance(value, datetime):
            return self.datetime(value)
        if isinstance(value, date):
            if column.endswith("_month"):
                return self.month(value)
            if column.startswith("year"):
                return str(value.year)
            return self.date(value)
        if isinstance(value, int | float | Decimal):
            if column == "year" or column.endswith("_year"):
                return str(int(value))
            if column.endswith("_vnd"):
                return self.vnd(value)
            if column.endswith("_pct"):
                return self.pct(value)
            return self.number(value)
        return catalog.value_label(self.lang, column, str(value))

    def axis_label(self, column: str, value: object) -> str:
        """A value on a chart axis or legend: months short, everything else as in cells."""
        is_day = isinstance(value, date) and not isinstance(value, datetime)
        if is_day and column.endswith("_month"):
            return self.short_month(value)
        return self.cell(column, value)

    def axis_value(self, column: str, value: float) -> str:
        """A number on a chart's value axis: money in millions (`12,5 tr ₫` / `₫12.5M`)."""
        if column.endswith("_vnd"):
            millions = format_decimal(value / 1_000_000, DECIMAL_PATTERN, locale=self.locale)
            return f"{millions}\u00a0tr\u00a0₫" if self.lang == "vi" else f"₫{millions}M"
        if column.endswith("_pct"):
            return f"{format_decimal(value, '#,##0.#', locale=self.locale)}%"
        return self.number(value)

    def is_numeric(self, value: object) -> bool:
        return isinstance(value, int | float | Decimal) and not isinstance(value, bool)
