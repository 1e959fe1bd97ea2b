"""Fail fast, before any ingestion, when a dependency is missing (seed 004, lesson 3 and 8).

Each check reports its own line, so an operator sees every broken dependency at once
instead of fixing them one failed run at a time. The lake is checked first: when it is
down, the source APIs are not called and are reported as skipped. `external_checks`
guard the public sources' DAG, `sales_checks` the sales DAG; `verify` runs either, for
the DAG tasks and for `sme-pulse preflight` alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sme_pulse.config import Settings
from sme_pulse.errors import SmePulseError
from sme_pulse.ingestion.report import IngestError
from sme_pulse.sales.landing import LandingArea
from sme_pulse.sales.layout import MANIFEST_PREFIX
from sme_pulse.sources import provinces, world_bank
from sme_pulse.sources.http import JsonClient, RetryPolicy, SourceError
from sme_pulse.storage import Lake
from sme_pulse.warehouse import WarehouseError, query

Check = Callable[[Settings], str]
EXTERNAL_DAG = "sme_pulse_external_data_sync"
EXTERNAL_GOLD_TABLES = ("dim_location", "dim_macro_indicators")


class PreflightError(SmePulseError, RuntimeError):
    """At least one dependency is unusable; the message lists every failed check."""


class UpstreamMissingError(SmePulseError, RuntimeError):
    """Something the sales models join to is not there yet; the message says what to run."""


SOURCE_API_CHECKS = frozenset({"world_bank_api", "provinces_api", "customer_api"})
"""Checks that call a source's API; with the lake down they are skipped, not run."""
LAKE_DOWN = "skipped, the lake is unreachable (no source API was called)"


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    skipped: bool = False


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


def check_landing(settings: Settings) -> str:
    """The landing area exists, and there is something to model (new files or past loads)."""
    landing = LandingArea(settings.landing_uri, settings.s3)
    landing.require_reachable()
    files = len(landing.files())
    if files == 0 and not any(Lake.from_settings(settings).list(MANIFEST_PREFIX)):
        raise IngestError(
            f"no sales exports in {settings.landing_uri} and none loaded before: drop the "
            "shop's exports there (or generate some with `sme-pulse feeds generate`)"
        )
    return f"reachable: {settings.landing_uri} ({files} file(s))"


def check_customer_api(settings: Settings) -> str:
    """`GET /healthz` of the customer API answers (it needs no token)."""
    # Gives up sooner than ingestion does: this only asks whether the API is there.
    policy = RetryPolicy(max_attempts=min(3, settings.http_max_attempts), budget_s=30.0)
    with JsonClient.from_settings("customer API", settings, policy=policy) as client:
        document, url = client.get_json(f"{settings.customer_api_url}/healthz")
    if not isinstance(document, dict) or document.get("status") != "ok":
        raise SourceError(f"customer API: {url} answered {document!r}, not a healthy status")
    return f"reachable: {url}"


def check_external_gold(settings: Settings) -> str:
    """gold.dim_location (with the reform rows) and gold.dim_macro_indicators exist."""
    hint = f"run {EXTERNAL_DAG} first"
    try:
        found = {
            name
            for (name,) in query(
                settings,
                "select table_name from information_schema.tables where table_schema = 'gold'",
            )
        }
        missing = [f"gold.{t}" for t in EXTERNAL_GOLD_TABLES if t not in found]
        if missing:
            raise UpstreamMissingError(f"{', '.join(missing)} missing: {hint}")
        [(reformed,)] = query(
            settings, "select count(*) from gold.dim_location where admin_version = 'v2'"
        )
    except WarehouseError as exc:
        raise UpstreamMissingError(f"external gold tables unreadable ({exc}): {hint}") from exc
    if not reformed:
        raise UpstreamMissingError(
            f"gold.dim_location has no post-reform provinces: {hint} (it builds them from "
            "the reform seeds)"
        )
    return f"present: {', '.join(f'gold.{t}' for t in EXTERNAL_GOLD_TABLES)}"


def _source_checks(settings: Settings) -> dict[str, Check]:
    if settings.source_mode == "live":
        return {"world_bank_api": check_world_bank, "provinces_api": check_provinces}
    return {"replay_recordings": check_replay}


def external_checks(settings: Settings) -> dict[str, Check]:
    """The lake, then the public APIs (live) or their recordings (replay)."""
    return {"lake": check_lake, **_source_checks(settings)}


def sales_checks(settings: Settings) -> dict[str, Check]:
    """The lake, the landing area, the customer API and the external gold tables."""
    return {
        "lake": check_lake,
        "landing": check_landing,
        "customer_api": check_customer_api,
        "external_gold": check_external_gold,
    }


def run_checks(
    settings: Settings, checks: Callable[[Settings], Mapping[str, Check]] = external_checks
) -> list[CheckResult]:
    """Every check's result, failed ones included, the lake's first.

    Nothing can land while the lake is down, so the source APIs are then not called at
    all (a run that cannot write must not spend a rate-limited API's quota) and are
    reported as skipped; the other checks still run, so every broken dependency shows.
    """
    ordered = sorted(checks(settings).items(), key=lambda item: item[0] != "lake")
    results: list[CheckResult] = []
    for name, check in ordered:
        if name in SOURCE_API_CHECKS and any(r.name == "lake" and not r.ok for r in results):
            results.append(CheckResult(name, False, LAKE_DOWN, skipped=True))
            continue
        try:
            results.append(CheckResult(name, True, check(settings)))
        except (SmePulseError, OSError) as exc:
            results.append(CheckResult(name, False, " ".join(str(exc).split())))
    return results


def verify(
    settings: Settings, checks: Callable[[Settings], Mapping[str, Check]] = external_checks
) -> list[dict[str, object]]:
    """Run the checks and raise `PreflightError` naming every failed one; else their lines."""
    results = run_checks(settings, checks)
    require(results)
    return [{"check": r.name, "ok": r.ok, "detail": r.detail} for r in results]


def require(results: list[CheckResult]) -> None:
    """Raise one line: every failed check's reason, then the checks skipped because of them."""
    failed = [f"{r.name}: {r.detail}" for r in results if not r.ok and not r.skipped]
    skipped = [r.name for r in results if r.skipped]
    if skipped:
        failed.append(f"{', '.join(skipped)}: {LAKE_DOWN}")
    if failed:
        raise PreflightError("; ".join(failed))
