"""When Vietnamese shoppers buy: Tết, marketplace double days, weekends and growth.

Sales peak in the three or four weeks before Lunar New Year (Tết) as families and firms
buy gifts, then nearly stop for the holiday itself; marketplaces spike on 'double days'
(9.9, 10.10, 11.11, 12.12); TikTok Shop grows fast from a small base. The weights here
shape how many orders each day gets and which channel they come through.
"""

from __future__ import annotations

from datetime import date, timedelta

# Lunar New Year's Day (Mùng 1 Tết) in Vietnam.
TET_DATES = {
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
}
RAMP_DAYS = 28
HOLIDAY_DAYS = 5
MARKETPLACES = ("shopee", "lazada", "tiktok_shop")

ONLINE_HOURS = (1, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 8, 9, 7, 6, 6, 6, 6, 7, 9, 11, 12, 10, 5)
POS_HOURS = (0, 0, 0, 0, 0, 0, 0, 1, 4, 6, 7, 8, 8, 6, 5, 5, 6, 7, 9, 10, 9, 6, 2, 0)


def check_years(start: date, end: date) -> None:
    """Raise `ValueError` when a year in the range has no recorded Tết date."""
    missing = [y for y in range(start.year, end.year + 1) if y not in TET_DATES]
    if missing:
        known = f"{min(TET_DATES)}-{max(TET_DATES)}"
        raise ValueError(f"no Tết date recorded for {missing[0]}; supported years are {known}")


def days_to_tet(day: date) -> int | None:
    """Days until the next Tết within the ramp window (0 on Tết), or -n during the holiday."""
    for year in (day.year, day.year + 1):
        tet = TET_DATES.get(year)
        if tet is None:
            continue
        delta = (tet - day).days
        if -HOLIDAY_DAYS < delta <= RAMP_DAYS:
            return delta
    return None


def tet_factor(day: date) -> float:
    """Order volume multiplier: up to 2.6x in the run-up, 0.3x over the holiday."""
    delta = days_to_tet(day)
    if delta is None:
        return 1.0
    if delta <= 0:
        return 0.3
    if delta <= 2:
        return 1.4
    return 1.0 + 1.6 * (1 - (delta - 3) / (RAMP_DAYS - 3))


def in_tet_rush(day: date) -> bool:
    delta = days_to_tet(day)
    return delta is not None and delta > 0


def is_double_day(day: date) -> bool:
    return day.month == day.day and day.month >= 6


def channel_weights(day: date, start: date, end: date, mix: dict[str, float]) -> dict[str, float]:
    """Relative order volume per channel on `day`."""
    span = max((end - start).days, 1)
    progress = (day - start).days / span
    growth = 1.0 + 0.25 * (day - start).days / 365
    weekend = 1.15 if day.weekday() >= 5 else 1.0
    tet = tet_factor(day)
    weights = {}
    for channel, share in mix.items():
        weight = share * growth * weekend * tet
        if channel == "tiktok_shop":
            weight *= 0.4 + 1.4 * progress
        if channel in MARKETPLACES and is_double_day(day):
            weight *= 3.0
        weights[channel] = weight
    return weights


def date_range(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
