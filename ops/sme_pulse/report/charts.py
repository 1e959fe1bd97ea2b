"""A question's rows drawn as a PNG, from the small spec in its dashboard.json `chart` key.

The spec names columns of the question: `kind` is `bar`, `barh`, `line` or `heatmap`;
`x` the category or time column; `y` one value column or a list of them (one series each);
`series` a column whose values become the series (then `y` is one column), `top` how many
of those series to draw before the rest is summed as "other"; `stacked` stacks bars;
`value` is the heatmap's cell column (`x` across, `y` down); `first_x_is_base` scales its
colours by the other columns (retention is 100% in month 0, which would wash out the rest).

Matplotlib's object API on the Agg canvas, never pyplot: no global figure state, no GUI
backend, and the same rows give the same bytes (no timestamp in the PNG metadata).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from io import BytesIO
from typing import Any, Final

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sme_pulse.errors import SmePulseError
from sme_pulse.report import catalog
from sme_pulse.report.formats import Formats

KINDS: Final = ("bar", "barh", "line", "heatmap")
WIDTH_IN: Final = 10.0
HEIGHT_IN: Final = 4.2
DPI: Final = 100
COLOURS: Final = (
    "#1b6ca8", "#e07a1f", "#2a9d4b", "#c0392b", "#7d5ba6",
    "#8c6d31", "#d16ba5", "#5f6b73", "#17a2b8", "#b5a22c",
)  # fmt: skip
PNG_METADATA: Final = {"Software": None}
MAX_X_TICKS: Final = 18


class ChartSpecError(SmePulseError, ValueError):
    """A question's `chart` spec names a kind or column the report cannot draw."""


Rows = Sequence[Sequence[Any]]


def draw(spec: dict[str, Any], columns: Sequence[str], rows: Rows, fmt: Formats) -> bytes:
    """The PNG of `rows` as `spec` says; raises ChartSpecError for a spec it cannot follow."""
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ChartSpecError(f"chart kind {kind!r} is not one of {', '.join(KINDS)}")
    named = [spec.get("x"), *_ys(spec), spec.get("series"), spec.get("value")]
    missing = [c for c in named if c is not None and c not in columns]
    if missing or spec.get("x") is None:
        raise ChartSpecError(f"chart names columns the question lacks: {missing or ['x']}")
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    figure = Figure(figsize=(WIDTH_IN, _height(kind, spec, records)), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if kind == "heatmap":
        _heatmap(figure, axes, spec, records, fmt)
    else:
        _series_chart(axes, kind, spec, records, fmt)
    figure.tight_layout()
    out = BytesIO()
    figure.savefig(out, format="png", metadata=PNG_METADATA)
    return out.getvalue()


def _ys(spec: dict[str, Any]) -> list[str]:
    y = spec.get("y", [])
    return [y] if isinstance(y, str) else list(y)


def _height(kind: str, spec: dict[str, Any], records: list[dict[str, Any]]) -> float:
    """Horizontal bars and heatmap rows need room per category; others are one size."""
    if kind == "barh":
        return max(HEIGHT_IN, 0.28 * len({r[spec["x"]] for r in records}) + 1.0)
    if kind == "heatmap":
        return max(HEIGHT_IN, 0.2 * len({r[spec["y"]] for r in records}) + 1.5)
    return HEIGHT_IN


def _series(
    spec: dict[str, Any], records: list[dict[str, Any]], fmt: Formats
) -> tuple[list[Any], dict[str, dict[Any, float]], str]:
    """Categories along x (in row order), each series' value per category, the value column."""
    x = spec["x"]
    categories = list(dict.fromkeys(r[x] for r in records))
    if spec.get("series"):
        (y,) = _ys(spec)[:1]
        by_series: dict[str, dict[Any, float]] = defaultdict(lambda: defaultdict(float))
        for r in records:
            if r[y] is not None:
                label = fmt.cell(spec["series"], r[spec["series"]])
                by_series[label][r[x]] += float(r[y])
        ranked = sorted(by_series, key=lambda s: (-sum(by_series[s].values()), s))
        top = int(spec.get("top", len(ranked)))
        kept = {s: dict(by_series[s]) for s in ranked[:top]}
        if ranked[top:]:
            other: dict[Any, float] = defaultdict(float)
            for s in ranked[top:]:
                for key, value in by_series[s].items():
                    other[key] += value
            kept[catalog.text(fmt.lang, "other")] = dict(other)
        return categories, kept, y
    ys = _ys(spec)
    series = {
        catalog.column_label(fmt.lang, y): {r[x]: float(r[y]) for r in records if r[y] is not None}
        for y in ys
    }
    return categories, series, ys[0]


def _series_chart(
    axes: Any, kind: str, spec: dict[str, Any], records: list[dict[str, Any]], fmt: Formats
) -> None:
    x = spec["x"]
    categories, series, value_column = _series(spec, records, fmt)
    if kind == "line":
        categories = sorted(categories)
    positions = range(len(categories))
    labels = [fmt.axis_label(x, c) for c in categories]
    stacked = bool(spec.get("stacked"))
    width = 0.8 if stacked or len(series) == 1 else 0.8 / max(len(series), 1)
    base = [0.0] * len(categories)
    for i, (name, values) in enumerate(series.items()):
        heights = [values.get(c) for c in categories]
        colour = COLOURS[i % len(COLOURS)]
        if kind == "line":
            points = [float("nan") if h is None else h for h in heights]
            axes.plot(positions, points, marker="o", markersize=3, color=colour, label=name)
            continue
        # A missing value (a year the World Bank has not published) draws no bar, not a 0;
        # stacked bars need a number to stack on.
        missing = 0.0 if stacked else float("nan")
        shown = [missing if h is None else h for h in heights]
        offset = 0.0 if stacked or len(series) == 1 else (i - (len(series) - 1) / 2) * width
        where = [p + offset for p in positions]
        if kind == "barh":
            axes.barh(where, shown, height=width, left=base, color=colour, label=name)
        else:
            axes.bar(where, shown, width=width, bottom=base, color=colour, label=name)
        if stacked:
            base = [b + s for b, s in zip(base, shown, strict=True)]
    value_axis = axes.xaxis if kind == "barh" else axes.yaxis
    value_axis.set_major_formatter(FuncFormatter(lambda v, _: fmt.axis_value(value_column, v)))
    if kind == "barh":
        axes.set_yticks(list(positions), labels)
        axes.invert_yaxis()
        axes.grid(axis="x", alpha=0.3)
    else:
        step = max(1, -(-len(categories) // MAX_X_TICKS))
        crowded = len(categories) > 8
        axes.set_xticks(
            list(positions)[::step],
            labels[::step],
            rotation=45 if crowded else 0,
            ha="right" if crowded else "center",
        )
        axes.grid(axis="y", alpha=0.3)
        axes.axhline(0, color="#444", linewidth=0.6)
    if len(series) > 1:
        axes.legend(fontsize=8, frameon=False, loc="best")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _heatmap(
    figure: Figure, axes: Any, spec: dict[str, Any], records: list[dict[str, Any]], fmt: Formats
) -> None:
    x, y, value = spec["x"], spec["y"], spec["value"]
    xs = sorted({r[x] for r in records})
    ys = sorted({r[y] for r in records})
    col, row = {v: i for i, v in enumerate(xs)}, {v: i for i, v in enumerate(ys)}
    grid = [[float("nan")] * len(xs) for _ in ys]
    for r in records:
        if r[value] is not None:
            grid[row[r[y]]][col[r[x]]] = float(r[value])
    rest = [v for line in grid for v in line[1:] if v == v]
    top = max(rest) if spec.get("first_x_is_base") and rest else None
    image = axes.imshow(grid, aspect="auto", cmap="YlGnBu", interpolation="nearest", vmax=top)
    extend = "max" if top is not None else "neither"
    colourbar = figure.colorbar(image, ax=axes, fraction=0.04, pad=0.02, extend=extend)
    colourbar.set_label(catalog.column_label(fmt.lang, value))
    colourbar.formatter = FuncFormatter(lambda v, _: fmt.axis_value(value, v))
    colourbar.update_ticks()
    axes.xaxis.set_major_locator(MaxNLocator(MAX_X_TICKS, integer=True))
    axes.xaxis.set_major_formatter(
        FuncFormatter(lambda v, _: fmt.axis_label(x, xs[int(v)]) if 0 <= v < len(xs) else "")
    )
    step = max(1, -(-len(ys) // 24))
    axes.set_yticks(range(0, len(ys), step), [fmt.axis_label(y, v) for v in ys[::step]])
    axes.set_xlabel(catalog.column_label(fmt.lang, x))
    axes.set_ylabel(catalog.column_label(fmt.lang, y))
