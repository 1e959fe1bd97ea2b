"""Metabase's Trino login may read every table a dashboard question reads.

Metabase queries Trino as the read-only `metabase` login, whose rights are
trino/secure/rules.json (first match wins). A question reading a table that login may not
SELECT shows "Access Denied" on its dashboard card in the Docker stack, while `make
test-trino` (trino-local, no access control) still runs it; this test is what catches it.
"""

from __future__ import annotations

import json
import re

import pytest
import sqlglot
from sme_pulse.config import REPO_ROOT
from sme_pulse.questions import dashboards
from sqlglot import exp

pytestmark = pytest.mark.unit

RULES = json.loads((REPO_ROOT / "trino" / "secure" / "rules.json").read_text())


def _metabase_may_select(schema: str, table: str) -> bool:
    """What trino/secure/rules.json grants Metabase's login on iceberg (first match wins)."""
    subject = {"user": "metabase", "catalog": "iceberg", "schema": schema, "table": table}

    def first(kind: str) -> dict:
        return next(
            rule
            for rule in RULES[kind]
            if all(re.fullmatch(rule[k], v) for k, v in subject.items() if k in rule)
        )

    return first("catalogs")["allow"] != "none" and "SELECT" in first("tables")["privileges"]


def test_metabase_may_read_every_table_its_questions_read() -> None:
    denied = []
    for dashboard in dashboards():
        for question in dashboard.questions:
            query = sqlglot.parse_one(question.sql(), read="trino")
            for table in query.find_all(exp.Table):
                if table.db and not _metabase_may_select(table.db, table.name):
                    denied.append(f"{dashboard.key}/{question.sql_path.name}: {table.sql()}")
    assert not denied, "Metabase's Trino login (rules.json) may not SELECT:\n" + "\n".join(denied)
