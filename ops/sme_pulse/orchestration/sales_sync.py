"""Task bodies of `sme_pulse_sales_sync`, free of Airflow so they unit-test plainly.

The DAG file wraps each function in a task; everything it needs arrives as arguments
(run id, run date, the ingestion reports from XCom, the run's task states). The checks
are in `sme_pulse.checks` (the CLI runs the same ones) and warehouse queries go through
`sme_pulse.warehouse`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sme_pulse import runs
from sme_pulse.checks import freshness as checks_freshness
from sme_pulse.checks import preflight as checks_preflight
from sme_pulse.checks import reconcile
from sme_pulse.config import Settings
from sme_pulse.crm import ingest_customers as run_customer_ingestion
from sme_pulse.errors import SmePulseError, first_line
from sme_pulse.ingestion.report import IngestReport
from sme_pulse.sales import ingest_sales as run_sales_ingestion
from sme_pulse.warehouse import model_row_counts, query

log = logging.getLogger(__name__)

FRESHNESS_SOURCES = ("source:bronze_sales", "source:bronze_crm")
SALES_TABLES = (
    "silver.stg_sales_load_manifest",
    "silver.stg_sales_order_lines",
    "silver.stg_sales_orders",
    "silver.stg_sales_quarantined_lines",
    "silver.stg_customers",
    "silver.int_location_crosswalk",
    "silver.int_customers_unified",
    "silver.int_sales_orphans",
    "silver.int_sales_quarantine_outcomes",
    "silver.int_sales_lines_counted",
    "silver.int_sales_held_back_orders",
    "silver.int_row_reconciliation",
    "gold.fct_sales",
    "gold.fct_sales_monthly_by_province",
    "gold.mart_sales_vs_macro",
    "gold.fct_customer_cohorts",
    "gold.fct_revenue_by_segment_channel",
    "gold.fct_revenue_held_back",
)
PROBLEM_STATUSES = ("rejected", "failed")


# Preflight and freshness (the checks live in sme_pulse.checks) ------------------------


def preflight() -> list[dict[str, object]]:
    return checks_preflight.verify(Settings.from_env(), checks_preflight.sales_checks)


def check_freshness() -> dict[str, dict[str, Any]]:
    return checks_freshness.sales_freshness(Settings.from_env())


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


def bronze_freshness() -> dict[str, dict[str, Any]]:
    """Bronze within its SLA (warn/error thresholds in the sources' yml); stale fails."""
    return checks_freshness.require_bronze_fresh(Settings.from_env(), FRESHNESS_SOURCES)


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


TEST_TASK_SUFFIXES = (".test", "_build")
"""Tasks that run a model's tests: `<model>.test` (DBT_EXECUTION local and watcher) or
`<model>_<type>_build` (build: the model's run and its tests in one task)."""


def dbt_test_states(task_states: Mapping[str, str | None]) -> dict[str, int]:
    """How the tasks that ran this run's dbt tests ended (one per model)."""
    return dict(
        Counter(
            str(state) for task, state in task_states.items() if task.endswith(TEST_TASK_SUFFIXES)
        )
    )


def stream_lag(settings: Settings) -> dict[str, Any]:
    """How far bronze is behind the order-events topic now, for the summary.

    Measured on the broker from the consumer group's committed offsets
    (`stream.lag.measure`), not pulled from the stream DAG's XCom: the two DAGs run on
    their own schedules, and the summary should say how stale the streamed orders in this
    run's gold are. It never fails the sales run: no stream configured, or a broker that
    does not answer, is reported; the stream DAG's own lag check is the one that alerts.
    """
    if not settings.stream.configured:
        return {"status": "not configured"}
    from sme_pulse.stream.lag import measure
    from sme_pulse.stream.topics import ORDER_EVENTS_TOPIC

    try:
        lag = measure(settings, ORDER_EVENTS_TOPIC)
    except SmePulseError as exc:
        return {"status": "unavailable", "reason": first_line(exc)}
    behind = lag.minutes > settings.stream.max_lag_minutes
    return {"status": "behind" if behind else "ok", **lag.as_dict()}


def stream_line(lag: Mapping[str, Any]) -> str:
    """The stream's lag as one summary line."""
    if "lag_minutes" not in lag:
        reason = f" ({lag['reason']})" if "reason" in lag else ""
        return f"stream: {lag['status']}{reason}"
    return (
        f"stream {lag['topic']}: {lag['status']}, {lag['lag_minutes']:.1f} min behind "
        f"({lag['messages_behind']} messages)"
    )


def summarise(
    reports: Mapping[str, Mapping[str, Any]],
    freshness: Mapping[str, Any],
    task_states: Mapping[str, str | None],
) -> dict[str, Any]:
    """What the run did, in the task log and in XCom: ingestion, SLA, tests, orphans, rows,
    and the row accounting; fails (after logging everything) when that does not balance."""
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
    stream = stream_lag(settings)
    if stream["status"] in ("behind", "unavailable"):
        log.warning("%s", stream_line(stream))
    else:
        log.info("%s", stream_line(stream))
    log.info("dbt test tasks: %s", tests)
    for reason, orders in orphans.items():
        log.warning("orphan orders (%s): %d, listed in silver.int_sales_orphans", reason, orders)
    for table, rows in models.items():
        log.info("%-40s %8d rows", table, rows)
    balances = reconcile.ingestion_balances(reports) + reconcile.warehouse_balances(settings)
    for balance in balances:
        log.info("rows %s", balance.line())
    reconcile.require_balanced(balances)
    return {
        "ingestion": ingestion,
        "freshness": dict(freshness),
        "stream": stream,
        "dbt_test_tasks": tests,
        "orphans": orphans,
        "models": models,
        "row_accounting": [
            {"check": b.check, "source": b.source, "expected": b.expected, "actual": b.actual}
            for b in balances
        ],
    }
