"""The stream in the models: silver deduplicates events and keeps each order's latest
state, gold counts streamed orders beside exported ones and no order twice.

A small generated shop goes through the real file ingestion (exports, the CRM simulator,
the replayed World Bank and provinces data) and a full `dbt build` on DuckDB with no
stream at all: gold must be what the exports alone give. Then a second shop's events,
with duplicates, out-of-order and late events, plus the events of two orders the exports
also carry, are landed in bronze by the consumer's writer (the broker's part is proven in
test_consumer.py) and dbt builds again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sme_pulse import runs
from sme_pulse.config import Settings
from sme_pulse.crm import ingest_customers
from sme_pulse.feeds.generator import GeneratorConfig, generate
from sme_pulse.feeds.simulator import start_server
from sme_pulse.sales import ingest_sales
from sme_pulse.sources.lineage import RunContext
from sme_pulse.storage import Lake
from sme_pulse.stream.consumer import BronzeWriter
from sme_pulse.stream.contract import Message
from sme_pulse.stream.producer import Faults, plan, shop_orders

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")
TOPIC = "sme_pulse.order_events"
EXPORTS = GeneratorConfig(
    customers=15, seed=3, dirty_share=0.0, start=date(2025, 11, 1), end=date(2025, 11, 20)
)
STREAMED = GeneratorConfig(
    customers=15,
    seed=4,
    start=date(2025, 11, 15),
    end=date(2025, 11, 30),
    order_number_offset=900_000,
)
FAULTS = Faults(duplicate_share=0.15, out_of_order_share=0.3, late_share=0.15, poison=2)


@dataclass
class Shop:
    settings: Settings
    work: Path
    exported_ids: set[str]
    """Orders the exports carry, as silver holds them."""
    streamed: list[dict[str, Any]]
    """Every order whose events are published: the second shop and two exported orders."""
    gold_without_stream: list[tuple[Any, ...]]

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.settings.warehouse_path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def build(self) -> None:
        result = subprocess.run(
            [str(DBT), "build", "--project-dir", str(REPO / "dbt"), "--profiles-dir",
             str(REPO / "dbt"), "--target-path", str(self.work / "dbt-target"),
             "--log-path", str(self.work / "dbt-logs")],
            cwd=REPO / "dbt", env={**os.environ, **self.settings.dbt_env()},
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


GOLD_TOTALS = (
    "select count(*), count(distinct order_id), sum(net_revenue_vnd), sum(gmv_vnd), "
    "sum(refunded_vnd) from gold.fct_sales"
)


def land_events(lake: Lake, orders: list[dict[str, Any]]) -> None:
    """What the consumer writes for these orders' events: batches of one partition."""
    published = int(time.time() * 1000)
    messages = [
        Message(TOPIC, 0, offset, published, m.key.encode(), m.value)
        for offset, m in enumerate(plan(orders, FAULTS, seed=9).messages)
    ]
    writer = BronzeWriter(lake)
    for start in range(0, len(messages), 40):
        writer.write(messages[start : start + 40])


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    work = tmp_path_factory.mktemp("stream-models")
    generate(work / "feeds", EXPORTS)
    server, url = start_server(work / "feeds" / "crm")
    try:
        settings = Settings.from_env(
            {"SME_PULSE_HOME": str(work / "home"), "CUSTOMER_API_URL": url}
        )
        landing = Path(settings.landing_uri)
        landing.mkdir(parents=True)
        for path in (work / "feeds" / "landing").iterdir():
            (landing / path.name).write_bytes(path.read_bytes())
        run = RunContext("stream_models", "2026-01-01", datetime.now(UTC))
        runs.ingest_world_bank(settings, run)
        runs.ingest_provinces(settings, run)
        ingest_sales(settings, run)
        ingest_customers(settings, run)
        shop = Shop(settings, work, set(), [], [])
        shop.build()
        shop.gold_without_stream = shop.query(GOLD_TOTALS)
        shop.exported_ids = {
            r[0] for r in shop.query("select order_id from silver.stg_sales_orders")
        }
        both_ways = [o for o in shop_orders(EXPORTS) if o["order_id"] in shop.exported_ids][:2]
        shop.streamed = [*shop_orders(STREAMED), *both_ways]
        land_events(Lake.from_settings(settings), shop.streamed)
        shop.build()
        yield shop
    finally:
        server.stop()


def revenue(orders: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(net revenue, GMV, refunded) worked out from the generator's orders."""
    net = gmv = refunded = 0
    for order in orders:
        total = sum(
            line["quantity"] * line["unit_price_vnd"] - line["discount_vnd"]
            for line in order["lines"]
        )
        gmv += total
        net += total if order["status"] == "completed" else 0
        refunded += total if order["status"] == "refunded" else 0
    return net, gmv, refunded


def test_without_events_gold_is_the_exports_alone(shop: Shop) -> None:
    assert shop.gold_without_stream == shop.query(
        "select count(*), count(distinct order_id), "
        "sum(case when status = 'completed' then line_total_vnd else 0 end), sum(line_total_vnd), "
        "sum(case when status = 'refunded' then line_total_vnd else 0 end) "
        "from silver.stg_sales_order_lines"
    )


def test_silver_holds_each_event_once(shop: Shop) -> None:
    planned = plan(shop.streamed, FAULTS, seed=9)
    event_ids = {m.event_id for m in planned.messages if m.event_id}
    duplicated = len([m for m in planned.messages if m.kind == "duplicate"])
    assert shop.query("select count(*), count(distinct event_id) from silver.stg_order_events") == [
        (len(event_ids), len(event_ids))
    ]
    assert shop.query(
        "select count(*) from silver.stg_order_events where published_copies = 2"
    ) == [(duplicated,)]


def test_each_order_is_in_its_latest_state_whatever_the_arrival_order(shop: Shop) -> None:
    rows = shop.query(
        "select order_id, min(status), count(*) from silver.int_stream_order_lines group by 1"
    )
    expected = {o["order_id"]: (o["status"], len(o["lines"])) for o in shop.streamed}
    assert {order_id: (status, n) for order_id, status, n in rows} == expected


def test_gold_adds_streamed_orders_and_counts_none_twice(shop: Shop) -> None:
    stream_only = [o for o in shop.streamed if o["order_id"] not in shop.exported_ids]
    assert len(stream_only) == len(shop.streamed) - 2
    ((lines, orders, net, gmv, refunded),) = shop.query(GOLD_TOTALS)
    ((lines_before, orders_before, *amounts_before),) = shop.gold_without_stream
    assert orders == orders_before + len(stream_only)
    assert lines == lines_before + sum(len(o["lines"]) for o in stream_only)
    assert [net, gmv, refunded] == [
        a + b for a, b in zip(amounts_before, revenue(stream_only), strict=True)
    ]
    # An order sent both ways is the export's: its lines come from the landing file.
    both = shop.streamed[-1]["order_id"]
    sources = f"select distinct source_file from gold.fct_sales where order_id = '{both}'"
    assert [s.startswith("kafka://") for (s,) in shop.query(sources)] == [False]
    streamed = (
        f"select count(distinct order_id) from gold.fct_sales where source_file = 'kafka://{TOPIC}'"
    )
    assert shop.query(streamed) == [(len(stream_only),)]
