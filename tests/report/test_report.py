"""`sme-pulse report` on a small built shop: every question answered, offline, in Vietnamese.

One generated shop (tests/report/built_shop.py) goes through the real ingestion and a full
`dbt build` on DuckDB; the report is then written by the CLI command, as an owner runs it.
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from built_shop import build_shop_warehouse
from markupsafe import escape
from sme_pulse import cli
from sme_pulse.config import Settings
from sme_pulse.questions import QUESTIONS_DIR, Dashboard, dashboards
from sme_pulse.report import catalog
from sme_pulse.report.build import (
    AS_OF_QUESTION,
    BUSINESS,
    DATA_HEALTH,
    build,
    quarantine_commands,
)
from sme_pulse.report.formats import Formats
from sme_pulse.report.render import render_html
from sme_pulse.warehouse import ad_hoc_query, query_table
from typer.testing import CliRunner

pytestmark = pytest.mark.integration

VN_MONEY = re.compile(r"\d{1,3}(?:\.\d{3})+\u00a0₫")
VN_MONTH = re.compile(r"Tháng \d{1,2}/20\d\d")
VN_DATE = re.compile(r"\d\d/\d\d/20\d\d")
VI = Formats("vi")


@dataclass
class Built:
    settings: Settings
    out: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    work = tmp_path_factory.mktemp("report-shop")
    settings, build = build_shop_warehouse(work)
    if not settings.warehouse_path.exists():
        pytest.fail(f"dbt build made no warehouse:\n{build.stdout[-4000:]}{build.stderr[-2000:]}")
    yield Built(settings, work / "report")


def _dashboard(key: str) -> Dashboard:
    found = {d.key: d for d in dashboards()}
    if key not in found:
        pytest.skip(f"no {key} questions yet (ops/sme_pulse/questions/{key})")
    return found[key]


def _run_report(built: Built, monkeypatch: pytest.MonkeyPatch, *args: str) -> Path:
    monkeypatch.setenv("SME_PULSE_HOME", str(built.settings.home))
    result = CliRunner().invoke(cli.app, ["report", "--out", str(built.out), *args])
    assert result.exit_code == 0, result.output
    index = Path(result.output.strip().splitlines()[-1])
    assert index == built.out / "index.html"
    return index


class _Resources(HTMLParser):
    """Every src and href in the page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value or "" for name, value in attrs if name in ("src", "href")]


def test_every_question_is_a_table_in_one_offline_file(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    html = _run_report(built, monkeypatch).read_text(encoding="utf-8")
    found = {d.key: d for d in dashboards()}
    for question in _dashboard(BUSINESS).questions:
        assert f'<table id="table-{question.key}">' in html, question.key
        _, rows = query_table(built.settings, question.sql())
        assert rows, f"{question.key} has no rows in the built shop"
        if question.chart:
            assert (built.out / f"chart-{question.key}.png").read_bytes()[:4] == b"\x89PNG"
    for question in found[DATA_HEALTH].questions if DATA_HEALTH in found else ():
        assert f'data-question="{question.key}"' in html, question.key
    parser = _Resources()
    parser.feed(html)
    assert parser.urls, "the page has no images or links at all"
    assert all(u.startswith(("#", "data:image/png;base64,")) for u in parser.urls), parser.urls
    style = html[html.index("<style>") : html.index("</style>")]
    assert "url(" not in style and "@import" not in style and "<script" not in html


def test_numbers_dates_and_words_are_vietnamese_by_default(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    html = _run_report(built, monkeypatch).read_text(encoding="utf-8")
    assert '<html lang="vi">' in html
    assert catalog.text("vi", "title") in html
    assert VN_MONEY.search(html) and VN_MONTH.search(html) and VN_DATE.search(html)
    # The best province's revenue, as gold sums it, in its Vietnamese form.
    question = _dashboard(BUSINESS).question("revenue_by_province")
    columns, rows = query_table(built.settings, question.sql())
    best = rows[0][columns.index("net_revenue_vnd")]
    assert best > 1_000_000
    assert f'<td class="num">{VI.vnd(best)}</td>' in html
    assert "Doanh thu thuần (₫)" in html and "giờ Việt Nam" in html


def test_english_on_request(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    html = _run_report(built, monkeypatch, "--lang", "en").read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "Net revenue (VND)" in html
    assert re.search(r"₫\d{1,3}(,\d{3})+", html)
    assert not VN_MONTH.search(html)


def test_each_business_question_says_when_its_data_was_loaded(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    html = _run_report(built, monkeypatch).read_text(encoding="utf-8")
    blocks = dict(re.findall(r'<section class="question" id="q-(\w+)"(.*?)</section>', html, re.S))
    for question in _dashboard(BUSINESS).questions:
        if question.key == AS_OF_QUESTION:
            continue
        as_of = re.findall(r'<p class="as-of">(.*?)</p>', blocks[question.key])
        assert as_of, question.key
        assert all(line.startswith(("Dữ liệu bán hàng", "Chỉ số vĩ mô")) for line in as_of)
    growth = blocks["growth_nominal_vs_real"]
    assert "Dữ liệu bán hàng nạp lần cuối" in growth and "Chỉ số vĩ mô nạp lần cuối" in growth


def test_quarantined_rows_come_with_the_command_that_shows_them(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command printed under the quarantine table runs, and finds exactly the rows counted."""
    columns, rows = query_table(
        built.settings, _dashboard(DATA_HEALTH).question("quarantine_by_source_file").sql()
    )
    counted = {
        r[columns.index("source_file")]: r[columns.index("quarantined_rows")]
        for r in rows
        if r[columns.index("source_table")] == "sales_order_lines"
    }
    assert counted, "the generated shop has dirty sales rows: the quarantine is not empty"
    links = quarantine_commands(columns, rows, built.settings)
    html = _run_report(built, monkeypatch).read_text(encoding="utf-8")
    for link in links:
        if link.source_table != "sales_order_lines":
            continue
        assert str(escape(link.command)) in html
        sql = shlex.split(link.command)[2]
        assert len(ad_hoc_query(built.settings, sql)[1]) == counted.pop(link.source_file)
    assert not counted, f"no command for {sorted(counted)}"


def test_without_data_health_questions_the_report_says_they_are_not_built(
    built: Built, tmp_path: Path
) -> None:
    root = tmp_path / "questions"
    shutil.copytree(QUESTIONS_DIR / BUSINESS, root / BUSINESS)
    report = build(built.settings, "vi", questions_root=root)
    health = report.sections[-1]
    assert health.key == DATA_HEALTH and not health.blocks
    assert health.note == catalog.text("vi", "data_health_missing")
    html = render_html(report)
    assert health.note in html


def test_every_business_question_is_translated() -> None:
    keys = {q.key for q in _dashboard(BUSINESS).questions}
    assert keys <= set(catalog.QUESTIONS["vi"]), keys - set(catalog.QUESTIONS["vi"])


def test_without_a_warehouse_the_command_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SME_PULSE_HOME", str(tmp_path / "empty"))
    result = CliRunner().invoke(cli.app, ["report", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "no warehouse at" in result.output
    assert not (tmp_path / "out" / "index.html").exists()
