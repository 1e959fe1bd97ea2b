"""Markdown an operator reads in the Airflow UI (DAG and task "Docs" panes)."""

from __future__ import annotations

EXTERNAL_DAG = """
### SME Pulse: external data sync

Monthly (1st, 00:00 UTC) refresh of the public context the sales analytics join to:

* **World Bank Indicators API v2**: GDP (current US$), CPI inflation, unemployment for
  `WB_COUNTRY` over `WB_YEARS` (default: the last eleven years).
* **Vietnam provinces API v1**: 63 provinces and 696 districts (before the 1 July 2025 reform).

Flow: `verify_external_sources` → `check_data_freshness` → `ingest_external_data`
(both sources in parallel; a source whose newest bronze file is younger than
`FRESHNESS_MAX_AGE_DAYS` is **skipped**, the models still run) → dbt silver → dbt gold
(each model runs, then its tests) → `log_summary`.

*Replay mode* (`SOURCE_MODE=replay`) reads recorded responses instead of the APIs.
Re-running a run rewrites the same dated bronze partition; nothing is duplicated.
Runbook: `docs/operations.md`.
"""

VERIFY_EXTERNAL = """
Fails fast when a dependency is missing: the lake must accept a write (probe object
written, read back, deleted) and, in live mode, both APIs must answer. Every failed
check is listed in one error line.
"""

CHECK_FRESHNESS = """
Age of the newest bronze file per source. Returns `{source: {fresh, detail}}` to XCom;
the ingest tasks skip the fresh sources.
"""

INGEST = {
    "world_bank": """
Fetches every indicator page by page (retries with backoff on timeouts, 5xx and 429,
inside `HTTP_BUDGET_SECONDS`), flattens to an explicit Arrow schema with lineage columns
and writes `bronze/world_bank/indicators/ingest_date=<date>/part-0.parquet` atomically.
""",
    "vn_provinces": """
Fetches `?depth=2` from the provinces API and writes provinces and districts (v1) or
provinces and wards (v2) as dated Parquet under `bronze/vn_provinces/`.
""",
}

INGESTION_COMPLETE = """
Join point: succeeds when no ingest task failed, including when both were skipped
because bronze is fresh, so the dbt layers always run.
"""

REGISTER_BRONZE = """
Makes bronze visible to the warehouse, once per run and before any model: on Trino it
brings the Hive external tables over the lake in line with their declaration in
`sme_pulse.bronze` (creates missing tables, adds new columns, recreates changed ones) and
discovers their new partitions (`sme-pulse bronze register` does the same by hand);
DuckDB reads bronze in place, so there it does nothing.
"""

SUMMARY = """
Rows per bronze dataset (lake) and per silver/gold table (warehouse), in the log and in
XCom. Publishes the `sme_pulse://gold/external` asset the sales DAG waits for.
"""

SALES_DAG = """
### SME Pulse: sales sync

Daily refresh of the shop's sales and customers, modelled against the public context:

* **Sales exports** dropped in the landing area (`LANDING_URI`): POS, marketplace and
  website files (CSV, JSON Lines, XLSX). New and changed files are loaded; a file loaded
  before with the same bytes is skipped; bad rows go to quarantine with a reason.
* **CRM customers** from the customer API (`CUSTOMER_API_URL`), changed since the last
  watermark.

Flow: `preflight` → `check_freshness` → `ingest_sales_data` (sales files and customers in
parallel) → `ingestion_complete` → `bronze_freshness` (`dbt source freshness`) → dbt
silver (staging, reform seeds, customer snapshot) → dbt intermediate (identity
resolution, location crosswalk, orphans) → dbt gold (sales facts and marts; each model
runs, then its tests) → `log_summary`.

**Schedule.** Every day at 02:00 Vietnam time, and also each time
`sme_pulse_external_data_sync` publishes `sme_pulse://gold/external`
(`AssetOrTimeSchedule`). Sales change daily, so waiting for the monthly asset alone
would leave gold a month stale; a time schedule alone would keep joining the old
reference data until the next night after it changed. Neither makes the very first run
wait for the external DAG, so `preflight` checks that its gold tables exist and fails
with "run sme_pulse_external_data_sync first" when they do not.

Revenue is completed lines net of line discounts (cancelled, pending and refunded count
0; refunds are reported apart): see the fct_sales docs. Runbook: `docs/operations.md`.
"""

SALES_PREFLIGHT = """
Fails fast, listing every broken dependency in one error line: the lake accepts a write;
the landing area exists and holds exports (or sales were loaded before); the customer
API answers `GET /healthz`; gold.dim_location (with the post-reform provinces) and
gold.dim_macro_indicators exist, else "run sme_pulse_external_data_sync first".
"""

SALES_FRESHNESS = """
Are the sources still delivering? Age of the newest landing export and how many files
changed since the last load, and when the CRM was last extracted. Informational (XCom and
log warnings): ingestion itself skips unchanged files and asks the CRM only for changes.
"""

SALES_INGEST = {
    "sales": """
Streams every new or changed landing file through the export contract: valid lines to
`bronze/sales/order_lines/file_slug=<file>/`, the rest to `quarantine/...` with a reason,
then the file's manifest row (which commits the load). A rejected or unreadable file
does not fail the task; it is listed in the XCom report and in `log_summary`.
""",
    "customers": """
Pages through `GET /v1/customers?updated_since=<watermark>` (retries with backoff on
429/5xx/cut bodies), lands valid customers in `bronze/crm/customers/ingest_date=<date>/`,
quarantines the rest, then advances the watermark. An unreachable API fails the task.
""",
}

SALES_INGESTION_COMPLETE = """
Join point: succeeds when no ingest task failed. An operator can mark one ingest task
skipped (say, the CRM is down for maintenance) and the models still run on the bronze
already there.
"""

SALES_BRONZE_FRESHNESS = """
`dbt source freshness` on `bronze_sales` and `bronze_crm` (thresholds in their sources'
yml). Past the warn threshold it logs and sends one alert (when `ALERT_URLS` is set) and
the run goes on; past the error threshold the task fails without retrying, because gold
would be presented as current while the exports have stopped, and its failure alert names
the sources.
"""

SALES_SUMMARY = """
Rows read, loaded and quarantined per source (from the ingestion XComs), files that need
a person, bronze freshness, how the dbt test tasks ended, orphan orders per reason
(`silver.int_sales_orphans`) and rows per sales table, in the log and in XCom.
"""


ICEBERG_MAINTENANCE_DAG = """
### Iceberg upkeep (Trino)

Every dbt run adds snapshots and small files to the Iceberg tables of `silver`, `gold` and
`snapshots`. Once a week each table is compacted (`optimize`), its snapshots older than
`ICEBERG_SNAPSHOT_RETENTION` expired, files no snapshot references removed, and its
statistics refreshed (`analyze`). One mapped task per table: a table that fails is retried
alone. On DuckDB there is nothing to do and the run is skipped.
"""

ICEBERG_TABLES = """
Lists the Iceberg tables of `silver`, `gold` and `snapshots` on Trino; skips the run
when there are none (DuckDB target, or nothing built yet).
"""

ICEBERG_MAINTAIN = """
`optimize`, `expire_snapshots`, `remove_orphan_files` and `analyze` on one table; returns
its snapshot and data-file counts before and after.
"""


HOUSEKEEPING_DAG = """
### Housekeeping

Daily, the Airflow metadata database loses what is older than `AIRFLOW_DB_RETENTION_DAYS`
(default 30): finished runs, their task instances, XComs, the audit log, old jobs
(`airflow db clean`, nothing archived). Each DAG's latest scheduled run is always kept.
"""

CLEAN_AIRFLOW_DB = """
Runs `airflow db clean --clean-before-timestamp <now - AIRFLOW_DB_RETENTION_DAYS>
--skip-archive` and fails with its last lines if it does not finish; safe to re-run.
"""
