"""Is each source still delivering, and is bronze within its SLA?

External sources: the World Bank publishes yearly and the provinces change almost never,
so a monthly run that finds last month's files younger than the limit skips ingestion,
while the dbt models downstream still run (a changed model must not wait for new data).
Sales: `sales_freshness` reports the newest landing export and the last CRM extraction
before ingestion; `require_bronze_fresh` runs `dbt source freshness` after it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sme_pulse.config import Settings
from sme_pulse.crm.watermark import read_watermark
from sme_pulse.errors import SmePulseError
from sme_pulse.sales.landing import LandingArea
from sme_pulse.sales.layout import MANIFEST_PREFIX
from sme_pulse.storage import Lake

log = logging.getLogger(__name__)


class StaleBronzeError(SmePulseError, RuntimeError):
    """`dbt source freshness` found bronze older than its error threshold."""


@dataclass(frozen=True)
class Freshness:
    prefix: str
    newest_key: str | None
    newest_modified: datetime | None
    age: timedelta | None
    max_age: timedelta

    @property
    def is_fresh(self) -> bool:
        return self.age is not None and self.age < self.max_age

    def describe(self) -> str:
        if self.newest_key is None:
            return f"{self.prefix}: no bronze file yet"
        state = "fresh" if self.is_fresh else "stale"
        days = self.age.total_seconds() / 86400 if self.age else 0.0
        return (
            f"{self.prefix}: {state}, newest {self.newest_key} is {days:.1f} days old "
            f"(limit {self.max_age.days} days)"
        )


def newest(lake: Lake, prefix: str, max_age: timedelta, now: datetime | None = None) -> Freshness:
    now = now or datetime.now(UTC)
    latest = max(
        (o for o in lake.list(prefix) if o.key.endswith(".parquet")),
        key=lambda o: o.modified,
        default=None,
    )
    if latest is None:
        return Freshness(prefix, None, None, None, max_age)
    return Freshness(prefix, latest.key, latest.modified, now - latest.modified, max_age)


def all_fresh(results: list[Freshness]) -> bool:
    return all(r.is_fresh for r in results)


def _age_days(moment: datetime, now: datetime) -> float:
    return (now - moment).total_seconds() / 86400


def sales_freshness(settings: Settings, now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Are the sources still delivering? Newest landing export and last CRM extraction.

    Informational: ingestion runs either way (it skips unchanged files itself and asks
    the CRM only for changes), and the SLA on bronze is `dbt source freshness` after it.
    """
    now = now or datetime.now(UTC)
    limit = settings.freshness_max_age_days
    files = LandingArea(settings.landing_uri, settings.s3).files()
    lake = Lake.from_settings(settings)
    last_load = max((o.modified for o in lake.list(MANIFEST_PREFIX)), default=None)
    report: dict[str, dict[str, Any]] = {}
    if files:
        newest = max(files, key=lambda o: o.modified)
        age = _age_days(newest.modified, now)
        waiting = sum(1 for o in files if last_load is None or o.modified > last_load)
        report["sales"] = {
            "fresh": age < limit,
            "detail": f"{len(files)} landing file(s), newest {newest.key} is {age:.1f} days "
            f"old (limit {limit}); {waiting} changed since the last load",
        }
    else:
        report["sales"] = {"fresh": False, "detail": f"no file in {settings.landing_uri}"}
    watermark = read_watermark(lake)
    if watermark is None:
        report["crm"] = {"fresh": False, "detail": "no extraction yet: the first one is full"}
    else:
        age = _age_days(watermark.written_at, now)
        report["crm"] = {
            "fresh": age < limit,
            "detail": f"last extraction {age:.1f} days ago, customers updated since "
            f"{watermark.updated_since.isoformat()} will be fetched",
        }
    for source, state in report.items():
        log.log(logging.INFO if state["fresh"] else logging.WARNING, "%s: %s", source, state)
    return report


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    status: str
    age_hours: float | None


def dbt_source_freshness(settings: Settings, sources: Sequence[str]) -> list[SourceFreshness]:
    """`dbt source freshness` on the given bronze sources, in process."""
    from sme_pulse.orchestration import dbt_invoke

    result = dbt_invoke.invoke(settings, ["source", "freshness", "--select", *sources])
    if result is None:
        raise StaleBronzeError("dbt source freshness returned no result")
    return [
        SourceFreshness(
            source=f"{r.node.source_name}.{r.node.name}",
            status=str(r.status),
            age_hours=round(r.age / 3600, 2) if hasattr(r, "age") else None,
        )
        for r in result.results
        if r.node.resource_type == "source"
    ]


def require_bronze_fresh(settings: Settings, sources: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Bronze within its SLA (warn/error thresholds in the sources' yml); stale fails."""
    checked = dbt_source_freshness(settings, sources)
    report = {c.source: {"status": c.status, "age_hours": c.age_hours} for c in checked}
    for source, state in report.items():
        log.info("freshness %-30s %s", source, state)
    stale = [c for c in checked if c.status not in ("pass", "warn")]
    if stale:
        raise StaleBronzeError(
            "bronze past its error threshold or unreadable: "
            + ", ".join(f"{c.source} ({c.status}, {c.age_hours} h)" for c in stale)
            + "; check that exports still reach the landing area and the CRM extraction runs"
        )
    return report
