"""Charts from a question's `chart` spec: real PNGs, the same bytes for the same rows."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from matplotlib.image import imread
from sme_pulse.report.charts import ChartSpecError, draw
from sme_pulse.report.formats import Formats

pytestmark = pytest.mark.unit

COLUMNS = ["order_month", "province_name", "net_revenue_vnd"]
ROWS = [
    (date(2025, month, 1), province, month * factor * 1_000_000)
    for month in range(1, 7)
    for province, factor in (("Hà Nội", 3), ("Hồ Chí Minh", 5), ("Huế", 1))
]
LINE = {"kind": "line", "x": "order_month", "y": "net_revenue_vnd", "series": "province_name"}


def _colours(png: bytes) -> int:
    pixels = imread(BytesIO(png))
    return len({tuple(p) for p in pixels.reshape(-1, pixels.shape[-1])[::7].tolist()})


@pytest.mark.parametrize(
    "spec",
    [
        LINE,
        {**LINE, "top": 1},
        {"kind": "bar", "x": "province_name", "y": "net_revenue_vnd", "stacked": True},
        {"kind": "barh", "x": "province_name", "y": ["net_revenue_vnd"]},
        {"kind": "heatmap", "x": "order_month", "y": "province_name", "value": "net_revenue_vnd"},
    ],
)
def test_each_kind_draws_a_png_with_content(spec: dict[str, object]) -> None:
    png = draw(spec, COLUMNS, ROWS, Formats("vi"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert _colours(png) > 8


def test_the_same_rows_give_the_same_bytes() -> None:
    assert draw(LINE, COLUMNS, ROWS, Formats("vi")) == draw(LINE, COLUMNS, ROWS, Formats("vi"))
    assert draw(LINE, COLUMNS, ROWS, Formats("vi")) != draw(LINE, COLUMNS, ROWS, Formats("en"))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "pie", "x": "order_month"}, "chart kind 'pie' is not one of"),
        ({"kind": "bar", "x": "month", "y": "net_revenue_vnd"}, "lacks: ['month']"),
        ({"kind": "bar", "y": "net_revenue_vnd"}, "lacks: ['x']"),
    ],
)
def test_a_spec_it_cannot_follow_is_one_clear_error(spec: dict[str, object], message: str) -> None:
    with pytest.raises(ChartSpecError, match=message.replace("[", r"\[").replace("(", r"\(")):
        draw(spec, COLUMNS, ROWS, Formats("vi"))


def test_a_missing_value_draws_no_bar_not_a_zero() -> None:
    """Real growth of a year the World Bank has not published is blank, not a 0 % bar."""
    spec = {"kind": "bar", "x": "year", "y": ["nominal_pct", "real_pct"]}
    columns = ["year", "nominal_pct", "real_pct"]
    published = draw(spec, columns, [(2024, 5.0, 2.0), (2025, 4.0, 0.0)], Formats("en"))
    unpublished = draw(spec, columns, [(2024, 5.0, 2.0), (2025, 4.0, None)], Formats("en"))
    assert published != unpublished
