"""Row accounting at the end of a run: read = loaded + quarantined, and bronze ↔ silver.

Ingestion reports give what this run read and where each row went; the dbt model
`silver.int_row_reconciliation` gives the same accounting over everything committed, from
the load manifest through bronze to silver. The run's summary prints every balance and
fails on the first that does not hold, because a row that went missing silently is worse
than a run that stops.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sme_pulse.config import Settings
from sme_pulse.errors import SmePulseError
from sme_pulse.warehouse import query

RECONCILIATION_MODEL = "silver.int_row_reconciliation"


class ReconciliationError(SmePulseError, RuntimeError):
    """Rows went missing or were counted twice between two stages of a run."""


@dataclass(frozen=True)
class Balance:
    """One comparison of two stages' row counts; balanced when they are equal."""

    check: str
    source: str
    expected: int
    actual: int

    @property
    def difference(self) -> int:
        return self.actual - self.expected

    def line(self) -> str:
        verdict = "ok" if self.difference == 0 else f"MISMATCH by {self.difference:+d}"
        return f"{self.source:6} {self.check:28} {self.expected:>9} -> {self.actual:<9} {verdict}"


def ingestion_balances(reports: Mapping[str, Mapping[str, Any]]) -> list[Balance]:
    """This run's `rows read = loaded + quarantined`, per source, from its ingestion report."""
    return [
        Balance(
            "read = loaded + quarantined",
            source,
            int(report["rows_read"]),
            int(report["rows_loaded"]) + int(report["rows_quarantined"]),
        )
        for source, report in reports.items()
    ]


def warehouse_balances(settings: Settings) -> list[Balance]:
    """Everything committed, file → bronze → silver (`silver.int_row_reconciliation`)."""
    rows = query(
        settings,
        f"select check_name, source, expected_rows, actual_rows from {RECONCILIATION_MODEL} "
        "order by source, check_name",
    )
    return [Balance(check, source, int(exp), int(act)) for check, source, exp, act in rows]


def require_balanced(balances: Iterable[Balance]) -> None:
    """Raise one line naming every balance that does not hold."""
    broken = [b for b in balances if b.difference]
    if broken:
        raise ReconciliationError(
            "row accounting does not balance: "
            + "; ".join(f"{b.source} {b.check}: {b.expected} vs {b.actual}" for b in broken)
            + f" (see {RECONCILIATION_MODEL} and the ingestion report)"
        )
