"""The report's content: every question of the dashboards answered, formatted and drawn.

The business dashboard must answer in full (a report without its numbers is no report);
a data-health question that cannot answer yet (its table not built) becomes a note in its
section, so the report still shows the business numbers. Each business question says when
its data was last loaded, from the `data_as_of` question, matched by the tables its SQL reads.
"""

from __future__ import annotations

import base64
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Final

from sme_pulse.bronze.tables import bronze_table
from sme_pulse.config import Settings
from sme_pulse.errors import SmePulseError, message_line
from sme_pulse.questions import QUESTIONS_DIR, Dashboard, Question, dashboards
from sme_pulse.report import catalog
from sme_pulse.report.charts import ChartSpecError, draw
from sme_pulse.report.formats import MISSING, Formats
from sme_pulse.sales.layout import file_slug
from sme_pulse.warehouse import WarehouseError, query_table

BUSINESS: Final = "business"
DATA_HEALTH: Final = "data_health"
AS_OF_QUESTION: Final = "data_as_of"
SUBJECT_TABLES: Final = {
    "sales": ("gold.fct_", "gold.mart_sales_vs_macro"),
    "macro": ("gold.dim_macro_indicators", "gold.mart_sales_vs_macro"),
}
"""Which `data_as_of` subject a question's numbers come from, by the tables its SQL names."""
AS_OF_TEXT: Final = {"sales": "as_of", "macro": "as_of_macro"}

Query = Callable[[str], tuple[list[str], list[tuple[Any, ...]]]]


class ReportError(SmePulseError, RuntimeError):
    """A business question of the report cannot be answered; names it and the cause."""


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool = False
    code: bool = False
    """A command to copy, shown as code."""


@dataclass(frozen=True)
class RowsLink:
    """Where one source file's quarantined rows are, and the command that prints them."""

    source_table: str
    source_file: str
    lake_folder: str
    command: str


@dataclass
class Block:
    """One question: its title, what the numbers are, its table, its chart, or why not."""

    key: str
    title: str
    description: str
    headers: list[str] = field(default_factory=list)
    numeric_columns: list[bool] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    as_of: list[str] = field(default_factory=list)
    chart_file: str | None = None
    chart_png: bytes = b""
    chart_error: str | None = None
    error: str | None = None

    @property
    def chart_data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.chart_png).decode("ascii")


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Block]
    note: str | None = None


@dataclass
class Report:
    lang: str
    title: str
    generated: str
    sections: list[Section]


def build(settings: Settings, lang: str, questions_root: Path = QUESTIONS_DIR) -> Report:
    """Ask every question of the business and data-health dashboards on the warehouse."""
    fmt = Formats(lang)
    found = {d.key: d for d in dashboards(questions_root)}
    if BUSINESS not in found:
        raise ReportError(f"no business questions in {questions_root / BUSINESS}")
    ask = partial(query_table, settings)
    engine = "Trino" if settings.dbt_target == "trino" else "DuckDB"
    generated = catalog.text(lang, "generated", when=fmt.datetime(datetime.now(UTC)), engine=engine)
    sections = [business_section(found[BUSINESS], ask, fmt)]
    sections.append(data_health_section(found.get(DATA_HEALTH), ask, fmt, settings))
    return Report(lang, catalog.text(lang, "title"), generated, sections)


def business_section(dashboard: Dashboard, ask: Query, fmt: Formats) -> Section:
    answers = {}
    for question in dashboard.questions:
        try:
            answers[question.key] = ask(question.sql())
        except WarehouseError as exc:
            raise ReportError(f"question {question.key}: {exc}") from exc
    as_of = _as_of_lines(answers.get(AS_OF_QUESTION), fmt)
    blocks = []
    for question in dashboard.questions:
        block = _block(question, *answers[question.key], fmt)
        if question.key != AS_OF_QUESTION:
            block.as_of = [
                line for subject, line in as_of.items() if _reads(question, subject)
            ] or [catalog.text(fmt.lang, "as_of_unknown")]
        blocks.append(block)
    return Section(BUSINESS, catalog.text(fmt.lang, BUSINESS), blocks)


def data_health_section(
    dashboard: Dashboard | None, ask: Query, fmt: Formats, settings: Settings
) -> Section:
    """Each question as a table (and chart, if it has a spec); a note when none exist yet."""
    title = catalog.text(fmt.lang, DATA_HEALTH)
    if dashboard is None or not dashboard.questions:
        return Section(DATA_HEALTH, title, [], catalog.text(fmt.lang, "data_health_missing"))
    blocks = []
    for question in dashboard.questions:
        try:
            columns, rows = ask(question.sql())
        except WarehouseError as exc:
            name, description = _texts(question, fmt)
            error = catalog.text(fmt.lang, "question_failed", error=message_line(exc))
            blocks.append(Block(question.key, name, description, error=error))
            continue
        block = _block(question, columns, rows, fmt)
        _add_rows_links(block, columns, rows, quarantine_commands(columns, rows, settings), fmt)
        blocks.append(block)
    return Section(DATA_HEALTH, title, blocks)


def quarantine_commands(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], settings: Settings
) -> list[RowsLink]:
    """Where the quarantined rows of each (bronze table, source file) row are, and the
    `sme-pulse query` that prints them.

    The quarantine is Parquet in the lake beside bronze, laid out as its bronze
    declaration says (`<table>_quarantine`): DuckDB reads the partition folder in place;
    Trino has it as `hive.bronze.<table>_quarantine`. `source_file` is the landing file
    (sales, partitioned by its slug) or the partition itself (`ingest_date=<d>`).
    """
    if not {"source_table", "source_file"} <= set(columns):
        return []
    table_at, file_at = columns.index("source_table"), columns.index("source_file")
    links = []
    for source_table, source_file in sorted({(r[table_at], r[file_at]) for r in rows}):
        try:
            table = bronze_table(f"{source_table}_quarantine")
        except KeyError:
            continue
        if table.partition == "file_slug":
            partition, key, value = (
                f"file_slug={file_slug(source_file)}",
                "source_file",
                source_file,
            )
        else:
            partition = source_file
            key, _, value = source_file.partition("=")
        folder = f"{table.location(settings.lake_uri)}/{partition}"
        literal = "'" + value.replace("'", "''") + "'"
        if settings.dbt_target == "trino":
            where = "hive.bronze." + table.name + " where " + key + " = " + literal
        else:
            where = "read_parquet('" + folder.replace("'", "''") + "/*.parquet')"
        links.append(RowsLink(source_table, source_file, folder, _shell_command(where)))
    return links


def _add_rows_links(
    block: Block,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    links: list[RowsLink],
    fmt: Formats,
) -> None:
    """A last column holding, per row, the command that prints its quarantined rows."""
    if not links:
        return
    table_at, file_at = columns.index("source_table"), columns.index("source_file")
    commands = {(link.source_table, link.source_file): link.command for link in links}
    block.headers.append(catalog.column_label(fmt.lang, "rows_link"))
    block.numeric_columns.append(False)
    for cells, row in zip(block.rows, rows, strict=True):
        command = commands.get((row[table_at], row[file_at]))
        cells.append(Cell(command, code=True) if command else Cell(MISSING))


def _shell_command(source: str) -> str:
    """`sme-pulse query "select * from <source>"`, quoted for a POSIX shell."""
    sql = "select * from " + source
    if any(c in sql for c in '"$`\\!'):
        return "sme-pulse query " + shlex.quote(sql)
    return 'sme-pulse query "' + sql + '"'


def _texts(question: Question, fmt: Formats) -> tuple[str, str]:
    return catalog.question_text(fmt.lang, question.key, question.name, question.description)


def _block(
    question: Question, columns: list[str], rows: list[tuple[Any, ...]], fmt: Formats
) -> Block:
    name, description = _texts(question, fmt)
    block = Block(question.key, name, description)
    block.headers = [catalog.column_label(fmt.lang, c) for c in columns]
    block.numeric_columns = numeric_columns = [
        any(fmt.is_numeric(r[i]) for r in rows) and c not in ("year",)
        for i, c in enumerate(columns)
    ]
    kinds = list(zip(columns, numeric_columns, strict=True))
    block.rows = [
        [Cell(fmt.cell(c, v), numeric) for (c, numeric), v in zip(kinds, row, strict=True)]
        for row in rows
    ]
    if question.chart and rows:
        try:
            block.chart_png = draw(question.chart, columns, rows, fmt)
            block.chart_file = f"chart-{question.key}.png"
        except ChartSpecError as exc:
            block.chart_error = catalog.text(fmt.lang, "chart_failed", error=str(exc))
    return block


def _as_of_lines(
    answer: tuple[list[str], list[tuple[Any, ...]]] | None, fmt: Formats
) -> dict[str, str]:
    """`data_as_of`'s rows as a sentence per subject: sales (latest order date), macro
    (latest year)."""
    if answer is None:
        return {}
    columns, rows = answer
    lines = {}
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        subject, latest = record["subject"], record["latest_data_date"]
        if subject not in AS_OF_TEXT:
            continue
        shown = fmt.cell("year_start_date" if subject == "macro" else "latest_data_date", latest)
        loaded = fmt.cell("last_loaded_at", record["last_loaded_at"])
        lines[subject] = catalog.text(fmt.lang, AS_OF_TEXT[subject], loaded=loaded, latest=shown)
    return lines


def _reads(question: Question, subject: str) -> bool:
    sql = question.sql().lower()
    return any(table in sql for table in SUBJECT_TABLES[subject])
