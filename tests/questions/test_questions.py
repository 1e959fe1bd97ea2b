"""The question folders themselves: every declaration complete, every name usable once.

Metabase matches its cards by name (metabase/provision.py) and the report finds a question
by its key, so a repeated one would silently stand in for another.
"""

from __future__ import annotations

import json

import pytest
import sqlglot
from sme_pulse.questions import QUESTIONS_DIR, dashboards, load_dashboard
from sqlglot import exp

pytestmark = pytest.mark.unit

DISPLAYS = frozenset(
    {"table", "pivot", "object", "bar", "line", "area", "row", "combo", "pie", "scalar",
     "smartscalar", "progress", "gauge", "funnel", "scatter", "waterfall", "map"}
)  # fmt: skip
"""Metabase's card display types."""

FOLDERS = sorted(p for p in QUESTIONS_DIR.iterdir() if p.is_dir() and p.name != "__pycache__")
QUESTIONS = [(board, question) for board in dashboards() for question in board.questions]
IDS = [f"{board.key}/{question.key}" for board, question in QUESTIONS]


def test_both_dashboards_have_questions() -> None:
    assert {board.key for board in dashboards() if board.questions} >= {
        "business",
        "data_health",
    }


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_every_folder_declares_a_dashboard_and_uses_every_sql_file(folder) -> None:
    spec = json.loads((folder / "dashboard.json").read_text(encoding="utf-8"))
    assert spec["name"].strip() and spec["description"].strip()
    declared = [q["sql_file"] for q in spec["questions"]]
    assert len(declared) == len(set(declared)), f"{folder.name}: a SQL file listed twice"
    for sql_file in declared:
        assert (folder / sql_file).is_file(), f"{folder.name}/{sql_file} does not exist"
    on_disk = sorted(p.name for p in folder.glob("*.sql"))
    assert sorted(declared) == on_disk, f"{folder.name}: SQL files no question uses"
    board = load_dashboard(folder)
    assert len({q.key for q in board.questions}) == len(board.questions)


def test_names_are_unique_across_dashboards() -> None:
    boards = dashboards()
    names = [q.name for board in boards for q in board.questions]
    assert sorted({n for n in names if names.count(n) > 1}) == []
    titles = [board.name for board in boards]
    assert len(titles) == len(set(titles))


@pytest.mark.parametrize(("board", "question"), QUESTIONS, ids=IDS)
def test_every_question_is_complete(board, question) -> None:
    assert question.name.strip() and question.description.strip()
    assert question.columns, "columns: what the SQL returns, in order"
    assert len(set(question.columns)) == len(question.columns)
    assert question.display in DISPLAYS
    assert isinstance(question.visualization_settings, dict)
    for setting in ("graph.dimensions", "graph.metrics"):
        unknown = set(question.visualization_settings.get(setting, [])) - set(question.columns)
        assert not unknown, f"{setting} names columns the SQL does not return: {unknown}"


@pytest.mark.parametrize(("board", "question"), QUESTIONS, ids=IDS)
@pytest.mark.parametrize("dialect", ["duckdb", "trino"])
def test_every_question_is_one_query_on_schema_qualified_tables(
    board, question, dialect: str
) -> None:
    """One SELECT both engines parse, naming tables `<schema>.<table>` with no catalog:
    the DuckDB file's schemas, and on Trino the session catalog (iceberg, Metabase's too)."""
    statements = sqlglot.parse(question.sql(), read=dialect)
    assert len(statements) == 1, "one statement per question"
    [query] = statements
    assert isinstance(query, exp.Query)
    ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    for table in query.find_all(exp.Table):
        if table.name in ctes and not table.db:
            continue
        assert table.db in ("gold", "silver") and not table.catalog, table.sql(dialect)
