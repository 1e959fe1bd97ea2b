"""How the dbt models scale on DuckDB, and what a daily incremental run costs.

    make bench                                  # writes the "dbt at scale" section
    .venv/bin/python benchmarks/bench_dbt_scale.py --sizes 100000 1000000

For each size, a generated shop (`sme_pulse.feeds.generator`, one customer per ten order
lines, three years of sales, about 2 % dirty lines) goes through the real ingestion
(sales exports, CRM customers over HTTP from the feed simulator, the replayed World Bank
and provinces data) into a fresh lake, then `dbt build --full-refresh` builds every
model and runs every test. At the largest size one more day of sales is generated,
loaded, and built with a plain `dbt build`, the run a daily schedule makes: order lines
and orders are incremental, the rest is rebuilt. Every dbt build is a whole process:
wall time and its peak RSS (DuckDB runs inside it) are measured around it. Generated
shops are cached under SME_PULSE_HOME/bench/data; nothing is asserted.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from doc_sections import write_section
from sme_pulse import runs
from sme_pulse.config import Settings
from sme_pulse.crm import ingest_customers
from sme_pulse.feeds.generator import GeneratorConfig, generate
from sme_pulse.feeds.simulator import start_server
from sme_pulse.sales import ingest_sales
from sme_pulse.sources.lineage import RunContext

REPO = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).with_name("dbt")
SIZES = (100_000, 1_000_000, 10_000_000)
SLOWEST_MODELS = 5
INCREMENTAL_TARGET = 0.10
INCREMENTAL_MODELS = ("stg_sales_order_lines", "stg_sales_orders")


@dataclass(frozen=True)
class Build:
    label: str
    lines: int
    wall_s: float
    peak_rss_mib: float
    models: dict[str, float]
    tests_s: float
    """Summed over dbt's threads, so it can exceed the wall time."""

    @property
    def slowest(self) -> list[tuple[str, float]]:
        return sorted(self.models.items(), key=lambda m: m[1], reverse=True)[:SLOWEST_MODELS]


def shop_config(lines: int) -> GeneratorConfig:
    return GeneratorConfig(customers=max(lines // 10, 10), seed=2026, single_csv=True)


def cached_shop(cache: Path, name: str, config: GeneratorConfig) -> Path:
    """Generate once; later runs reuse the folder (written whole, then renamed)."""
    final = cache / name
    if not (final / "generation_summary.json").is_file():
        tmp = cache / f".{name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        started = time.monotonic()
        generate(tmp, config)
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        print(f"  generated {name} in {time.monotonic() - started:.0f} s", flush=True)
    return final


def dbt_build(settings: Settings, work: Path, label: str, lines: int, *args: str) -> Build:
    """`dbt build` as its own process: wall time, peak RSS, the slowest models."""
    target = work / f"dbt-target-{label}"
    command = [
        str(DBT), "build", *args, "--project-dir", str(REPO / "dbt"), "--profiles-dir",
        str(REPO / "dbt"), "--target-path", str(target), "--log-path", str(work / "dbt-logs"),
    ]  # fmt: skip
    env = {**os.environ, **settings.dbt_env()}
    started = time.monotonic()
    with (work / f"dbt-{label}.log").open("w") as log:
        process = subprocess.Popen(command, cwd=REPO / "dbt", env=env, stdout=log, stderr=log)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    if status != 0:
        raise SystemExit(f"dbt build {label} failed; see {work / f'dbt-{label}.log'}")
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = {
        r["unique_id"].split(".")[-1]: r["execution_time"]
        for r in results
        if r["unique_id"].startswith("model.")
    }
    tests = sum(r["execution_time"] for r in results if r["unique_id"].startswith("test."))
    return Build(label, lines, wall, usage.ru_maxrss / 1024, models, tests)


def load(settings: Settings, shop: Path, run: RunContext, crm: bool = True) -> None:
    landing = Path(settings.landing_uri)
    landing.mkdir(parents=True, exist_ok=True)
    for path in (shop / "landing").iterdir():
        shutil.copyfile(path, landing / f"{shop.name}_{path.name}")
    ingest_sales(settings, run)
    if crm:
        ingest_customers(settings, run)


def measure(lines: int, cache: Path, root: Path, daily: bool) -> list[Build]:
    config = shop_config(lines)
    shop = cached_shop(cache, f"dbt-scale-seed{config.seed}-{lines}", config)
    summary = json.loads((shop / "generation_summary.json").read_text())
    work = root / str(lines)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    server, url = start_server(shop / "crm")
    try:
        settings = Settings.from_env({**os.environ, "SME_PULSE_HOME": str(work / "home"),
                                      "CUSTOMER_API_URL": url, "WAREHOUSE_PATH": "",
                                      "LAKE_URI": "", "LANDING_URI": ""})  # fmt: skip
        now = datetime.now(UTC)
        first = RunContext("bench_1", now.date().isoformat(), now)
        runs.ingest_world_bank(settings, first)
        runs.ingest_provinces(settings, first)
        started = time.monotonic()
        load(settings, shop, first)
        print(f"  {lines:,} lines: ingested in {time.monotonic() - started:.0f} s", flush=True)
        builds = [dbt_build(settings, work, "full", summary["lines"], "--full-refresh")]
        print(f"  {lines:,} lines: full build {builds[-1].wall_s:.1f} s", flush=True)
        if daily:
            # The same customers buying on the day after the history ends, at the history's
            # daily rate (the generator spreads orders_per_customer over its date range).
            next_day = config.end + timedelta(days=1)
            days = (config.end - config.start).days + 1
            day_config = replace(
                config, start=next_day, end=next_day,
                orders_per_customer=config.orders_per_customer / days,
                order_number_offset=summary["orders"],
            )  # fmt: skip
            day = cached_shop(cache, f"dbt-scale-day-seed{config.seed}-{lines}", day_config)
            day_lines = json.loads((day / "generation_summary.json").read_text())["lines"]
            later = datetime.now(UTC)
            load(settings, day, RunContext("bench_2", later.date().isoformat(), later), crm=False)
            builds.append(dbt_build(settings, work, "daily", day_lines))
            print(f"  {lines:,} lines: daily build {builds[-1].wall_s:.1f} s", flush=True)
        return builds
    finally:
        server.stop()


def render(builds: list[Build], sizes: list[int]) -> str:
    full = [b for b in builds if b.label == "full"]
    daily = next((b for b in builds if b.label == "daily"), None)
    top = full[-1]
    rows = [
        "| order lines | build | wall | peak RSS | per million lines | tests (summed) "
        "| slowest models |",
        "| ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for b in builds:
        slowest = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in b.slowest)
        full_build = b.label == "full"
        rows.append(
            f"| {b.lines:,}{'' if full_build else ' new'} | "
            f"{'full (`--full-refresh`)' if full_build else 'daily (`dbt build`)'} | "
            f"{b.wall_s:.1f} s | {b.peak_rss_mib:,.0f} MiB | "
            f"{f'{b.wall_s / b.lines * 1e6:.1f} s' if full_build else '-'} | "
            f"{b.tests_s:.1f} s | {slowest} |"
        )
    growth = [
        f"{later.wall_s / earlier.wall_s:.1f}x the time for {later.lines / earlier.lines:.0f}x "
        f"the lines ({earlier.lines:,} → {later.lines:,})"
        for earlier, later in itertools.pairwise(full)
    ]
    out = [
        "## dbt at scale (DuckDB)",
        "",
        f"`benchmarks/bench_dbt_scale.py`, sizes {', '.join(f'{s:,}' for s in sizes)} "
        "generated lines: every model and every test (`dbt build`), the silver and gold of "
        "both DAGs. See the script's docstring for what runs.",
        "",
        *rows,
        "",
        "Growth: " + ("; ".join(growth) if growth else "one size only") + ".",
        "",
        f"Target: silver + gold on 10M order lines ≤ 60 s. Largest size measured: "
        f"{top.lines:,} lines in {top.wall_s:.1f} s.",
    ]
    if daily:
        share = daily.wall_s / top.wall_s
        verdict = "met" if share <= INCREMENTAL_TARGET else "missed"
        incremental = "; ".join(
            f"{m} {daily.models[m]:.1f} s against {top.models[m]:.1f} s in the full build"
            for m in INCREMENTAL_MODELS
        )
        out += [
            "",
            f"Daily run after one more day ({daily.lines:,} lines) at {top.lines:,}: "
            f"{daily.wall_s:.1f} s, {share:.0%} of the full build "
            f"(target ≤ {INCREMENTAL_TARGET:.0%}: {verdict}). The incremental models: "
            f"{incremental}. The rest of the time is the models rebuilt whole and the tests.",
        ]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args()
    home = Path(os.environ.get("SME_PULSE_HOME", REPO / ".local")).resolve()
    cache, root = home / "bench" / "data", home / "bench" / "dbt-scale"
    cache.mkdir(parents=True, exist_ok=True)
    sizes = sorted(args.sizes)
    builds: list[Build] = []
    for lines in sizes:
        builds += measure(lines, cache, root, daily=lines == sizes[-1])
    write_section("dbt-scale", render(builds, sizes))
    print(render(builds, sizes))


if __name__ == "__main__":
    main()
