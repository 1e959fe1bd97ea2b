"""Gold sales numbers against a fixture small enough to compute by hand.

The fixture is one landing CSV of 15 rows and five CRM customers, written below; it goes
through the real ingestion (sales files, the customer API simulator over HTTP) and a full
`dbt build` on DuckDB, next to the replay World Bank and provinces data. Every expected
number in these tests was worked out from the rows here, not read back from the models.

Orders (Vietnam local time; revenue = completed lines, net of discounts):

    HD1   2023-01-15 pos       completed KH000001         79/760  290,000 + 120,000 (line 1 twice)
    SP1   2023-01-20 shopee    completed email of KH000001 79/760  200,000
    HD11  2023-01-25 pos       completed KH000004         79/760   90,000
    WEB1  2023-02-10 website   cancelled KH000002         01/001  500,000 -> 0
    HD4   2023-02-11 pos       refunded  KH000002         01/001  300,000 -> 0 (refunded)
    LZ1   2023-03-05 lazada    completed phone of KH000003 48/490  3 x 100,000 - 30,000 = 270,000
    HD6   2024-01-10 pos       completed KH000001         79/760  500,000
    HD9   2024-02-01 pos       completed KH000009 (quarantined in the CRM) 74/718  150,000
    HD10  2024-03-01 pos       completed walk-in          77/747   80,000
    WEB7  2025-08-01 website   completed KH000002         79 (v2)  500,000
    TT8   2025-08-15 tiktok    completed no customer      75 (v2)  100,000
    HD12  negative quantity, HD13 30 February: quarantined

Bình Dương (74) and Bà Rịa - Vũng Tàu (77) merged into Hồ Chí Minh (79) on 1 July 2025.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import sqlglot
from rich.console import Console
from sme_pulse.checks import reconcile
from sme_pulse.config import Settings
from sme_pulse.crm import ingest_customers
from sme_pulse.orchestration.demo import print_business_answers
from sme_pulse.sales import ingest_sales
from sme_pulse.sources.lineage import RunContext

from .conftest import DBT, REPO, Warehouse, shop

pytestmark = pytest.mark.integration

CPI_2024 = 3.62109273885843  # World Bank replay, FP.CPI.TOTL.ZG for Vietnam (SOURCES.md)
SALES_MODEL_DIRS = (
    "models/staging/sales",
    "models/staging/crm",
    "models/intermediate",
    "models/marts/sales",
    "models/marts/external/dim_location",
    "snapshots",
    "tests/assert_no_sales_orphans",
    "tests/assert_location_crosswalk_complete",
    "tests/assert_fct_sales_rolls_up_like_dim_location",
    "tests/assert_dim_location_versions_do_not_overlap",
)

HEADER = (
    "order_id,line_no,order_ts,channel,status,customer_id,customer_email,customer_phone,"
    "province_code,district_code,sku,quantity,unit_price_vnd,discount_vnd,line_total_vnd"
)
ROWS = (
    "HD1,1,2023-01-15 10:00,pos,completed,KH000001,,,79,760,CF-001,2,145000,0,290000",
    "HD1,2,2023-01-15 10:00,pos,completed,KH000001,,,79,760,BK-001,1,120000,0,120000",
    "HD1,1,2023-01-15 10:00,pos,completed,KH000001,,,79,760,CF-001,2,145000,0,290000",
    'SP1,1,2023-01-20 20:00,shopee,completed,,"  LAN@Gmail.com ",,79,760,MP-001,1,200000,0,200000',
    "HD11,1,2023-01-25 09:00,pos,completed,KH000004,,,79,760,GD-001,1,90000,0,90000",
    "WEB1,1,2023-02-10 11:00,website,cancelled,KH000002,,,01,001,TT-001,1,500000,0,500000",
    "HD4,1,2023-02-11 12:00,pos,refunded,KH000002,,,01,001,TT-002,2,150000,0,300000",
    "LZ1,1,2023-03-05 15:00,lazada,completed,,,+84 909 000 111,48,490,QT-001,3,100000,30000,270000",
    "HD6,1,2024-01-10 10:00,pos,completed,KH000001,,,79,760,CF-002,1,500000,0,500000",
    "HD9,1,2024-02-01 10:00,pos,completed,KH000009,,,74,718,CF-003,1,150000,0,150000",
    "HD10,1,2024-03-01 10:00,pos,completed,,,,77,747,CF-004,1,80000,0,80000",
    "WEB7,1,2025-08-01 10:00,website,completed,KH000002,,,79,,TT-003,2,250000,0,500000",
    "TT8,1,2025-08-15 10:00,tiktok_shop,completed,,,,75,,GD-002,1,100000,0,100000",
    "HD12,1,2023-04-01 10:00,pos,completed,KH000001,,,79,760,CF-005,-1,145000,0,145000",
    "HD13,1,2023-02-30 10:00,pos,completed,KH000001,,,79,760,CF-006,1,145000,0,145000",
)


def customer(n: int, name: str, email: str, phone: str, province: str, district: str | None,
             tier: str, updated_at: str) -> dict[str, Any]:  # fmt: skip
    return {
        "id": f"KH{n:06d}", "full_name": name, "email": email, "phone": phone,
        "province_code": province, "district_code": district, "loyalty_tier": tier,
        "created_at": "2022-05-01T03:00:00Z", "updated_at": updated_at,
    }  # fmt: skip


CUSTOMERS = [
    customer(1, "Nguyễn Thị Lan", "lan@gmail.com", "0912 345 678", "79", "760", "gold",
             "2024-01-10T03:00:00Z"),
    customer(2, "Trần Văn Nam", "nam@yahoo.com", "0987654321", "01", "001", "member",
             "2024-02-01T03:00:00Z"),
    customer(3, "Lê Minh Châu", "chau@gmail.com", "0909000111", "48", "490", "platinum",
             "2024-03-01T03:00:00Z"),
    customer(4, "Phạm Thu Hà", "ha@gmail.com", "0911222333", "79", "760", "member",
             "2024-01-01T03:00:00Z"),
    customer(9, " ", "tu@gmail.com", "0933444555", "74", "718", "member",
             "2024-01-01T03:00:00Z"),  # blank name: quarantined by the customer contract
]  # fmt: skip
# Nam moves up a tier after the reform; his address is then a new (v2) province.
NAM_LATER = customer(2, "Trần Văn Nam", "nam@yahoo.com", "0987654321", "79", None, "silver",
                     "2025-09-01T03:00:00Z")  # fmt: skip


def write_customers(path: Path, records: list[dict[str, Any]]) -> None:
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    (path / "customers.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(n: int) -> RunContext:
    return RunContext(f"fixture_{n}", f"2026-01-0{n}", datetime.now(UTC))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """Two daily runs: everything, then Nam's CRM update; a dbt build after each."""
    work = tmp_path_factory.mktemp("sales-fixture")
    crm = work / "crm"
    crm.mkdir()
    write_customers(crm, CUSTOMERS)
    with shop(work, crm) as built:
        landing = Path(built.settings.landing_uri)
        (landing / "shop_orders.csv").write_text("\n".join([HEADER, *ROWS]) + "\n")
        ingest_sales(built.settings, run(1))
        ingest_customers(built.settings, run(1))
        built.build()
        write_customers(crm, [*CUSTOMERS, NAM_LATER])
        ingest_customers(built.settings, run(2))
        built.build()
        yield built


def test_every_row_is_loaded_or_quarantined_and_duplicates_collapse(warehouse: Warehouse) -> None:
    assert warehouse.query(
        "select rows_read, rows_loaded, rows_quarantined, status "
        "from silver.stg_sales_load_manifest"
    ) == [(15, 13, 2, "loaded")]
    assert warehouse.query(
        "select count(*), count(distinct order_id) from silver.stg_sales_order_lines"
    ) == [(12, 11)]
    assert warehouse.query(
        "select order_id, line_no from silver.stg_sales_order_lines where bronze_copies = 2"
    ) == [("HD1", 1)]
    assert warehouse.query(
        "select customer_email, email_normalized from silver.stg_sales_order_lines "
        "where order_id = 'SP1'"
    ) == [("lan@gmail.com", "lan@gmail.com")]


def test_monthly_revenue_rolls_up_to_the_new_provinces(warehouse: Warehouse) -> None:
    rows = warehouse.query(
        "select cast(order_month as varchar), province_code, net_revenue_vnd, gmv_vnd, "
        "refunded_vnd, completed_orders, recorded_province_codes "
        "from gold.fct_sales_monthly_by_province where order_lines > 0 order by 1, 2"
    )
    assert rows == [
        ("2023-01-01", "79", 700_000, 700_000, 0, 3, 1),  # HD1 410k + SP1 200k + HD11 90k
        ("2023-02-01", "01", 0, 800_000, 300_000, 0, 1),  # cancelled 500k, refunded 300k
        ("2023-03-01", "48", 270_000, 270_000, 0, 1, 1),
        ("2024-01-01", "79", 500_000, 500_000, 0, 1, 1),
        ("2024-02-01", "79", 150_000, 150_000, 0, 1, 1),  # recorded as Bình Dương (74)
        ("2024-03-01", "79", 80_000, 80_000, 0, 1, 1),  # recorded as Bà Rịa - Vũng Tàu (77)
        ("2025-08-01", "75", 100_000, 100_000, 0, 1, 1),
        ("2025-08-01", "79", 500_000, 500_000, 0, 1, 1),
    ]
    assert warehouse.query("select sum(net_revenue_vnd) from gold.fct_sales") == [(2_300_000,)]
    # Dense: every month January 2023 - August 2025 (32) x every province that ever sold
    # (79, 01, 48, 75); a month without sales is a row of zeros.
    assert warehouse.query(
        "select count(*), count(distinct order_month), count(distinct province_code), "
        "sum(case when order_lines = 0 then 1 else 0 end) "
        "from gold.fct_sales_monthly_by_province"
    ) == [(128, 32, 4, 120)]
    assert warehouse.query(
        "select net_revenue_vnd, orders, identified_customers, guest_completed_orders "
        "from gold.fct_sales_monthly_by_province "
        "where order_month = date '2023-04-01' and province_code = '48'"
    ) == [(0, 0, 0, 0)]
    # HD10 is a walk-in sale: a completed order without an identified customer.
    assert warehouse.query(
        "select completed_orders, identified_customers, guest_completed_orders "
        "from gold.fct_sales_monthly_by_province "
        "where order_month = date '2024-03-01' and province_code = '79'"
    ) == [(1, 0, 1)]


def test_real_growth_removes_inflation(warehouse: Warehouse) -> None:
    rows = {
        (year, code): rest
        for year, code, *rest in warehouse.query(
            "select year, province_code, net_revenue_vnd, net_revenue_nominal_growth_pct, "
            "inflation_cpi_pct, net_revenue_real_growth_pct from gold.mart_sales_vs_macro"
        )
    }
    # Hồ Chí Minh: 700,000 in 2023, 730,000 in 2024 -> +3/70 = 4.2857 % nominal;
    # real = 1.042857 / 1.036211 - 1 = 0.6414 %.
    revenue, nominal, cpi, real = rows[(2024, "79")]
    assert revenue == 730_000
    assert nominal == pytest.approx(300 / 70)
    assert cpi == pytest.approx(CPI_2024)
    assert real == pytest.approx(0.641396002772, abs=1e-9)
    # The whole country: 970,000 (79: 700k, 48: 270k, 01: 0) -> 730,000: -24.74 % nominal.
    revenue, nominal, _, real = rows[(2024, "VN")]
    assert revenue == 730_000
    assert nominal == pytest.approx((730 / 970 - 1) * 100)
    assert real == pytest.approx(-27.372188451608, abs=1e-9)
    # 2025 inflation is not published in the replay: no real growth, nominal still there.
    assert rows[(2025, "79")][1] == pytest.approx((500 / 730 - 1) * 100)
    assert rows[(2025, "79")][3] is None
    assert rows[(2023, "79")][1] is None  # no 2022 to compare with
    # Dense years: Đà Nẵng (48) sold 270,000 in 2023 and nothing in 2024: 0 and -100 %.
    assert rows[(2024, "48")][:2] == [0, pytest.approx(-100.0)]
    assert rows[(2025, "48")][:2] == [0, None]  # nothing to grow from
    assert len(rows) == 3 * (4 + 1)  # 2023-2025 x (79, 01, 48, 75, and the country)


def test_growth_on_a_small_base_is_flagged(warehouse: Warehouse) -> None:
    flags = dict(
        warehouse.query(
            "select year, is_small_base from gold.mart_sales_vs_macro "
            "where province_code = 'VN' order by year"
        )
    )
    # 2023 has no growth. 2024's base, 2023, had sales in 3 months (< 6): flagged.
    # 2025's base, 2024, also had 3 months of sales: flagged.
    assert flags == {2023: False, 2024: True, 2025: True}
    # Đà Nẵng 2024 falls to 0: a base of 270,000 is not below 20 % of 0, but its one
    # month of sales is fewer than 6.
    assert warehouse.query(
        "select is_small_base from gold.mart_sales_vs_macro where year = 2024 "
        "and province_code = '48'"
    ) == [(True,)]


def test_every_gold_column_says_what_it_measures(warehouse: Warehouse) -> None:
    """Every column of every gold table (dbt/models/marts) has a YAML description."""
    manifest = json.loads((warehouse.work / "dbt-target" / "manifest.json").read_text())
    models = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["original_file_path"].startswith("models/marts/")
    ]
    assert len(models) >= 10
    undescribed = []
    for node in models:
        described = {
            name for name, column in node["columns"].items() if column["description"].strip()
        }
        built = warehouse.query(
            "select column_name from information_schema.columns "
            f"where table_schema = '{node['schema']}' and table_name = '{node['alias']}'"
        )
        assert built, f"{node['name']} was not built"
        undescribed += [f"{node['name']}.{name}" for (name,) in built if name not in described]
    assert undescribed == []


def test_cohort_retention(warehouse: Warehouse) -> None:
    cohorts = warehouse.query(
        "select cast(cohort_month as varchar), count(*), max(cohort_customers) "
        "from gold.fct_customer_cohorts group by 1 order by 1"
    )
    # Lan and Hà start in January 2023, Châu in March 2023, KH000009 (quarantined in the CRM) in
    # February 2024, Nam in August 2025 (his cancelled and refunded orders do not count);
    # each cohort has a row per month up to August 2025.
    assert cohorts == [
        ("2023-01-01", 32, 2),
        ("2023-03-01", 30, 1),
        ("2024-02-01", 19, 1),
        ("2025-08-01", 1, 1),
    ]
    january = warehouse.query(
        "select months_since_first, active_customers, retention_pct, net_revenue_vnd "
        "from gold.fct_customer_cohorts where cohort_month = date '2023-01-01' "
        "and months_since_first in (0, 1, 12) order by 1"
    )
    # Lan comes back in January 2024 (HD6); Hà never does.
    assert january == [(0, 2, 100.0, 700_000), (1, 0, 0.0, 0), (12, 1, 50.0, 500_000)]


def test_revenue_by_segment_and_channel(warehouse: Warehouse) -> None:
    rows = warehouse.query(
        "select cast(order_month as varchar), customer_segment, channel, net_revenue_vnd, "
        "refunded_vnd from gold.fct_revenue_by_segment_channel where orders > 0 "
        "order by 1, 2, 3"
    )
    assert rows == [
        ("2023-01-01", "gold", "pos", 410_000, 0),
        ("2023-01-01", "gold", "shopee", 200_000, 0),  # matched to Lan by email
        ("2023-01-01", "member", "pos", 90_000, 0),
        ("2023-02-01", "silver", "pos", 0, 300_000),  # Nam's tier today is silver
        ("2023-02-01", "silver", "website", 0, 0),
        ("2023-03-01", "platinum", "lazada", 270_000, 0),  # matched to Châu by phone
        ("2024-01-01", "gold", "pos", 500_000, 0),
        ("2024-02-01", "member", "pos", 150_000, 0),  # KH000009's quarantined record
        ("2024-03-01", "guest", "pos", 80_000, 0),
        ("2025-08-01", "guest", "tiktok_shop", 100_000, 0),
        ("2025-08-01", "silver", "website", 500_000, 0),
    ]
    # Dense: 32 months x the 8 (segment, channel) pairs above, zeros where nothing sold.
    assert warehouse.query(
        "select count(*), count(distinct order_month), "
        "count(distinct customer_segment || '/' || channel) "
        "from gold.fct_revenue_by_segment_channel"
    ) == [(256, 32, 8)]


def test_identity_resolution_and_orphans(warehouse: Warehouse) -> None:
    assert warehouse.query(
        "select match_method, match_confidence, crm_customer_id, count(*) "
        "from silver.int_customers_unified where source_system = 'sales' "
        "group by all order by 1, 3"
    ) == [
        ("crm_quarantined", 0.8, "KH000009", 1),  # its CRM record has a blank name
        ("customer_id", 1.0, "KH000001", 1),
        ("customer_id", 1.0, "KH000002", 1),
        ("customer_id", 1.0, "KH000004", 1),
        ("email", 0.9, "KH000001", 1),
        ("phone", 0.7, "KH000003", 1),
    ]
    lan = warehouse.query(
        "select count(distinct customer_key) from gold.fct_sales where order_id in ('HD1', 'SP1')"
    )
    assert lan == [(1,)]
    assert warehouse.query(
        "select order_id, orphan_reason, referenced_value from silver.int_sales_orphans"
    ) == [("HD9", "customer_id_not_in_crm", "KH000009")]
    # Reported, not dropped: the order is in gold, and dbt warns with the count.
    assert warehouse.query("select net_revenue_vnd from gold.fct_sales where order_id = 'HD9'") == [
        (150_000,)
    ]
    assert "WARN 1 assert_no_sales_orphans" in warehouse.builds[-1].stdout


def test_orders_join_the_location_valid_on_their_date(warehouse: Warehouse) -> None:
    rows = warehouse.query(
        "select s.order_id, l.location_level, l.admin_version, l.province_code, "
        "l.district_code, s.reporting_province_code "
        "from gold.fct_sales as s join gold.dim_location as l using (location_key) "
        "where s.order_id in ('HD9', 'WEB7', 'TT8') order by 1"
    )
    assert rows == [
        ("HD9", "district", "v1", "74", "718", "79"),
        ("TT8", "province", "v2", "75", None, "75"),
        ("WEB7", "province", "v2", "79", None, "79"),
    ]
    assert warehouse.query(
        "select location_level, admin_version, count(*), count(distinct new_province_code), "
        "bool_or(is_current) from gold.dim_location group by 1, 2 order by 1, 2"
    ) == [("district", "v1", 696, 34, False), ("province", "v1", 63, 34, False),
          ("province", "v2", 34, 34, True)]  # fmt: skip
    assert warehouse.query(
        "select admin_version, count(*), count(distinct new_province_code) "
        "from silver.int_location_crosswalk group by 1 order by 1"
    ) == [("v1", 63, 34), ("v2", 34, 34)]
    assert warehouse.query(
        "select province_code, new_province_code from silver.int_location_crosswalk "
        "where admin_version = 'v1' and province_code in ('74', '77', '02') order by 1"
    ) == [("02", "08"), ("74", "79"), ("77", "79")]


def test_the_snapshot_keeps_customer_history(warehouse: Warehouse) -> None:
    assert warehouse.query("select count(*) from snapshots.snp_customers") == [(5,)]
    nam = warehouse.query(
        "select loyalty_tier, province_code, admin_version, dbt_valid_to is null "
        "from snapshots.snp_customers where customer_id = 'KH000002' order by dbt_valid_from"
    )
    assert nam == [("member", "01", "v1", False), ("silver", "79", "v2", True)]
    assert warehouse.query(
        "select bronze_versions, loyalty_tier from silver.stg_customers "
        "where customer_id = 'KH000002'"
    ) == [(2, "silver")]


def test_rebuilding_changes_nothing(warehouse: Warehouse) -> None:
    tables = [
        "gold.fct_sales", "gold.fct_sales_monthly_by_province", "gold.mart_sales_vs_macro",
        "gold.fct_customer_cohorts", "gold.fct_revenue_by_segment_channel",
        "silver.int_customers_unified", "snapshots.snp_customers",
    ]  # fmt: skip
    before = {t: sorted(warehouse.query(f"select * from {t}"), key=repr) for t in tables}
    warehouse.dbt("build")
    after = {t: sorted(warehouse.query(f"select * from {t}"), key=repr) for t in tables}
    assert after == before


def test_bronze_sources_are_fresh(warehouse: Warehouse) -> None:
    result = warehouse.dbt(
        "source", "freshness", "--select", "source:bronze_sales", "source:bronze_crm"
    )
    assert result.stdout.count("PASS freshness of") == 3


def test_sales_models_compile_for_trino_offline(tmp_path: Path) -> None:
    """The same models on the stack: `dbt compile --target trino` without a Trino, parsed
    as Trino SQL by sqlglot (the dbt adapter macros must not leave DuckDB syntax)."""
    target = tmp_path / "target"
    result = subprocess.run(
        [str(DBT), "--no-populate-cache", "compile", "--target", "trino",
         "--vars", "{compile_offline: true}", "--project-dir", str(REPO / "dbt"),
         "--profiles-dir", str(REPO / "dbt"), "--target-path", str(target),
         "--log-path", str(tmp_path / "logs")],
        cwd=REPO / "dbt", env={**os.environ, "DBT_TARGET": "trino"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:]
    compiled = target / "compiled" / "sme_pulse"
    ours = [
        path
        for path in compiled.rglob("*.sql")
        if any(str(path.relative_to(compiled)).startswith(d) for d in SALES_MODEL_DIRS)
    ]
    assert len(ours) >= 15
    for path in ours:
        sql = path.read_text()
        sqlglot.parse(sql, read="trino")
        assert "::" not in sql, f"{path}: DuckDB cast syntax"


def test_the_demo_answers_come_from_gold(warehouse: Warehouse) -> None:
    console = Console(record=True, width=200)
    print_business_answers(console, warehouse.settings)
    text = re.sub(r" +", " ", console.export_text())
    assert "│ 2025-08-01 │ Hồ Chí Minh │ 500.000 │ 1 │ 1 │ 0 │" in text
    assert "│ gold │ pos │ 910.000 │ 2 │" in text  # HD1 (2023) and HD6 (2024)
    assert "│ 2023-01-01 │ 2 │ 0 % │ 0 % │ 0 % │ 50 % │" in text
    # Hồ Chí Minh sold in one month of 2023: its 2024 growth is on a small base.
    assert "│ 2024 │ Hồ Chí Minh │ 730.000 │ +4.3 % │ +3.6 % │ +0.6 % │ yes │" in text


def test_every_row_is_accounted_for_from_file_to_silver(warehouse: Warehouse) -> None:
    balances = reconcile.warehouse_balances(warehouse.settings)
    assert [(b.source, b.check, b.expected, b.actual) for b in balances] == [
        # 4 customers and Nam's update; the record at the watermark is not landed twice.
        ("crm", "bronze = silver + copies", 5, 5),
        ("sales", "bronze = silver + copies", 13, 13),
        ("sales", "file = loaded + quarantined", 15, 15),
        ("sales", "loaded = bronze", 13, 13),
        # HD12 and HD13 are held back whole (their only line was quarantined).
        ("sales", "quarantined = judged lines + copies", 2, 2),
        ("sales", "silver = gold + held back", 12, 12),
    ]
    reconcile.require_balanced(balances)


def test_a_bronze_part_gone_missing_fails_the_accounting(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """Rows deleted behind the pipeline's back: the reconciliation test fails and the
    summary's check names the gap, instead of gold shrinking quietly."""
    home = tmp_path / "home"
    shutil.copytree(warehouse.settings.home, home)
    copy = Warehouse(Settings.from_env({"SME_PULSE_HOME": str(home)}), tmp_path, [])
    [part] = (home / "lake" / "bronze" / "sales" / "order_lines").rglob("*.parquet")
    lines = pq.read_table(part, partitioning=None)
    pq.write_table(lines.slice(0, lines.num_rows - 2), part)
    with pytest.raises(pytest.fail.Exception, match="FAIL 1 expression_is_true_int_row_rec"):
        copy.dbt("build", "--full-refresh", "-s", "+int_row_reconciliation")
    with pytest.raises(reconcile.ReconciliationError, match="sales loaded = bronze: 13 vs 11"):
        reconcile.require_balanced(reconcile.warehouse_balances(copy.settings))


CHECKED_TABLES = (
    "silver.stg_sales_order_lines", "silver.stg_sales_orders", "silver.stg_customers",
    "silver.int_customers_unified", "silver.int_row_reconciliation", "gold.fct_sales",
    "gold.fct_sales_monthly_by_province", "gold.mart_sales_vs_macro",
    "gold.fct_customer_cohorts", "gold.fct_revenue_by_segment_channel",
)  # fmt: skip


def checksums(warehouse: Warehouse) -> dict[str, tuple[int, str]]:
    """Rows and an order-independent digest of every checked table."""
    sums = {}
    for table in CHECKED_TABLES:
        rows = sorted(repr(row) for row in warehouse.query(f"select * from {table}"))
        sums[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return sums


def test_rerunning_every_task_and_a_backfill_change_nothing(
    warehouse: Warehouse, fault_ledger: Any
) -> None:
    """Last in the module: it runs the tasks again on the shared warehouse."""
    before = checksums(warehouse)
    for context in (run(2), RunContext("backfill", "2025-12-01", datetime.now(UTC))):
        ingest_sales(warehouse.settings, context)
        ingest_customers(warehouse.settings, context)
        warehouse.dbt("build")
        after = checksums(warehouse)
        changed = [t for t in CHECKED_TABLES if after[t] != before[t]]
        assert changed == [], f"{context.run_id}: {changed}"
    lines = before["silver.stg_sales_order_lines"][0]
    for fault in ("the same day's tasks run again", "a backfill run for a past date"):
        fault_ledger.record(
            "processes",
            fault,
            expected="silver and gold unchanged (rows and checksums of 10 tables)",
            observed=f"10 tables identical; {lines} order lines, once each",
        )
