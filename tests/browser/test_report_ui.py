"""The report of `sme-pulse report` in a real browser: it draws every chart offline.

The page is opened from disk (file://) in headless Chromium, with every http(s) request
aborted and recorded: the report must need nothing but its own file. Each chart must have
loaded and drawn something (its pixels read back through a canvas, more than a few
colours). With SME_PULSE_SCREENSHOTS=1 the test also saves docs/images/report-*.png.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sme_pulse.questions import dashboards
from sme_pulse.report import write_report

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "report"))
from built_shop import build_shop_warehouse  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCREENSHOTS = REPO / "docs" / "images"
VIEWPORT = {"width": 1280, "height": 900}
MIN_COLOURS = 8
"""A chart with axes, labels and data has dozens of colours; a blank or broken one 1 or 2."""
CHART_PIXELS = """
() => Array.from(document.querySelectorAll('img.chart')).map((img) => {
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  const colours = new Set();
  if (canvas.width > 0) {
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < data.length; i += 4) {
      colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
  }
  return {
    question: img.closest('section').dataset.question,
    complete: img.complete,
    width: img.naturalWidth,
    colours: colours.size,
  };
})
"""


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("report-ui")
    settings, build = build_shop_warehouse(work)
    if not settings.warehouse_path.exists():
        pytest.fail(f"dbt build made no warehouse:\n{build.stdout[-4000:]}")
    return write_report(settings, work / "report")


@pytest.fixture
def offline_page(browser: Any) -> Iterator[tuple[Any, list[str], list[str]]]:
    """A page whose every request is recorded and whose http(s) requests are aborted."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    requested: list[str] = []
    aborted: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    def only_local(route: Any) -> None:
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            aborted.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    try:
        yield page, requested, aborted
    finally:
        context.close()


@pytest.mark.timeout(600)
def test_every_chart_draws_and_nothing_leaves_the_machine(
    offline_page: tuple[Any, list[str], list[str]], report_page: Path
) -> None:
    page, requested, aborted = offline_page
    page.goto(report_page.as_uri(), wait_until="load")
    charts = {c["question"]: c for c in page.evaluate(CHART_PIXELS)}
    drawn = {q.key for d in dashboards() for q in d.questions if q.chart and d.key == "business"}
    assert drawn <= set(charts), f"charts missing: {sorted(drawn - set(charts))}"
    for question, chart in charts.items():
        assert chart["complete"] and chart["width"] > 0, question
        assert chart["colours"] > MIN_COLOURS, f"{question} looks blank: {chart}"
    for question in (q for d in dashboards() if d.key == "business" for q in d.questions):
        assert page.locator(f"table#table-{question.key}").count() == 1, question.key
    assert page.locator("h1").inner_text().startswith("SME Pulse")
    assert not aborted, f"the report asked the network for {aborted}"
    assert all(url.startswith(("file:", "data:")) for url in requested), requested
    if os.environ.get("SME_PULSE_SCREENSHOTS", "").strip() == "1":
        save_screenshots(page)


def save_screenshots(page: Any, folder: Path = SCREENSHOTS) -> list[Path]:
    """The top of the report, the cohort heatmap and data health, as docs/images shows them."""
    folder.mkdir(parents=True, exist_ok=True)
    shots = {
        "report-overview.png": None,
        "report-province-month.png": "#q-revenue_by_province_month",
        "report-cohorts.png": "#q-customer_cohort_retention",
        "report-growth.png": "#q-growth_nominal_vs_real",
        "report-data-health.png": "#q-source_freshness",
    }
    saved = []
    for name, selector in shots.items():
        path = folder / name
        if selector is None:
            page.screenshot(path=str(path))
        elif page.locator(selector).count():
            page.locator(selector).screenshot(path=str(path))
        else:
            continue
        saved.append(path)
    return saved
