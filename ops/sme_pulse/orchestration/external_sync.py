"""Task bodies of `sme_pulse_external_data_sync`, free of Airflow so they unit-test plainly.

The DAG file wraps each function in a task; everything it needs arrives as arguments
(run id, run date, the freshness report from XCom).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sme_pulse import runs
from sme_pulse.config import Settings
from sme_pulse.sources import provinces, world_bank

INGESTERS = {
    world_bank.SOURCE: runs.ingest_world_bank,
    provinces.SOURCE: runs.ingest_provinces,
}


def verify_external_sources() -> list[dict[str, object]]:
    return runs.verify_external_sources(Settings.from_env())


def check_data_freshness() -> dict[str, dict[str, object]]:
    return runs.external_freshness(Settings.from_env())


def skip_reason(source: str, freshness: dict[str, dict[str, Any]]) -> str | None:
    """Why `source` need not be ingested this run, or None when it must be."""
    state = freshness.get(source)
    if state and state.get("fresh"):
        return f"skipped, bronze is fresh: {state.get('detail')}"
    return None


def ingest(source: str, run_id: str, run_date: datetime) -> dict[str, int]:
    """Land `source` in the partition of the run's date, so a re-run overwrites it."""
    run = runs.run_context(run_id, run_date.date().isoformat())
    return INGESTERS[source](Settings.from_env(), run)
