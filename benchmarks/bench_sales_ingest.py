"""Sales ingestion throughput and memory on one large landing CSV.

    .venv/bin/python benchmarks/bench_sales_ingest.py --rows 1000000

Generates (or, with --reuse, keeps) a canonical CSV of `--rows` order lines in a child
process, so the generator's memory does not count, then ingests it into a fresh lake
folder and prints rows/s and the peak resident memory of the ingesting process (the
kernel's ru_maxrss, cross-checked by sampling /proc/self/status). Nothing is asserted:
the numbers are for reading, and for comparing before and after a change.
"""

from __future__ import annotations

import argparse
import math
import resource
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sme_pulse.config import Settings
from sme_pulse.feeds.generator import GeneratorConfig, generate
from sme_pulse.sales import ingest_sales
from sme_pulse.sources.lineage import RunContext

LINES_PER_CUSTOMER = 10
CSV_NAME = "sales_export_all.csv"


def rss_mib() -> float:
    """Current resident set size of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakSampler:
    """Samples RSS every 50 ms in a thread; `peak` is the highest value seen."""

    def __init__(self) -> None:
        self.peak = rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_mib())

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def make_landing(folder: Path, rows: int) -> None:
    customers = math.ceil(rows / LINES_PER_CUSTOMER * 1.2)
    config = GeneratorConfig(customers=customers, seed=2026, single_csv=True, max_lines=rows)
    started = time.perf_counter()
    summary = generate(folder, config)
    elapsed = time.perf_counter() - started
    print(f"generated {summary.lines} lines ({summary.orders} orders) in {elapsed:.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path(".local/bench"))
    parser.add_argument("--reuse", action="store_true", help="keep an existing landing CSV")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    data = args.workdir / f"rows-{args.rows}"
    if args.generate_only:
        make_landing(data, args.rows)
        return
    landing_csv = data / "landing" / CSV_NAME
    if not (args.reuse and landing_csv.exists()):
        shutil.rmtree(data, ignore_errors=True)
        cmd = [sys.executable, __file__, "--rows", str(args.rows), "--workdir", str(args.workdir)]
        subprocess.run([*cmd, "--generate-only"], check=True)

    lake = args.workdir / "lake"
    shutil.rmtree(lake, ignore_errors=True)
    settings = Settings.from_env(
        {
            "SME_PULSE_HOME": str(args.workdir),
            "LANDING_URI": str(data / "landing"),
            "LAKE_URI": str(lake),
        }
    )
    run = RunContext("bench", datetime.now(UTC).date().isoformat(), datetime.now(UTC))
    baseline = rss_mib()
    with PeakSampler() as sampler:
        started = time.perf_counter()
        report = ingest_sales(settings, run)
        elapsed = time.perf_counter() - started
    peak_kernel = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    size_mib = landing_csv.stat().st_size / 2**20
    parquet_mib = sum(p.stat().st_size for p in lake.rglob("*.parquet")) / 2**20
    print("\n".join(report.lines()))
    print(f"input: {size_mib:.0f} MiB CSV -> {parquet_mib:.0f} MiB Parquet (zstd)")
    print(f"time: {elapsed:.1f}s, {report.rows_read / elapsed:,.0f} rows/s")
    print(
        f"memory: peak RSS {peak_kernel:.0f} MiB (ru_maxrss), {sampler.peak:.0f} MiB sampled, "
        f"{baseline:.0f} MiB before ingesting"
    )


if __name__ == "__main__":
    main()
