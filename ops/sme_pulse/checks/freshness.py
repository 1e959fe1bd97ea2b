"""Is bronze recent enough to skip calling the APIs again?

The World Bank publishes yearly and the provinces change almost never, so a monthly run
that finds last month's files younger than the limit skips ingestion, while the dbt
models downstream still run (a changed model must not wait for new data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sme_pulse.storage import Lake


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
