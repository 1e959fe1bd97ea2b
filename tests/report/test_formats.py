"""Numbers, money, dates and months as a Vietnamese (default) or English reader writes them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sme_pulse.report import catalog
from sme_pulse.report.formats import MISSING, Formats

pytestmark = pytest.mark.unit

NBSP = "\u00a0"
VI, EN = Formats("vi"), Formats("en")


def test_the_default_is_vietnamese() -> None:
    assert Formats().lang == catalog.DEFAULT_LANGUAGE == "vi"


@pytest.mark.parametrize(
    ("fmt", "column", "value", "shown"),
    [
        (VI, "net_revenue_vnd", 1_234_567, f"1.234.567{NBSP}₫"),
        (EN, "net_revenue_vnd", 1_234_567, "₫1,234,567"),
        (VI, "avg_order_value_vnd", 99_999.6, f"100.000{NBSP}₫"),
        (VI, "completed_orders", 12_345, "12.345"),
        (EN, "completed_orders", 12_345, "12,345"),
        (VI, "retention_pct", 12.345, "12,3%"),
        (EN, "net_revenue_real_growth_pct", -3.25, "-3.2%"),
        (VI, "units_sold", Decimal("1500"), "1.500"),
        (VI, "year", 2025, "2025"),
        (VI, "order_month", date(2025, 3, 1), "Tháng 3/2025"),
        (EN, "order_month", date(2025, 3, 1), "Mar 2025"),
        (VI, "order_date", date(2025, 3, 5), "05/03/2025"),
        (EN, "order_date", date(2025, 3, 5), "5 Mar 2025"),
        (VI, "year_start_date", date(2024, 1, 1), "2024"),
        (VI, "net_revenue_vnd", None, MISSING),
        (VI, "is_small_base", True, "có"),
        (EN, "is_small_base", False, "no"),
    ],
)
def test_a_cell_is_formatted_by_its_column(
    fmt: Formats, column: str, value: object, shown: str
) -> None:
    assert fmt.cell(column, value) == shown


def test_load_times_are_shown_in_vietnam_time() -> None:
    loaded = datetime(2025, 3, 5, 20, 30, tzinfo=UTC)
    assert VI.cell("last_loaded_at", loaded) == "06/03/2025 03:30 (giờ Việt Nam)"
    assert (
        EN.cell("last_loaded_at", loaded.replace(tzinfo=None)) == "6 Mar 2025 03:30 (Vietnam time)"
    )


def test_codes_become_words_only_in_their_columns() -> None:
    assert VI.cell("channel", "tiktok_shop") == "TikTok Shop"
    assert VI.cell("customer_segment", "not_in_crm") == "Chưa có trong CRM"
    assert EN.cell("customer_segment", "guest") == "Walk-in guest"
    assert VI.cell("product_name", "gold") == "gold"


def test_chart_axes_are_short() -> None:
    assert VI.axis_label("order_month", date(2025, 3, 1)) == "3/2025"
    assert VI.axis_value("net_revenue_vnd", 12_500_000) == f"12,5{NBSP}tr{NBSP}₫"
    assert EN.axis_value("net_revenue_vnd", 12_500_000) == "₫12.5M"
    assert EN.axis_value("retention_pct", 40) == "40%"


def test_every_language_has_every_string() -> None:
    for table in (catalog.UI, catalog.COLUMNS, catalog.VALUES, catalog.PERIODS):
        keys = [set(table[lang]) for lang in catalog.LANGUAGES]
        assert all(k == keys[0] for k in keys), table


def test_untranslated_questions_and_columns_fall_back_to_their_own_names() -> None:
    assert catalog.question_text("en", "revenue_by_province", "Name", "What") == ("Name", "What")
    assert catalog.question_text("vi", "new_question", "Name", "What") == ("Name", "What")
    assert catalog.column_label("vi", "brand_new_column") == "brand_new_column"


def test_freshness_periods_are_in_the_readers_language() -> None:
    assert VI.cell("warn_after", "2 day") == "2 ngày"
    assert VI.cell("error_after", "1 hour") == "1 giờ"
    assert EN.cell("warn_after", "35 day") == "35 day(s)"
    assert set(catalog.PERIODS["vi"]) == set(catalog.PERIODS["en"])
