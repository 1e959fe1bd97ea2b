"""Entry points shared by the CLI and the Airflow tasks, so both run the same code.

Each function takes plain values (settings, run id, date) and returns a JSON-friendly
summary; Airflow stores it as XCom and the CLI prints it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sme_pulse.checks import freshness, preflight
from sme_pulse.config import Settings
from sme_pulse.sources import provinces, world_bank
from sme_pulse.sources.lineage import RunContext
from sme_pulse.storage import Lake

EXTERNAL_PREFIXES = {
    world_bank.SOURCE: f"bronze/{world_bank.SOURCE}/",
    provinces.SOURCE: f"bronze/{provinces.SOURCE}/",
}


def run_context(run_id: str | None = None, ingest_date: str | None = None) -> RunContext:
    now = datetime.now(UTC)
    return RunContext(
        run_id=run_id or f"manual__{now:%Y%m%dT%H%M%SZ}",
        ingest_date=ingest_date or now.date().isoformat(),
        ingested_at=now,
    )


def verify_external_sources(settings: Settings) -> list[dict[str, object]]:
    return preflight.verify(settings, preflight.external_checks)


def external_freshness(settings: Settings) -> dict[str, dict[str, object]]:
    """Per source: is the newest bronze file younger than the limit?"""
    lake = Lake.from_settings(settings)
    max_age = timedelta(days=settings.freshness_max_age_days)
    report = {}
    for source, prefix in EXTERNAL_PREFIXES.items():
        state = freshness.newest(lake, prefix, max_age)
        report[source] = {"fresh": state.is_fresh, "detail": state.describe()}
    return report


def ingest_world_bank(settings: Settings, run: RunContext) -> dict[str, int]:
    return world_bank.ingest(settings, Lake.from_settings(settings), run)


def ingest_provinces(settings: Settings, run: RunContext) -> dict[str, int]:
    return provinces.ingest(settings, Lake.from_settings(settings), run)
