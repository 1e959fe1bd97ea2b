"""The questions an owner asks of gold, declared once for every place that answers them.

Each dashboard is a folder here: `dashboard.json` names it and lists its questions, and
each question's SQL is a file beside it. The same SQL feeds the Metabase dashboard of that
name (metabase/provision.py reads these folders), the charts and tables of
`sme-pulse report`, and the tests that run every question on DuckDB and on the real Trino.

The SQL is written once for both engines: tables named `gold.<table>` (the DuckDB file's
schema; Trino's session catalog is `iceberg`, for Metabase too), in the SQL that DuckDB
and Trino share. Each question declares the columns it returns, and the tests hold it to them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

QUESTIONS_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Question:
    """One native-SQL question: its SQL file, its columns and how it is drawn."""

    key: str
    """Stable id: the SQL file's stem (`revenue_by_province_month`)."""
    name: str
    """Title shown on the dashboard card and above the report's chart."""
    description: str
    """What the numbers are, exactly (currency, nominal or real, which orders)."""
    columns: tuple[str, ...]
    """The columns the SQL returns, in order."""
    display: str = "table"
    """Metabase display type: table, bar, line, row, pie, scalar, pivot."""
    visualization_settings: dict[str, Any] = field(default_factory=dict)
    """Metabase's chart settings for the card."""
    chart: dict[str, Any] = field(default_factory=dict)
    """How `sme-pulse report` draws it (sme_pulse.report); empty: a table only."""
    sql_path: Path = Path()

    def sql(self) -> str:
        return self.sql_path.read_text(encoding="utf-8").strip().rstrip(";")


@dataclass(frozen=True)
class Dashboard:
    """A folder of questions: one Metabase dashboard, one section of the report."""

    key: str
    name: str
    description: str
    questions: tuple[Question, ...]

    def question(self, key: str) -> Question:
        for question in self.questions:
            if question.key == key:
                return question
        raise KeyError(f"dashboard {self.key} has no question {key!r}")


def load_dashboard(folder: Path) -> Dashboard:
    spec = json.loads((folder / "dashboard.json").read_text(encoding="utf-8"))
    questions = tuple(
        Question(
            key=q["sql_file"].removesuffix(".sql"),
            name=q["name"],
            description=q["description"],
            columns=tuple(q["columns"]),
            display=q.get("display", "table"),
            visualization_settings=q.get("visualization_settings", {}),
            chart=q.get("chart", {}),
            sql_path=folder / q["sql_file"],
        )
        for q in spec["questions"]
    )
    return Dashboard(folder.name, spec["name"], spec["description"], questions)


def dashboards(root: Path = QUESTIONS_DIR) -> tuple[Dashboard, ...]:
    """Every dashboard folder under `root`, in name order."""
    return tuple(
        load_dashboard(folder)
        for folder in sorted(root.iterdir())
        if (folder / "dashboard.json").is_file()
    )
