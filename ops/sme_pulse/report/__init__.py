"""`sme-pulse report`: the business dashboard and data health as one offline HTML file.

build.py asks the questions (ops/sme_pulse/questions) on the warehouse, either engine;
formats.py and catalog.py say it in Vietnamese (default) or English; charts.py draws the
PNGs; render.py writes `index.html` with everything inline, and the PNGs beside it.
"""

from __future__ import annotations

from pathlib import Path

from sme_pulse.config import Settings
from sme_pulse.report import build, render
from sme_pulse.report.catalog import DEFAULT_LANGUAGE


def write_report(settings: Settings, out_dir: Path, lang: str = DEFAULT_LANGUAGE) -> Path:
    """Build the report from the current warehouse into `out_dir`; the path of index.html."""
    return render.write(build.build(settings, lang), out_dir)
