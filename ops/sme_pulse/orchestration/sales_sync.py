"""Task bodies of `sme_pulse_sales_sync`, free of Airflow so they unit-test plainly.

The DAG file wraps each function in a task; everything it needs arrives as arguments
(run id, run date, the ingestion reports from XCom, the run's task states). The warehouse is
queried through `query`, which opens DuckDB read-write on purpose: in `airflow dags test`
dbt (in process) may still hold a read-write handle, and DuckDB refuses a second handle
with another configuration in the same process (see `sme_pulse.warehouse`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sme_pulse import runs
from sme_pulse.checks.preflight import CheckResult, check_lake, require
from sme_pulse.config import Settings
from sme_pulse.crm import ingest_customers as run_customer_ingestion
from sme_pulse.crm.watermark import read_watermark
from sme_pulse.errors import SmePulseError
from sme_pulse.orchestration import dbt_invoke
from sme_pulse.sales import IngestError, IngestReport
from sme_pulse.sales import ingest_sales as run_sales_ingestion
from sme_pulse.sales.landing import LandingArea
from sme_pulse.sales.layout import MANIFEST_PREFIX
from sme_pulse.sources.http import JsonClient, RetryPolicy, SourceError
from sme_pulse.storage import Lake, LakeError
from sme_pulse.warehouse import WarehouseError, model_row_counts, query

log = logging.getLogger(__name__)

EXTERNAL_DAG = "sme_pulse_external_data_sync"
EXTERNAL_GOLD_TABLES = ("dim_location", "dim_macro_indicators")
FRESHNESS_SOURCES = ("source:bronze_sales", "source:bronze_crm")
SALES_TABLES = (
    "silver.stg_sales_load_manifest",
    "silver.stg_sales_order_lines",
    "silver.stg_sales_orders",
    "silver.stg_customers",
    "silver.int_location_crosswalk",
    "silver.int_customers_unified",
    "silver.int_sales_orphans",
    "gold.fct_sales",
    "gold.fct_sales_monthly_by_province",
    "gold.mart_sales_vs_macro",
    "gold.fct_customer_cohorts",
    "gold.fct_revenue_by_segment_channel",
)
PROBLEM_STATUSES = ("rejected", "failed")


class UpstreamMissingError(SmePulseError, RuntimeError):
    """Something the sales models join to is not there yet; the message says what to run."""


class StaleBronzeError(SmePulseError, RuntimeError):
    """`dbt source freshness` found bronze older than its error threshold."""


# Preflight -----------------------------------------------------------------------------


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


def run_preflight(
    settings: Settings, checks: Mapping[str, Callable[[Settings], str]] | None = None
) -> list[CheckResult]:
    """Every check's result, failed ones included, so one run lists every broken dependency."""
    checks = checks or {
        "lake": check_lake,
        "landing": check_landing,
        "customer_api": check_customer_api,
        "external_gold": check_external_gold,
    }
    results = []
    for name, check in checks.items():
        try:
            results.append(CheckResult(name, True, check(settings)))
        except (SourceError, LakeError, IngestError, UpstreamMissingError, OSError) as exc:
            results.append(CheckResult(name, False, str(exc)))
    return results


def preflight() -> list[dict[str, object]]:
    results = run_preflight(Settings.from_env())
    require(results)
    return [{"check": r.name, "ok": r.ok, "detail": r.detail} for r in results]


# Freshness -----------------------------------------------------------------------------


def _age_days(moment: datetime, now: datetime) -> float:
    return (now - moment).total_seconds() / 86400


def source_freshness(settings: Settings, now: datetime | None = None) -> dict[str, dict[str, Any]]:
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


def check_freshness() -> dict[str, dict[str, Any]]:
    return source_freshness(Settings.from_env())


# Ingestion -----------------------------------------------------------------------------


def compact_report(report: IngestReport) -> dict[str, Any]:
    """The report as XCom keeps it: totals and one line per file, not every object key."""
    for file in report.files:
        if file.status in PROBLEM_STATUSES:
            log.error("%s", file.line())
    return {
        "source": report.source,
        "rows_read": report.rows_read,
        "rows_loaded": report.rows_loaded,
        "rows_quarantined": report.rows_quarantined,
        "files": [
            {
                "name": f.name,
                "status": f.status,
                "rows_read": f.rows_read,
                "rows_loaded": f.rows_loaded,
                "rows_quarantined": f.rows_quarantined,
                "detail": f.line(),
            }
            for f in report.files
        ],
    }


def ingest_sales(run_id: str, run_date: datetime) -> dict[str, Any]:
    """Load new and changed landing exports; a re-run of the same files changes nothing.

    A file that is rejected (every row quarantined) or unreadable does not fail the task:
    the other files are loaded, and the file is in the report and the summary.
    """
    run = runs.run_context(run_id, run_date.date().isoformat())
    return compact_report(run_sales_ingestion(Settings.from_env(), run))


def ingest_customers(run_id: str, run_date: datetime) -> dict[str, Any]:
    """Customers changed since the watermark; an unreachable API fails (and retries)."""
    run = runs.run_context(run_id, run_date.date().isoformat())
    return compact_report(run_customer_ingestion(Settings.from_env(), run))


# Bronze SLA ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    status: str
    age_hours: float | None


def dbt_source_freshness(settings: Settings) -> list[SourceFreshness]:
    """`dbt source freshness` on the sales and CRM bronze sources, in process."""
    result = dbt_invoke.invoke(settings, ["source", "freshness", "--select", *FRESHNESS_SOURCES])
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


def bronze_freshness() -> dict[str, dict[str, Any]]:
    """Bronze within its SLA (warn/error thresholds in the sources' yml); stale fails."""
    checked = dbt_source_freshness(Settings.from_env())
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


# Summary -------------------------------------------------------------------------------


def ingestion_counts(reports: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Rows read, loaded and quarantined per source, and the files that need a person."""
    return {
        source: {
            "rows_read": report["rows_read"],
            "rows_loaded": report["rows_loaded"],
            "rows_quarantined": report["rows_quarantined"],
            "files": len(report["files"]),
            "problem_files": [
                f["detail"] for f in report["files"] if f["status"] in PROBLEM_STATUSES
            ],
        }
        for source, report in reports.items()
    }


def dbt_test_states(task_states: Mapping[str, str | None]) -> dict[str, int]:
    """How the dbt test tasks of this run ended (one task per model: `<group>.<model>.test`)."""
    return dict(
        Counter(str(state) for task, state in task_states.items() if task.endswith(".test"))
    )


def summarise(
    reports: Mapping[str, Mapping[str, Any]],
    freshness: Mapping[str, Any],
    task_states: Mapping[str, str | None],
) -> dict[str, Any]:
    """What the run did, in the task log and in XCom: ingestion, SLA, tests, orphans, rows."""
    settings = Settings.from_env()
    ingestion = ingestion_counts(reports)
    tests = dbt_test_states(task_states)
    orphans = dict(
        query(
            settings,
            "select orphan_reason, count(*) from silver.int_sales_orphans group by orphan_reason",
        )
    )
    counts = model_row_counts(settings)
    models = {table: counts[table] for table in SALES_TABLES if table in counts}
    [(snapshot_rows,)] = query(settings, "select count(*) from snapshots.snp_customers")
    models["snapshots.snp_customers"] = snapshot_rows
    for source, row in ingestion.items():
        log.info(
            "%-6s read %d, loaded %d, quarantined %d rows from %d file(s)",
            source,
            row["rows_read"],
            row["rows_loaded"],
            row["rows_quarantined"],
            row["files"],
        )
        for problem in row["problem_files"]:
            log.warning("%-6s needs attention: %s", source, problem)
    for source, state in freshness.items():
        log.info("freshness %-30s %s", source, state)
    log.info("dbt test tasks: %s", tests)
    for reason, orders in orphans.items():
        log.warning("orphan orders (%s): %d, listed in silver.int_sales_orphans", reason, orders)
    for table, rows in models.items():
        log.info("%-40s %8d rows", table, rows)
    return {
        "ingestion": ingestion,
        "freshness": dict(freshness),
        "dbt_test_tasks": tests,
        "orphans": orphans,
        "models": models,
    }
