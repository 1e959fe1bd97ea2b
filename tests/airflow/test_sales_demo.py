"""`make demo`'s own preparation: a generated shop and the CRM simulator serving it."""

from __future__ import annotations

from pathlib import Path

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
