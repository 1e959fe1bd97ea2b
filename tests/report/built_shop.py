"""A small generated shop loaded and built into a DuckDB warehouse, for the report tests.

The same pipeline as `make demo` without Airflow: the generator's exports (dirty rows
included, so the quarantine has rows) and CRM customers served over HTTP by the feed
simulator, the replay World Bank and provinces data, the real ingestion, and a full
`dbt build` of the project, with build output under the test's folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sme_pulse import runs
from sme_pulse.config import Settings
from sme_pulse.crm import ingest_customers
from sme_pulse.feeds.generator import GeneratorConfig, generate
from sme_pulse.feeds.simulator import start_server
from sme_pulse.sales import ingest_sales
from sme_pulse.sources.lineage import RunContext

REPO = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")
SHOP = GeneratorConfig(customers=60, seed=11, dirty_share=0.05)


def build_shop_warehouse(work: Path) -> tuple[Settings, subprocess.CompletedProcess[str]]:
    """Settings of the built shop under `work`, and the `dbt build` that built it."""
    feeds = work / "feeds"
    generate(feeds, SHOP)
    server, url = start_server(feeds / "crm")
    try:
        settings = Settings.from_env(
            {"SME_PULSE_HOME": str(work / "home"), "CUSTOMER_API_URL": url}
        )
        landing = Path(settings.landing_uri)
        landing.mkdir(parents=True)
        for export in sorted((feeds / "landing").iterdir()):
            (landing / export.name).write_bytes(export.read_bytes())
        run = RunContext("report_fixture", "2026-01-01", datetime.now(UTC))
        runs.ingest_world_bank(settings, run)
        runs.ingest_provinces(settings, run)
        ingest_sales(settings, run)
        ingest_customers(settings, run)
    finally:
        server.stop()
    build = subprocess.run(
        [str(DBT), "build", "--project-dir", str(REPO / "dbt"), "--profiles-dir",
         str(REPO / "dbt"), "--target-path", str(work / "dbt-target"),
         "--log-path", str(work / "dbt-logs")],
        cwd=REPO / "dbt", env={**os.environ, **settings.dbt_env()},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return settings, build
