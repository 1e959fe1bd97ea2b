"""The report as one HTML file that needs nothing else: styles inline, charts as data URIs.

An owner may open it offline, mail it, or keep it beside last month's: it loads no font,
script or image from anywhere. The PNGs are also written beside it, for slides and chats.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from sme_pulse.report import catalog
from sme_pulse.report.build import Report
from sme_pulse.report.formats import Formats

TEMPLATE: Final = "report.html.j2"
OPEN_ROWS: Final = 40
"""Tables up to this many rows show open; longer ones fold under their chart."""


def render_html(report: Report) -> str:
    environment = Environment(
        loader=FileSystemLoader(Path(__file__).parent),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    fmt = Formats(report.lang)
    return environment.get_template(TEMPLATE).render(
        report=report,
        open_rows=OPEN_ROWS,
        t=lambda key, **values: catalog.text(report.lang, key, **values),
        rows_count=fmt.number,
    )


def write(report: Report, out_dir: Path) -> Path:
    """`index.html` and each chart's PNG in `out_dir`; charts of an older report go first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("chart-*.png"):
        old.unlink()
    for section in report.sections:
        for block in section.blocks:
            if block.chart_file:
                (out_dir / block.chart_file).write_bytes(block.chart_png)
    index = out_dir / "index.html"
    index.write_text(render_html(report), encoding="utf-8")
    return index
