"""`make demo`'s own preparation: a generated shop and the CRM simulator serving it."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import httpx
import pytest
from rich.console import Console
from sme_pulse.config import Settings
from sme_pulse.orchestration import demo


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"SME_PULSE_HOME": str(tmp_path / "home")})


@pytest.mark.integration
def test_an_empty_landing_area_gets_a_shop_and_its_crm_is_served(settings: Settings) -> None:
    console = Console(record=True, width=200)
    demo.ensure_shop(console, settings)
    exports = sorted(p.name for p in Path(settings.landing_uri).iterdir())
    assert "pos_sales_2023.csv" in exports and "website_orders.xlsx" in exports
    assert "Generated a shop" in console.export_text()
    with demo.customer_api(console, settings) as env:
        health = httpx.get(f"{env['CUSTOMER_API_URL']}/healthz").json()
    assert health == {"status": "ok", "customers": demo.DEMO_SHOP.customers}


@pytest.mark.unit
def test_exports_already_in_the_landing_area_are_left_alone(settings: Settings) -> None:
    landing = Path(settings.landing_uri)
    landing.mkdir(parents=True)
    (landing / "my_shop.csv").write_text("order_id\n")
    console = Console(record=True)
    demo.ensure_shop(console, settings)
    assert [p.name for p in landing.iterdir()] == ["my_shop.csv"]
    with demo.customer_api(console, settings) as env:
        assert env == {}


@pytest.mark.unit
def test_no_generated_shop_means_no_broker_and_no_events(settings: Settings) -> None:
    console = Console(record=True)
    with demo.order_stream(console, settings) as env:
        assert env == {}
    assert console.export_text() == ""


@pytest.mark.unit
def test_orders_by_source_counts_an_order_sent_both_ways_once(settings: Settings) -> None:
    settings.warehouse_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create schema gold; create schema silver")
        con.execute(
            "create table gold.fct_sales as select * from (values "
            "('A', 'pos_sales_2025.csv', 100000), ('A', 'pos_sales_2025.csv', 50000), "
            "('B', 'pos_sales_2025.csv', 0), ('C', 'kafka://sme_pulse.order_events', 20000)) "
            "as t(order_id, source_file, net_revenue_vnd)"
        )
        con.execute(
            "create table silver.int_stream_order_lines as select * from (values "
            "('B', 1), ('B', 2), ('C', 1)) as t(order_id, line_no)"
        )
    console = Console(record=True, width=200)
    demo.print_orders_by_source(console, settings)
    rows = [re.sub(r" +", " ", line) for line in console.export_text().splitlines()]
    assert "│ file exports only │ 1 │ 2 │ 150.000 │" in rows
    assert "│ both ways (the export counts) │ 1 │ 1 │ 0 │" in rows
    assert "│ order events only (Kafka) │ 1 │ 1 │ 20.000 │" in rows
    assert "│ all orders │ 3 │ 4 │ 170.000 │" in rows
