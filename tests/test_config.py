from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sme_pulse.config import DEFAULT_WB_INDICATORS, ConfigError, Settings

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def test_defaults_put_everything_under_home(tmp_path: Path) -> None:
    settings = Settings.from_env({"SME_PULSE_HOME": str(tmp_path)}, now=NOW)
    assert settings.lake_uri == str(tmp_path / "lake")
    assert settings.landing_uri == str(tmp_path / "landing")
    assert settings.warehouse_path == tmp_path / "warehouse.duckdb"
    assert settings.source_mode == "replay"
    assert settings.wb_indicators == DEFAULT_WB_INDICATORS
    assert settings.wb_years == (2015, 2025)
    assert settings.dbt_target == "duckdb"
    assert settings.freshness_max_age_days == 30


def test_explicit_values_win(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "SME_PULSE_HOME": str(tmp_path),
            "LAKE_URI": "s3://sme-lake/",
            "SOURCE_MODE": "LIVE",
            "WB_INDICATORS": "NY.GDP.MKTP.CD, FP.CPI.TOTL.ZG",
            "WB_YEARS": "2014:2024",
            "WORLD_BANK_API_URL": "http://127.0.0.1:9/v2/",
        },
        now=NOW,
    )
    assert settings.lake_uri == "s3://sme-lake"
    assert settings.source_mode == "live"
    assert settings.wb_indicators == ("NY.GDP.MKTP.CD", "FP.CPI.TOTL.ZG")
    assert settings.wb_years == (2014, 2024)
    assert settings.world_bank_api_url == "http://127.0.0.1:9/v2"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SOURCE_MODE", "offline", "SOURCE_MODE must be 'live' or 'replay'"),
        ("WB_YEARS", "2024:2014", "WB_YEARS must look like 2014:2024"),
        ("WB_YEARS", "last ten", "WB_YEARS must look like 2014:2024"),
        ("HTTP_MAX_ATTEMPTS", "many", "HTTP_MAX_ATTEMPTS must be an integer"),
        ("HTTP_TIMEOUT_SECONDS", "soon", "HTTP_TIMEOUT_SECONDS must be a number"),
    ],
)
def test_malformed_values_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({name: value}, now=NOW)


def test_dbt_env_is_absolute(tmp_path: Path) -> None:
    env = Settings.from_env({"SME_PULSE_HOME": str(tmp_path)}).dbt_env()
    assert Path(env["LAKE_URI"]).is_absolute()
    assert Path(env["WAREHOUSE_PATH"]).is_absolute()
    assert env["DO_NOT_TRACK"] == "1"


def test_env_example_documents_every_variable() -> None:
    """Every variable config.py reads is listed in .env.example."""
    source = (Path(__file__).parents[1] / "ops/sme_pulse/config.py").read_text()
    example = (Path(__file__).parents[1] / ".env.example").read_text()
    read = set(re.findall(r'env(?:\.get\(|, )"([A-Z][A-Z0-9_]+)"', source))
    assert {"SME_PULSE_HOME", "LAKE_URI", "SOURCE_MODE", "WORLD_BANK_API_URL"} <= read
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert read - documented == set()


def test_an_unknown_dbt_execution_is_refused() -> None:
    with pytest.raises(ConfigError, match="DBT_EXECUTION must be one of build, watcher, local"):
        Settings.from_env({"DBT_EXECUTION": "fast"})


def test_shop_contacts_are_normalised_for_identity_resolution(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"SME_PULSE_HOME": str(tmp_path), "SHOP_CONTACTS": " CuaHang@Shop.vn , 028 3822 1234"}
    )
    assert settings.shop_contacts == ("email|cuahang@shop.vn", "phone|+842838221234")
    assert settings.dbt_env()["SHOP_CONTACTS"] == "email|cuahang@shop.vn,phone|+842838221234"
    assert Settings.from_env({"SME_PULSE_HOME": str(tmp_path)}).dbt_env()["SHOP_CONTACTS"] == ""
    with pytest.raises(ConfigError, match="SHOP_CONTACTS: '12345' is not"):
        Settings.from_env({"SME_PULSE_HOME": str(tmp_path), "SHOP_CONTACTS": "12345"})
