"""dbt build on the replay recordings: gold holds exactly the recorded facts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pytest
from sme_pulse import runs
from sme_pulse.config import Settings
from sme_pulse.sources.lineage import bronze_key
from sme_pulse.storage import Lake

from .conftest import DbtRunner

pytestmark = pytest.mark.integration

SELECT_EXTERNAL = [
    "--select", "path:models/staging/external", "path:models/marts/external", "path:seeds",
    "path:tests/assert_macro_yoy_arithmetic.sql", "--indirect-selection", "buildable",
]  # fmt: skip

# World Bank values of the reference table (GDP: release of 2026-04-08); see
# ops/sme_pulse/replay/world_bank/SOURCES.md.
GDP = {2022: 413445230668.578, 2023: 433857681378.291, 2024: 476388230307.175}
CPI = {2023: 3.25289282667662, 2024: 3.62109273885843}


def external_build(settings: Settings, dbt: DbtRunner, *extra: str) -> None:
    dbt("build", *SELECT_EXTERNAL, *extra, env=settings.dbt_env())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings.from_env({"SME_PULSE_HOME": str(tmp_path / "home")})
    run = runs.run_context("replay_1", "2026-11-01")
    runs.ingest_world_bank(settings, run)
    runs.ingest_provinces(settings, run)
    return settings


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_gold_holds_the_recorded_facts(settings: Settings, dbt: DbtRunner) -> None:
    external_build(settings, dbt)

    years = query(settings, "select year from gold.dim_macro_indicators order by year")
    assert [y for (y,) in years] == list(range(2015, 2025))  # 2025 is not published yet
    (row,) = query(
        settings,
        "select gdp_current_usd, gdp_current_usd_prev_year, gdp_current_usd_yoy_change, "
        "gdp_current_usd_growth_pct, inflation_cpi_pct, inflation_cpi_change_pp, "
        "year_start_date from gold.dim_macro_indicators where year = 2024",
    )
    assert row[0] == GDP[2024] and row[1] == GDP[2023]
    assert row[2] == pytest.approx(GDP[2024] - GDP[2023])
    assert row[3] == pytest.approx((GDP[2024] - GDP[2023]) / GDP[2023] * 100)
    assert row[4] == pytest.approx(CPI[2024])
    assert row[5] == pytest.approx(CPI[2024] - CPI[2023])
    assert str(row[6]) == "2024-01-01"
    (first,) = query(
        settings,
        "select gdp_current_usd, gdp_current_usd_prev_year, gdp_current_usd_growth_pct, "
        "gdp_real_growth_pct from gold.dim_macro_indicators where year = 2022",
    )
    # GDP before 2022 and real GDP growth carry no citable value (SOURCES.md): null.
    assert first == (GDP[2022], None, None, None)

    assert query(settings, "select count(*) from silver.stg_wb_indicators") == [(23,)]
    assert query(
        settings,
        "select location_level, count(*) from silver.stg_vietnam_locations group by 1 order by 1",
    ) == [(1, 63), (2, 696)]
    districts = query(
        settings,
        "select count(*), count(distinct province_code), min(effective_to), bool_or(is_current) "
        "from gold.dim_location where district_code is not null",
    )
    assert [tuple(map(str, r)) for r in districts] == [("696", "63", "2025-06-30", "False")]
    assert query(
        settings,
        "select district_name, province_name from gold.dim_location where district_code = '760'",
    ) == [("Quận 1", "Thành phố Hồ Chí Minh")]


def test_latest_ingestion_wins_and_reruns_change_nothing(
    settings: Settings, dbt: DbtRunner
) -> None:
    external_build(settings, dbt)
    before = query(settings, "select * from gold.dim_macro_indicators order by year")
    external_build(settings, dbt)
    assert query(settings, "select * from gold.dim_macro_indicators order by year") == before

    # A later ingestion revises GDP 2024 (the World Bank revises its series).
    lake = Lake.from_settings(settings)
    old = lake.read_parquet(bronze_key("world_bank", "indicators", "2026-11-01"))
    revised_value = pc.if_else(
        pc.and_(pc.equal(old["indicator_code"], "NY.GDP.MKTP.CD"), pc.equal(old["year"], 2024)),
        500e9,
        old["value"],
    )
    revised = old.set_column(old.schema.get_field_index("value"), "value", revised_value)
    revised = revised.set_column(
        revised.schema.get_field_index("ingested_at"),
        "ingested_at",
        pc.add(old["ingested_at"], pc.cast(86400 * 10**6, "duration[us]")),
    )
    lake.write_parquet(bronze_key("world_bank", "indicators", "2026-11-02"), revised)
    external_build(settings, dbt)

    assert query(
        settings,
        "select value from silver.stg_wb_indicators "
        "where indicator_code = 'NY.GDP.MKTP.CD' and year = 2024",
    ) == [(500e9,)]
    assert query(settings, "select count(*) from silver.stg_wb_indicators") == [(23,)]
    (pct,) = query(
        settings,
        "select gdp_current_usd_growth_pct from gold.dim_macro_indicators where year = 2024",
    )
    assert pct[0] == pytest.approx((500e9 - GDP[2023]) / GDP[2023] * 100)


def test_the_yoy_test_fails_on_wrong_arithmetic(settings: Settings, dbt: DbtRunner) -> None:
    external_build(settings, dbt)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(
            "update gold.dim_macro_indicators set gdp_current_usd_growth_pct = 1 where year = 2023"
        )
    result = dbt(
        "test", "--select", "assert_macro_yoy_arithmetic", env=settings.dbt_env(), check=False
    )
    assert result.returncode == 1
    assert "Got 1 result" in result.stdout


def test_source_freshness_passes_on_new_bronze(settings: Settings, dbt: DbtRunner) -> None:
    result = dbt(
        "source", "freshness", "--select", "source:bronze_external", env=settings.dbt_env()
    )
    assert "PASS" in result.stdout
