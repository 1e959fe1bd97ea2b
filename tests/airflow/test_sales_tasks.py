"""Task bodies of `sme_pulse_sales_sync` without Airflow: preflight, freshness, summary."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from sme_pulse.checks import freshness, preflight
from sme_pulse.checks.preflight import PreflightError, require
from sme_pulse.config import Settings
from sme_pulse.crm.watermark import Watermark, write_watermark
from sme_pulse.feeds.simulator import start_server
from sme_pulse.ingestion.report import FileReport, IngestError, IngestReport
from sme_pulse.orchestration import sales_sync
from sme_pulse.storage import Lake


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {"SME_PULSE_HOME": str(tmp_path / "home"), "CUSTOMER_API_URL": "http://127.0.0.1:9"}
    )


@pytest.fixture
def customer_api(tmp_path: Path) -> Iterator[str]:
    crm = tmp_path / "crm"
    crm.mkdir()
    (crm / "customers.jsonl").write_text(
        '{"id": "KH1", "full_name": "An", "updated_at": "2024-01-01T00:00:00Z"}\n'
    )
    server, url = start_server(crm)
    yield url
    server.stop()


def gold_warehouse(settings: Settings, *, reformed: bool) -> None:
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create schema gold")
        con.execute("create table gold.dim_macro_indicators (year integer)")
        con.execute("create table gold.dim_location (admin_version varchar)")
        if reformed:
            con.execute("insert into gold.dim_location values ('v1'), ('v2')")


@pytest.mark.integration
def test_preflight_lists_every_broken_dependency_at_once(settings: Settings) -> None:
    results = {r.name: r for r in preflight.run_checks(settings, preflight.sales_checks)}
    assert results["lake"].ok
    assert not results["landing"].ok and "does not exist" in results["landing"].detail
    assert not results["customer_api"].ok
    assert not results["external_gold"].ok
    assert "run sme_pulse_external_data_sync first" in results["external_gold"].detail
    with pytest.raises(PreflightError) as failure:
        require(list(results.values()))
    assert all(name in str(failure.value) for name in ("landing", "customer_api", "external_gold"))


@pytest.mark.integration
def test_preflight_passes_when_everything_is_there(settings: Settings, customer_api: str) -> None:
    settings = Settings.from_env(
        {"SME_PULSE_HOME": str(settings.home), "CUSTOMER_API_URL": customer_api}
    )
    landing = Path(settings.landing_uri)
    landing.mkdir(parents=True)
    (landing / "pos.csv").write_text("order_id\n")
    gold_warehouse(settings, reformed=True)
    results = preflight.run_checks(settings, preflight.sales_checks)
    assert [(r.name, r.ok) for r in results] == [
        ("lake", True),
        ("landing", True),
        ("customer_api", True),
        ("external_gold", True),
    ]
    assert results[1].detail.endswith("(1 file(s))")


@pytest.mark.unit
def test_an_empty_landing_area_with_nothing_loaded_has_nothing_to_model(
    settings: Settings,
) -> None:
    Path(settings.landing_uri).mkdir(parents=True)
    with pytest.raises(IngestError, match="no sales exports in"):
        preflight.check_landing(settings)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("reformed", "tables", "message"),
    [
        (False, True, "has no post-reform provinces"),
        (True, False, "gold.dim_location, gold.dim_macro_indicators missing"),
    ],
)
def test_external_gold_must_exist_with_the_reform_rows(
    settings: Settings, reformed: bool, tables: bool, message: str
) -> None:
    if tables:
        gold_warehouse(settings, reformed=reformed)
    else:
        settings.warehouse_path.parent.mkdir(parents=True)
        duckdb.connect(str(settings.warehouse_path)).close()
    with pytest.raises(preflight.UpstreamMissingError) as failure:
        preflight.check_external_gold(settings)
    assert message in str(failure.value)
    assert "run sme_pulse_external_data_sync first" in str(failure.value)


@pytest.mark.unit
def test_freshness_reports_the_landing_area_and_the_crm_watermark(settings: Settings) -> None:
    landing = Path(settings.landing_uri)
    landing.mkdir(parents=True)
    (landing / "pos_2025.csv").write_text("order_id\n")
    report = freshness.sales_freshness(settings)
    assert report["sales"]["fresh"] is True
    assert "1 landing file(s), newest pos_2025.csv" in report["sales"]["detail"]
    assert "1 changed since the last load" in report["sales"]["detail"]
    assert report["crm"] == {
        "fresh": False,
        "detail": "no extraction yet: the first one is full",
    }

    now = datetime.now(UTC)
    watermark = Watermark(datetime(2025, 12, 30, tzinfo=UTC), "r1", now - timedelta(days=40))
    write_watermark(Lake.from_settings(settings), watermark)
    report = freshness.sales_freshness(settings, now=now)
    assert report["crm"]["fresh"] is False
    assert "last extraction 40.0 days ago" in report["crm"]["detail"]


@pytest.mark.unit
def test_the_summary_counts_rows_files_and_test_tasks() -> None:
    report = IngestReport(
        "sales",
        [
            FileReport("pos.csv", "loaded", "a" * 64, 10, 8, 2),
            FileReport("web.xlsx", "failed", "b" * 64, error="not a workbook"),
            FileReport("old.csv", "unchanged", "c" * 64, 5, 5, 0),
        ],
    )
    compact = sales_sync.compact_report(report)
    assert (compact["rows_read"], compact["rows_loaded"], compact["rows_quarantined"]) == (
        10,
        8,
        2,
    )
    counts = sales_sync.ingestion_counts({"sales": compact})
    assert counts["sales"]["files"] == 3
    assert counts["sales"]["problem_files"] == [
        "web.xlsx: failed, read 0, loaded 0, quarantined 0 - not a workbook"
    ]
    states = {
        "preflight": "success",
        "dbt_gold_sales.fct_sales.test": "success",
        "dbt_gold_sales.fct_sales.run": "success",
        "dbt_silver_sales.stg_customers.test": "failed",
        "dbt_gold_sales.fct_sales_model_build": "success",
        "dbt_silver_sales.snp_customers_snapshot_build": "upstream_failed",
        "dbt_silver_sales.dbt_producer_watcher": "success",
    }
    assert sales_sync.dbt_test_states(states) == {
        "success": 2, "failed": 1, "upstream_failed": 1
    }  # fmt: skip
