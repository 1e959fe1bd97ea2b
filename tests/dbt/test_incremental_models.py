"""Incremental silver equals a full rebuild after the loads a shop really sends.

A generated shop goes through the real ingestion and a full `dbt build`; then three more
loads arrive, each followed by an incremental `dbt build`: a new day of sales, a later
export that repeats lines already loaded, and a corrected version of the first export
that drops some of its lines and changes a status (which makes that run recompute every
line, see macros/corrected_since_last_run.sql). After them every incremental model,
and the gold built on it, must hold exactly what `dbt build --full-refresh` makes of the
same bronze.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
from sme_pulse import runs
from sme_pulse.config import Settings
from sme_pulse.crm import ingest_customers
from sme_pulse.feeds.generator import GeneratorConfig, generate
from sme_pulse.feeds.simulator import start_server
from sme_pulse.sales import ingest_sales
from sme_pulse.sources.lineage import RunContext

from .conftest import run_dbt

pytestmark = pytest.mark.integration

INCREMENTAL = ("silver.stg_sales_order_lines", "silver.stg_sales_orders")
DOWNSTREAM = (
    "gold.fct_sales",
    "gold.fct_sales_monthly_by_province",
    "gold.fct_customer_cohorts",
    "silver.int_customers_unified",
)
SHOP = GeneratorConfig(customers=60, seed=7, start=date(2024, 1, 1), end=date(2024, 6, 30))


def dbt(settings: Settings, work: Path, *args: str) -> None:
    run_dbt(work, *args, env=settings.dbt_env())


def snapshot(settings: Settings, tables: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Every row of each table, sorted, so two builds compare as lists."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return {t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in tables}


def compiled(work: Path) -> list[str]:
    """The SQL dbt last ran for each incremental model."""
    folder = work / "dbt-target" / "compiled" / "sme_pulse" / "models" / "staging" / "sales"
    return [(folder / f"{table.split('.')[1]}.sql").read_text() for table in INCREMENTAL]


def load(settings: Settings, n: int) -> None:
    run = RunContext(f"incremental_{n}", f"2026-02-{n:02d}", datetime.now(UTC))
    ingest_sales(settings, run)
    ingest_customers(settings, run)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Path, list]]:
    work = tmp_path_factory.mktemp("incremental")
    first = generate(work / "shop", SHOP)
    server, url = start_server(work / "shop" / "crm")
    try:
        settings = Settings.from_env(
            {"SME_PULSE_HOME": str(work / "home"), "CUSTOMER_API_URL": url}
        )
        landing = Path(settings.landing_uri)
        landing.mkdir(parents=True)
        exports = sorted((work / "shop" / "landing").iterdir())
        for path in exports:
            (landing / path.name).write_bytes(path.read_bytes())
        external = RunContext("replay_1", "2026-02-01", datetime.now(UTC))
        runs.ingest_world_bank(settings, external)
        runs.ingest_provinces(settings, external)
        load(settings, 1)
        dbt(settings, work, "build", "--full-refresh")
        daily_sql: list[str] = []

        # A new day, numbered after the first export's orders.
        day = replace(
            SHOP, start=date(2024, 7, 1), end=date(2024, 7, 1), single_csv=True,
            order_number_offset=first.orders,
        )  # fmt: skip
        generate(work / "day", day)
        for path in (work / "day" / "landing").iterdir():
            (landing / f"day_{path.name}").write_bytes(path.read_bytes())
        load(settings, 2)
        dbt(settings, work, "build")
        daily_sql += compiled(work)

        # A later export repeating the first export's opening lines.
        head = exports[0].read_bytes().splitlines(keepends=True)
        (landing / f"again_{exports[0].name}").write_bytes(b"".join(head[:40]))
        load(settings, 3)
        dbt(settings, work, "build")
        daily_sql += compiled(work)

        # The first export corrected: some orders dropped, one status changed.
        corrected = [head[0], *(line for i, line in enumerate(head[1:]) if i % 7 != 3)]
        corrected[1] = corrected[1].replace(b"completed", b"cancelled", 1)
        (landing / exports[0].name).write_bytes(b"".join(corrected))
        load(settings, 4)
        dbt(settings, work, "build")
        daily_sql += compiled(work)

        incremental = snapshot(settings, INCREMENTAL + DOWNSTREAM)
        dbt(settings, work, "build", "--full-refresh")
        full = snapshot(settings, INCREMENTAL + DOWNSTREAM)
        yield settings, work, [incremental, full, daily_sql]
    finally:
        server.stop()


def test_incremental_runs_equal_a_full_rebuild(built: tuple[Settings, Path, list]) -> None:
    _, _, (incremental, full, _) = built
    for table in INCREMENTAL + DOWNSTREAM:
        only_incremental = [r for r in incremental[table] if r not in full[table]]
        only_full = [r for r in full[table] if r not in incremental[table]]
        assert not only_incremental and not only_full, (table, only_incremental[:3], only_full[:3])
        assert full[table], f"{table} is empty: the comparison would prove nothing"


def test_new_and_repeated_exports_read_only_what_they_touched(
    built: tuple[Settings, Path, list],
) -> None:
    """The new day and the repeated lines are daily runs; the correction recomputes all."""
    _, _, (_, _, daily_sql) = built
    new_day, repeated, correction = (
        daily_sql[i : i + len(INCREMENTAL)] for i in range(0, len(daily_sql), len(INCREMENTAL))
    )
    for sql in (*new_day, *repeated):
        assert "touched" in sql and "max(loaded_at)" in sql
    for sql in correction:
        assert "touched" not in sql
