"""The run's row accounting: read = loaded + quarantined per source, as the summary checks it."""

from __future__ import annotations

import pytest
from sme_pulse.checks.reconcile import (
    Balance,
    ReconciliationError,
    ingestion_balances,
    require_balanced,
)

pytestmark = pytest.mark.unit


def test_each_source_read_is_loaded_plus_quarantined() -> None:
    reports = {
        "sales": {"rows_read": 10, "rows_loaded": 8, "rows_quarantined": 2},
        "crm": {"rows_read": 5, "rows_loaded": 5, "rows_quarantined": 0},
    }
    balances = ingestion_balances(reports)
    assert [(b.source, b.difference) for b in balances] == [("sales", 0), ("crm", 0)]
    require_balanced(balances)


def test_a_row_unaccounted_for_fails_with_one_line_naming_it() -> None:
    reports = {"sales": {"rows_read": 10, "rows_loaded": 7, "rows_quarantined": 2}}
    balances = [*ingestion_balances(reports), Balance("bronze = silver + copies", "crm", 6, 6)]
    with pytest.raises(ReconciliationError) as failure:
        require_balanced(balances)
    message = str(failure.value)
    assert "\n" not in message
    assert "sales read = loaded + quarantined: 10 vs 9" in message and "crm" not in message
    assert balances[0].line().endswith("MISMATCH by -1")
