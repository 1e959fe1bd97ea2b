"""A warehouse built the way `make demo` builds it, for running every dashboard question.

The demo's generated shop (sme_pulse.orchestration.demo: sales exports with their dirty
lines, CRM customers served over HTTP) and the replayed World Bank and provinces data go
through the real ingestion and a full `dbt build` on DuckDB, once per session.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rich.console import Console
from sme_pulse import runs
from sme_pulse.config import Settings
from sme_pulse.crm import ingest_customers
from sme_pulse.orchestration import dbt_invoke, demo
from sme_pulse.sales import ingest_sales
from sme_pulse.sources.lineage import RunContext


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a DuckDB warehouse built from the demo shop (as `make demo` builds it)."""
    home = tmp_path_factory.mktemp("questions-demo") / "home"
    settings = Settings.from_env({"SME_PULSE_HOME": str(home)})
    quiet = Console(quiet=True)
    demo.ensure_shop(quiet, settings)
    run = RunContext("questions_1", "2026-01-01", datetime.now(UTC))
    runs.ingest_world_bank(settings, run)
    runs.ingest_provinces(settings, run)
    with demo.customer_api(quiet, settings) as api_env:
        settings = Settings.from_env({"SME_PULSE_HOME": str(home), **api_env})
        ingest_sales(settings, run)
        ingest_customers(settings, run)
    dbt_invoke.invoke(settings, ["build"])
    return settings
