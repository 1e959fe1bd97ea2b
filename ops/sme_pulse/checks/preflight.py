"""Fail fast, before any ingestion, when a dependency is missing (seed 004, lesson 3 and 8).

Each check reports its own line, so an operator sees every broken dependency at once
instead of fixing them one failed run at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sme_pulse.config import Settings
from sme_pulse.errors import SmePulseError
from sme_pulse.sources import provinces, world_bank
from sme_pulse.sources.http import JsonClient, RetryPolicy, SourceError
from sme_pulse.storage import Lake, LakeError


class PreflightError(SmePulseError, RuntimeError):
    """At least one dependency is unusable; the message lists every failed check."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def _probe(source: str, settings: Settings) -> JsonClient:
    """A client that gives up sooner than ingestion does: this is only a reachability check."""
    policy = RetryPolicy(max_attempts=min(3, settings.http_max_attempts), budget_s=30.0)
    return JsonClient.from_settings(source, settings, policy=policy)


def check_world_bank(settings: Settings) -> str:
    indicator = settings.wb_indicators[0]
    url = world_bank.indicator_url(settings.world_bank_api_url, settings.wb_country, indicator)
    with _probe(world_bank.SOURCE, settings) as client:
        document, final_url = client.get_json(url, {"format": "json", "per_page": 1, "page": 1})
    world_bank.parse_page(document, final_url)
    return f"reachable: {final_url}"


def check_provinces(settings: Settings) -> str:
    with _probe(provinces.SOURCE, settings) as client:
        document, final_url = client.get_json(
            provinces.api_url(settings.provinces_api_url), {"depth": 1}
        )
    if not isinstance(document, list) or not document:
        raise SourceError(f"{provinces.SOURCE}: {final_url} did not return a list of provinces")
    return f"reachable: {final_url} ({len(document)} provinces)"


def check_replay(settings: Settings) -> str:
    missing = [
        str(path)
        for path in (
            *(
                settings.replay_dir / "world_bank" / f"{code}.json"
                for code in settings.wb_indicators
            ),
            settings.replay_dir / "vn_provinces" / "v1_depth2.json",
        )
        if not path.is_file()
    ]
    if missing:
        raise SourceError(f"replay recordings missing: {', '.join(missing)}")
    return f"recordings present in {settings.replay_dir}"


def check_lake(settings: Settings) -> str:
    Lake.from_settings(settings).check_writable()
    return f"writable: {settings.lake_uri}"


def run_checks(
    settings: Settings, extra: dict[str, Callable[[], str]] | None = None
) -> list[CheckResult]:
    """Run every check for the current mode and return all results, failed ones included."""
    checks: dict[str, Callable[[], str]] = {"lake": lambda: check_lake(settings)}
    if settings.source_mode == "live":
        checks["world_bank_api"] = lambda: check_world_bank(settings)
        checks["provinces_api"] = lambda: check_provinces(settings)
    else:
        checks["replay_recordings"] = lambda: check_replay(settings)
    checks.update(extra or {})
    results = []
    for name, check in checks.items():
        try:
            results.append(CheckResult(name, True, check()))
        except (SourceError, LakeError, OSError) as exc:
            results.append(CheckResult(name, False, str(exc)))
    return results


def require(results: list[CheckResult]) -> None:
    failed = [r for r in results if not r.ok]
    if failed:
        raise PreflightError("; ".join(f"{r.name}: {r.detail}" for r in failed))
