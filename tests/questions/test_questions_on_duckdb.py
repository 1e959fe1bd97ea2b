"""Every dashboard question, run on a built DuckDB warehouse, returns its declared columns.

These are the SQL files Metabase runs on Trino (tests/trino runs them there too) and the
report draws: a renamed gold column or a typo fails here before a dashboard shows an error.
"""

from __future__ import annotations

import pytest
from sme_pulse.config import Settings
from sme_pulse.questions import Dashboard, Question, dashboards
from sme_pulse.warehouse import query_table

pytestmark = pytest.mark.integration

ROWS_REQUIRED = frozenset({"business"})
"""Dashboards whose every question must return rows on the demo shop: its charts. A data
health question may rightly return nothing (no quarantined line, no failed run)."""

QUESTIONS = [(board, question) for board in dashboards() for question in board.questions]


@pytest.mark.parametrize(
    ("dashboard", "question"),
    QUESTIONS,
    ids=[f"{d.key}/{q.key}" for d, q in QUESTIONS],
)
def test_question_returns_its_declared_columns(
    demo_warehouse: Settings, dashboard: Dashboard, question: Question
) -> None:
    columns, rows = query_table(demo_warehouse, question.sql())
    assert tuple(columns) == question.columns, (
        f"{dashboard.key}/{question.sql_path.name} returns {columns}; "
        f"dashboard.json declares {list(question.columns)}"
    )
    if dashboard.key in ROWS_REQUIRED:
        assert rows, f"{dashboard.key}/{question.sql_path.name} returned no rows on the demo shop"
