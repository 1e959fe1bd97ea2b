"""The synthetic feed generator: determinism, realism, and the 2025 reform in its codes."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sme_pulse.config import Settings
from sme_pulse.feeds.cli import feeds_app
from sme_pulse.feeds.generator import GeneratorConfig, GeneratorError, generate
from sme_pulse.feeds.seasons import TET_DATES
from sme_pulse.feeds.vocab import load_vocab
from sme_pulse.ingestion.admin_units import REFORM_DATE, load_admin_units
from sme_pulse.ingestion.values import normalize_phone
from sme_pulse.sales import ingest_sales
from sme_pulse.sources.lineage import RunContext
from typer.testing import CliRunner

pytestmark = pytest.mark.unit

CONFIG = GeneratorConfig(customers=400, seed=11, dirty_share=0.03)


def digest(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pa.Table]:
    """One generated data set, ingested once, shared by the realism checks."""
    home = tmp_path_factory.mktemp("generated")
    generate(home, CONFIG)
    settings = Settings.from_env({"SME_PULSE_HOME": str(home)})
    ingest_sales(settings, RunContext("gen", "2026-01-15", datetime(2026, 1, 15, tzinfo=UTC)))
    files = sorted((home / "lake/bronze/sales/order_lines").rglob("*.parquet"))
    return home, pa.concat_tables([pq.read_table(f, partitioning=None) for f in files])


def test_the_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    small = GeneratorConfig(customers=80, seed=5)
    generate(tmp_path / "a", small)
    generate(tmp_path / "b", small)
    generate(tmp_path / "c", GeneratorConfig(customers=80, seed=6))
    first, second = digest(tmp_path / "a"), digest(tmp_path / "b")
    assert first == second
    assert "landing/website_orders.xlsx" in first
    assert digest(tmp_path / "c")["crm/customers.jsonl"] != first["crm/customers.jsonl"]


def test_landing_holds_every_export_flavour(loaded: tuple[Path, pa.Table]) -> None:
    home, _ = loaded
    names = sorted(p.name for p in (home / "landing").iterdir())
    assert "tiktok_shop_orders.jsonl" in names and "website_orders.xlsx" in names
    assert {"pos_sales_2023.csv", "shopee_orders_2024.csv", "lazada_orders_2025.csv"} <= set(names)
    pos = (home / "landing/pos_sales_2024.csv").read_bytes()
    assert pos.startswith(b"\xef\xbb\xbf") and b"\r\n" in pos
    shopee = (home / "landing/shopee_orders_2024.csv").read_bytes()
    assert not shopee.startswith(b"\xef\xbb\xbf") and b"\r\n" not in shopee
    assert "Mã hóa đơn" in pos.decode("utf-8-sig").splitlines()[0]
    summary = json.loads((home / "generation_summary.json").read_text())
    assert summary["lines"] == sum(f["rows"] for f in summary["files"].values())


def test_orders_use_old_codes_before_the_reform_and_new_codes_after(
    loaded: tuple[Path, pa.Table],
) -> None:
    home, lines = loaded
    units = load_admin_units()
    rows = lines.select(["order_date_local", "province_code", "district_code"]).to_pylist()
    before = [r for r in rows if r["order_date_local"] < REFORM_DATE]
    after = [r for r in rows if r["order_date_local"] >= REFORM_DATE]
    assert before and after
    assert all(units.old_districts[r["district_code"]] == r["province_code"] for r in before)
    assert all(r["province_code"] in units.new_provinces for r in after)
    assert all(r["district_code"] is None for r in after)
    assert {r["province_code"] for r in before} - set(units.new_provinces)
    with (home / "landing/pos_sales_2025.csv").open(encoding="utf-8-sig", newline="") as handle:
        raw = list(csv.DictReader(handle))
    late = [r for r in raw if r["Thời gian"][3:5] >= "07" and r["Thời gian"][6:10] == "2025"]
    assert late and all(r["Mã huyện"] == "" for r in late)


def test_customers_look_vietnamese_and_contacts_normalise(loaded: tuple[Path, pa.Table]) -> None:
    home, lines = loaded
    vocab = load_vocab()
    families = {name for name, _ in vocab["family_names"]}
    customers = [json.loads(line) for line in (home / "crm/customers.jsonl").open()]
    assert len(customers) == CONFIG.customers
    named = [c for c in customers if c["full_name"].strip()]
    assert all(len(c["full_name"].split()) == 3 for c in named)
    assert all(c["full_name"].split()[0] in families for c in named)
    assert Counter(c["full_name"].split()[0] for c in named).most_common(1)[0][0] == "Nguyễn"
    assert sum(not c["full_name"].isascii() for c in named) > 0.9 * len(named)
    assert all(c["email"].isascii() for c in customers if c["email"])
    assert all(normalize_phone(c["phone"]) for c in customers if c["phone"])
    raw_phones = [p for p in lines.column("customer_phone").to_pylist() if p]
    assert len({p[:3] for p in raw_phones}) > 2, "phones come in several written forms"
    assert lines.column("phone_normalized").null_count == lines.column("customer_phone").null_count


def test_sales_have_channels_statuses_vnd_and_a_tet_peak(loaded: tuple[Path, pa.Table]) -> None:
    _, lines = loaded
    rows = lines.select(["order_id", "order_date_local", "channel", "status"]).to_pylist()
    assert {r["channel"] for r in rows} == {"pos", "shopee", "lazada", "tiktok_shop", "website"}
    assert {"completed", "cancelled", "refunded"} <= {r["status"] for r in rows}
    assert all(v % 1000 == 0 for v in lines.column("unit_price_vnd").to_pylist())
    daily = Counter(day for _, day in {(r["order_id"], r["order_date_local"]) for r in rows})
    tet = TET_DATES[2024]
    rush = sum(daily[tet - timedelta(days=d)] for d in range(3, 24)) / 21
    span = (CONFIG.end - CONFIG.start).days + 1
    average = sum(daily.values()) / span
    assert rush > 1.5 * average
    assert sum(daily[tet + timedelta(days=d)] for d in range(4)) / 4 < average


def test_single_csv_layout_and_line_limit(tmp_path: Path) -> None:
    config = GeneratorConfig(customers=200, seed=1, single_csv=True, max_lines=500)
    summary = generate(tmp_path, config)
    assert list(summary.files) == ["sales_export_all.csv"]
    text = (tmp_path / "landing/sales_export_all.csv").read_text(encoding="utf-8-sig")
    assert len(text.splitlines()) == 501
    assert summary.lines == 500


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (GeneratorConfig(start=date(2019, 1, 1)), "no Tết date recorded for 2019"),
        (GeneratorConfig(start=date(2025, 1, 2), end=date(2025, 1, 1)), "before start"),
        (GeneratorConfig(dirty_share=0.9), "dirty share"),
        (GeneratorConfig(customers=0), "customers"),
    ],
)
def test_unusable_settings_are_refused(
    tmp_path: Path, config: GeneratorConfig, message: str
) -> None:
    with pytest.raises(GeneratorError, match=message):
        generate(tmp_path, config)


def test_cli_generate_writes_and_summarises(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        feeds_app,
        [
            "generate",
            "--out",
            str(tmp_path),
            "--customers",
            "50",
            "--seed",
            "9",
            "--start",
            "2025-06-01",
            "--end",
            "2025-08-31",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "crm/customers.jsonl: 50 customers" in result.output
    assert (tmp_path / "landing/pos_sales_2025.csv").exists()
    bad = CliRunner().invoke(
        feeds_app, ["generate", "--out", str(tmp_path), "--start", "2030-01-01"]
    )
    assert bad.exit_code == 2
