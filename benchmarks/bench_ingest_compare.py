"""Sales ingestion against pandas and dlt, on the same file, in the same session.

    make bench                     # what the numbers in docs/benchmarks.md come from
    .local/bench/venv/bin/python benchmarks/bench_ingest_compare.py --sizes 100000 --repeats 2

Why this exists: "SME Pulse lands a validated CSV in bronze faster than the script you would
write yourself" is only a claim until it is measured next to that script, on the same
machine, the same file and the same minute. So every contender here is a whole process
(a fresh interpreter, imports included, as a scheduler would start it), runs once as a
warm-up that is thrown away, then `--repeats` times in rotating order; every figure is a
median, and every ratio is taken pair by pair (run i of a contender against run i of SME
Pulse on CSV) before its median is taken, so a slow minute on the machine hits both sides
of a pair. Peak memory is the kernel's ru_maxrss of each child, read with os.wait4 by a
bare launcher process (see LAUNCHER). A header-only file is run too, so that start-up
(interpreter, imports) can be told apart from throughput; `--no-startup` skips it.

Contenders, all reading the same canonical CSV (`sme_pulse.feeds.generator`, seed 2026):

* SME Pulse: `sme-pulse ingest sales` with LANDING_URI on a folder holding only that file
  and LAKE_URI on an emptied folder (validation, quarantine, manifest: the real work);
  the same lines as JSON Lines, and (smaller) as XLSX, to compare the formats;
* pandas: `read_csv(dtype=str)` -> `to_parquet(compression="zstd")`; above
  `--pandas-whole-max-lines` it reads in chunks into a pyarrow ParquetWriter, because the
  whole-file version needs memory in proportion to the file;
* dlt: its filesystem source's `read_csv` reader into the filesystem destination as
  Parquet, otherwise defaults; it is slow, so it runs up to `--dlt-max-lines` only.

Nothing is asserted: the targets in docs/benchmarks.md are reported as met or missed.
`--budget-minutes` bounds the run: a contender whose projected time does not fit is
skipped, and fewer repeats are run, always with a note in the document saying so.
Generated data lives in $SME_PULSE_HOME/bench/data and is reused while the generator's
code and seed are unchanged: only `--generate-lines` lines are generated (the generator
is slow); a smaller size is a prefix of them, a larger one is copies of them with the
order ids made distinct per copy.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import importlib.metadata
import importlib.util
import inspect
import math
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from doc_sections import write_section

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "benchmarks.md"
PLOT = REPO / "docs" / "benchmarks.svg"
CSV_NAME = "sales_export_all.csv"
SEED = 2026
LINES_PER_CUSTOMER = 10
MIB = 1024 * 1024

TARGET_PANDAS_RATIO = 2.0
TARGET_DLT_RATIO = 30.0
TARGET_ROWS_PER_S = 1_000_000
TARGET_RSS_MIB = 512
TARGET_RSS_FLAT = 1.2
"""'Flat' memory: the largest size's peak within 20 % of the 1M-line peak."""
TARGET_JSONL_RATIO = 2.0
VERSIONS = ("sme-pulse", "pyarrow", "duckdb", "pandas", "numpy", "dlt", "openpyxl", "matplotlib")


# --- the pandas and dlt contenders, run as `python <this file> <name> <args...>` -----------


def pandas_to_parquet(csv_path: str, out: str, chunk_lines: str) -> None:
    """What most people would write; in chunks when `chunk_lines` > 0 (large files)."""
    import pandas as pd

    if int(chunk_lines) == 0:
        df = pd.read_csv(csv_path, dtype=str)
        df.to_parquet(out, compression="zstd")
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer: pq.ParquetWriter | None = None
    for chunk in pd.read_csv(csv_path, dtype=str, chunksize=int(chunk_lines)):
        table = pa.Table.from_pandas(chunk, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(out, table.schema, compression="zstd")
        writer.write_table(table.cast(writer.schema))
    if writer is not None:
        writer.close()


def dlt_filesystem(landing: str, out: str, pipelines: str) -> None:
    """dlt's filesystem source and `read_csv` reader into Parquet files in a local folder."""
    import dlt
    from dlt.sources.filesystem import filesystem, read_csv

    files = filesystem(bucket_url=landing, file_glob="*.csv")
    pipeline = dlt.pipeline(
        pipeline_name="bench",
        destination=dlt.destinations.filesystem(bucket_url=out),
        dataset_name="sales",
        pipelines_dir=pipelines,
    )
    info = pipeline.run(
        (files | read_csv(dtype=str)).with_name("order_lines"), loader_file_format="parquet"
    )
    info.raise_on_failed_jobs()


CHILDREN: dict[str, Callable[..., None]] = {
    "pandas": pandas_to_parquet,
    "dlt": dlt_filesystem,
}


# --- data ---------------------------------------------------------------------------------


def _fingerprint() -> str:
    """The generator's code and data: cached files are regenerated when either changes."""
    spec = importlib.util.find_spec("sme_pulse.feeds")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("sme_pulse is not importable: run through `make bench`")
    root = Path(next(iter(spec.submodule_search_locations)))
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _sql(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _publish(tmp: Path, final: Path) -> Path:
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp.replace(final)
    return final


class Data:
    """The input files of every size and format, made once and kept under `root`."""

    def __init__(self, work: Path, generate_lines: int) -> None:
        self.base_lines = generate_lines
        self.root = work / "data" / f"seed{SEED}-gen{generate_lines}-{_fingerprint()}"
        self.prepare_s = 0.0
        self.made: list[str] = []
        for stale in self.root.parent.glob(f"seed{SEED}-gen{generate_lines}-*"):
            if stale != self.root:
                shutil.rmtree(stale, ignore_errors=True)

    def folder(self, lines: int, fmt: str) -> Path:
        return self.root / f"lines-{lines}" / fmt

    def _timed(self, what: str, make: Callable[[], Path]) -> Path:
        started = time.perf_counter()
        path = make()
        elapsed = time.perf_counter() - started
        self.prepare_s += elapsed
        self.made.append(f"{what} in {elapsed:.1f} s")
        print(f"  data: {what} in {elapsed:.1f} s", flush=True)
        return path

    def csv(self, lines: int) -> Path:
        path = self.folder(lines, "csv") / CSV_NAME
        if path.exists():
            return path
        if lines == self.base_lines:
            return self._timed(f"generated {lines:,} lines", lambda: self._generate(path))
        base = self.csv(self.base_lines)
        if lines < self.base_lines:
            return self._timed(f"{lines:,} lines (prefix)", lambda: self._prefix(base, path, lines))
        if lines % self.base_lines:
            raise SystemExit(f"{lines} is not a multiple of --generate-lines {self.base_lines}")
        copies = lines // self.base_lines
        return self._timed(
            f"{lines:,} lines ({copies} copies)", lambda: self._copies(base, path, copies)
        )

    def _generate(self, path: Path) -> Path:
        from sme_pulse.feeds.generator import GeneratorConfig, generate

        out = self.root / "generating"
        shutil.rmtree(out, ignore_errors=True)
        customers = math.ceil(self.base_lines / LINES_PER_CUSTOMER * 1.2)
        config = GeneratorConfig(
            customers=customers, seed=SEED, single_csv=True, max_lines=self.base_lines
        )
        generate(out, config)
        _publish(out / "landing" / CSV_NAME, path)
        shutil.rmtree(out)
        return path

    def _prefix(self, base: Path, path: Path, lines: int) -> Path:
        tmp = self.root / f".{lines}.tmp"
        with base.open("rb") as src, tmp.open("wb") as dst:
            for _ in range(lines + 1):
                dst.write(src.readline())
        return _publish(tmp, path)

    def _copies(self, base: Path, path: Path, copies: int) -> Path:
        """Copy k > 0 prefixes every order id with `B<k>-`; no generated id starts with B."""
        data = base.read_bytes()
        cut = data.index(b"\n") + 1
        header, body = data[:cut], b"\n" + data[cut:].rstrip(b"\r\n")
        if b"\nB" in body or b'\n"B' in body:
            raise SystemExit("generated order ids start with B: the copies would not be distinct")
        tmp = self.root / f".{copies}x.tmp"
        with tmp.open("wb") as out:
            out.write(header)
            for k in range(copies):
                mark = b"B%d-" % k
                copy = body if k == 0 else body.replace(b"\n", b"\n" + mark)
                if k:  # an empty id stays empty, a quoted one keeps its quote first
                    copy = copy.replace(b"\n" + mark + b",", b"\n,")
                    copy = copy.replace(b"\n" + mark + b'"', b'\n"' + mark)
                out.write(copy[1:])
                out.write(b"\r\n")
        return _publish(tmp, path)

    def jsonl(self, lines: int) -> Path:
        path = self.folder(lines, "jsonl") / "sales_export_all.jsonl"
        if path.exists():
            return path
        source = self.csv(lines)
        return self._timed(f"{lines:,} lines as JSON Lines", lambda: self._to_jsonl(source, path))

    def _to_jsonl(self, source: Path, path: Path) -> Path:
        """Every value as a JSON string, empty ones as null (DuckDB's CSV reader, in order)."""
        import duckdb

        tmp = self.root / ".jsonl.tmp"
        con = duckdb.connect()
        con.execute("SET preserve_insertion_order = true")
        con.execute(
            f"COPY (SELECT * FROM read_csv({_sql(source)}, all_varchar = true, header = true, "
            f"delim = ',', quote = '\"', escape = '\"')) TO {_sql(tmp)} (FORMAT json)"
        )
        con.close()
        return _publish(tmp, path)

    def xlsx(self, lines: int) -> Path:
        path = self.folder(lines, "xlsx") / "sales_export_all.xlsx"
        if path.exists():
            return path
        source = self.csv(lines)
        return self._timed(f"{lines:,} lines as XLSX", lambda: self._to_xlsx(source, path))

    def _to_xlsx(self, source: Path, path: Path) -> Path:
        """One sheet, the CSV's cells as text (empty ones blank), via openpyxl write-only."""
        import openpyxl

        tmp = self.root / ".xlsx.tmp"
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("sales")
        with source.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                sheet.append([cell if cell != "" else None for cell in row])
        workbook.save(tmp)
        return _publish(tmp, path)


# --- runs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    priority: int
    """Kept longest when the budget is short (SME Pulse on CSV is every pair's reference)."""


SME_CSV = Contender("sme-csv", "SME Pulse (CSV)", 0)
SME_JSONL = Contender("sme-jsonl", "SME Pulse (JSON Lines)", 2)
SME_XLSX = Contender("sme-xlsx", "SME Pulse (XLSX)", 3)
PANDAS = Contender("pandas", "pandas read_csv -> to_parquet", 1)
DLT = Contender("dlt", "dlt filesystem -> Parquet", 4)
CONTENDERS = (SME_CSV, SME_JSONL, SME_XLSX, PANDAS, DLT)


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    rss_mib: float
    rows_out: int | None
    detail: str


@dataclass
class Job:
    contender: Contender
    lines: int
    argv: list[str]
    env: dict[str, str]
    """Only what is set on top of the harness's own environment."""
    cwd: Path
    wipe: list[Path]
    count: Callable[[Path], tuple[int | None, str]]
    logs: Path
    pycache: Path
    note: str = ""
    warmup: Run | None = None
    runs: list[Run] = field(default_factory=list)

    def shell(self) -> str:
        env = " ".join(f"{k}={shlex.quote(_rel(v))}" for k, v in self.env.items())
        cmd = " ".join(shlex.quote(_rel(a)) for a in self.argv)
        cd = f"cd {shlex.quote(_rel(str(self.cwd)))} && " if self.cwd != REPO else ""
        return f"{cd}{env} {cmd}".strip()


def _rel(text: str) -> str:
    """Paths under the repository written relative to it, so the commands read well."""
    prefix = f"{REPO}/"
    return text.replace(prefix, "") if text.startswith(prefix) else text


def _parquet_rows(folder: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.rglob("*.parquet"))


def _sme_count(stdout: Path) -> tuple[int | None, str]:
    """read / loaded / quarantined as the CLI reports them (the run's last summary line)."""
    found = re.findall(r"read (\d+), loaded (\d+), quarantined (\d+)", stdout.read_text())
    if not found:
        return None, "no summary line in the CLI output"
    read, loaded, quarantined = (int(n) for n in found[-1])
    return read, f"loaded {loaded:,}, quarantined {quarantined:,}"


LAUNCHER = """
import os, sys, time
started = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(sys.argv[1], "w") as out:
    cpu = usage.ru_utime + usage.ru_stime
    out.write(f"{wall} {cpu} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""
"""Starts one contender and reports its wall time, CPU time and peak RSS.

A process's ru_maxrss starts at its parent's high-water mark (exec records the memory it
replaces), so the contender is started by this bare interpreter (`-I -S`, about 9 MiB)
rather than by the harness, which holds hundreds of MiB after preparing the data.
"""


class ContenderError(RuntimeError):
    """A contender's process exited non-zero; the message has the end of its stderr."""


CHILD_ENV = {"DO_NOT_TRACK": "1"}
"""Set for every contender, on top of the harness's environment. Bytecode caches are on
(PYTHONDONTWRITEBYTECODE removed, caches kept in the bench folder by PYTHONPYCACHEPREFIX):
the warm-up writes them and the measured runs read them, as in a deployed image."""


def execute(job: Job) -> Run:
    """One whole child process, started through LAUNCHER; its folders emptied first."""
    for folder in job.wipe:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    job.logs.mkdir(parents=True, exist_ok=True)
    key = job.contender.key
    stdout, stderr = job.logs / f"{key}.out", job.logs / f"{key}.err"
    measured_to = job.logs / f"{key}.rusage"
    launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(measured_to)]
    env = {
        **os.environ,
        **CHILD_ENV,
        "PYTHONPYCACHEPREFIX": str(job.pycache),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with stdout.open("wb") as out, stderr.open("wb") as err:
        subprocess.run(
            [*launcher, *job.argv],
            env={**env, **job.env}, cwd=job.cwd, stdout=out, stderr=err, check=True,
        )  # fmt: skip
    wall, cpu, maxrss_kib, code = measured_to.read_text().split()
    if int(code) != 0:
        tail = stderr.read_text(errors="replace").strip().splitlines()[-3:]
        raise ContenderError(f"exit {code}: " + " / ".join(tail))
    rows, detail = job.count(stdout)
    return Run(
        wall_s=float(wall),
        cpu_s=float(cpu),
        rss_mib=int(maxrss_kib) * 1024 / MIB,
        rows_out=rows,
        detail=detail,
    )


@dataclass
class Options:
    sizes: list[int]
    repeats: int
    dlt_max_lines: int
    jsonl_max_lines: int
    xlsx_lines: int
    pandas_whole_max_lines: int
    pandas_chunk_lines: int
    generate_lines: int
    budget_s: float
    startup: bool
    work: Path
    doc: Path
    plot: Path


def jobs_for(lines: int, data: Data, opts: Options) -> list[Job]:
    python = sys.executable
    runs = opts.work / "runs"
    logs = runs / "logs"
    sme = str(Path(python).with_name("sme-pulse"))

    def sme_job(contender: Contender, landing: Path) -> Job:
        lake = runs / "lake"
        return Job(
            contender,
            lines,
            [sme, "ingest", "sales"],
            {
                "SME_PULSE_HOME": str(runs / "home"),
                "LANDING_URI": str(landing),
                "LAKE_URI": str(lake),
            },
            REPO,
            [lake, runs / "home"],
            _sme_count,
            logs,
            opts.work / "pycache",
        )

    jobs = [sme_job(SME_CSV, data.csv(lines).parent)]
    if lines in opts.sizes and lines <= opts.jsonl_max_lines:
        jobs.append(sme_job(SME_JSONL, data.jsonl(lines).parent))
    if opts.xlsx_lines and lines == opts.xlsx_lines:
        jobs.append(sme_job(SME_XLSX, data.xlsx(lines).parent))
    if lines in opts.sizes or lines == 0:
        out = runs / "pandas"
        chunk = opts.pandas_chunk_lines if lines > opts.pandas_whole_max_lines else 0
        jobs.append(
            Job(
                PANDAS,
                lines,
                [python, __file__, "pandas", str(data.csv(lines)), str(out / "out.parquet"),
                 str(chunk)],
                {},
                REPO,
                [out],
                lambda _: (_parquet_rows(runs / "pandas"), ""),
                logs,
                opts.work / "pycache",
                note=f"in chunks of {chunk:,} lines" if chunk else "whole file at once",
            )
        )  # fmt: skip
    if (lines in opts.sizes or lines == 0) and lines <= opts.dlt_max_lines:
        work = runs / "dlt"
        jobs.append(
            Job(
                DLT,
                lines,
                [python, __file__, "dlt", str(data.csv(lines).parent), str(work / "out"),
                 str(work / "pipelines")],
                {
                    "RUNTIME__DLTHUB_TELEMETRY": "false",
                    "PROVIDERS__ENABLE_AIRFLOW_SECRETS": "false",
                    "DLT_DATA_DIR": str(work / "data"),
                    "DLT_PROJECT_DIR": str(work),
                },
                REPO,
                [work],
                lambda _: (_parquet_rows(runs / "dlt" / "out" / "sales" / "order_lines"), ""),
                logs,
                opts.work / "pycache",
            )
        )  # fmt: skip
    return jobs


@dataclass
class SizeResult:
    lines: int
    jobs: list[Job]
    repeats: int
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def job(self, contender: Contender) -> Job | None:
        return next((j for j in self.jobs if j.contender == contender), None)


class Budget:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.perf_counter()

    def left(self) -> float:
        return self.seconds - (time.perf_counter() - self.started)


def _projection(contender: Contender, lines: int, done: list[SizeResult]) -> float | None:
    """Seconds per run: start-up plus the rest scaled linearly from the largest size run."""
    fixed = startup_wall(done, contender) or 0.0
    for result in reversed(done):
        job = result.job(contender)
        if result.lines and job is not None and measured(job):
            return fixed + max(median_wall(job) - fixed, 0.0) * lines / result.lines
    return None


def _fit(
    jobs: list[Job], lines: int, opts: Options, budget: Budget, done: list[SizeResult]
) -> tuple[list[Job], list[str]]:
    """Drop contenders, least important first, until a warm-up and one run of each fit.

    Only contenders measured at a smaller size have a projection (their median there,
    scaled linearly); how many repeats fit is decided after the warm-ups.
    """
    kept = sorted(jobs, key=lambda j: j.contender.priority)
    skipped: list[str] = []
    while kept:
        projected = {j.contender: _projection(j.contender, lines, done) for j in kept}
        if sum(p for p in projected.values() if p is not None) * 2 <= budget.left():
            break
        victim = next(j for j in reversed(kept) if projected[j.contender] is not None)
        kept.remove(victim)
        skipped.append(
            f"{victim.contender.label}: not run at {lines:,} lines: a warm-up and one run "
            f"were projected at {2 * (projected[victim.contender] or 0):.0f} s (its median "
            f"at the previous size, scaled to this one) with {max(budget.left(), 0):.0f} s "
            "of the budget left"
        )
    return sorted(kept, key=lambda j: CONTENDERS.index(j.contender)), skipped


def run_size(
    lines: int, data: Data, opts: Options, budget: Budget, done: list[SizeResult]
) -> SizeResult:
    print(f"\n== {lines:,} lines", flush=True)
    jobs, skipped = _fit(jobs_for(lines, data, opts), lines, opts, budget, done)
    result = SizeResult(lines, jobs, opts.repeats, skipped=skipped)
    for line in skipped:
        print(f"  skipped: {line}", flush=True)

    def drop(job: Job, exc: ContenderError) -> None:
        result.jobs.remove(job)
        result.skipped.append(f"{job.contender.label}: failed at {lines:,} lines ({exc})")
        print(f"  FAILED {job.contender.label}: {exc}", flush=True)

    for job in list(jobs):
        try:
            job.warmup = execute(job)
        except ContenderError as exc:
            drop(job, exc)
            continue
        print(f"  warm-up {job.contender.label}: {_describe(job.warmup)}", flush=True)
    jobs = list(result.jobs)
    per_round = sum(j.warmup.wall_s for j in jobs if j.warmup is not None)
    repeats = opts.repeats
    if per_round > 0 and per_round * repeats > budget.left():
        repeats = max(0, min(repeats, int(budget.left() // per_round)))
        result.notes.append(
            f"{repeats} measured run(s) instead of {opts.repeats} at {lines:,} lines: a round "
            f"of every contender took {per_round:.0f} s and {max(budget.left(), 0):.0f} s of "
            "the budget were left" + ("; the figures are the warm-ups'" if repeats == 0 else "")
        )
    result.repeats = repeats
    for i in range(repeats if jobs else 0):
        order = jobs[i % len(jobs) :] + jobs[: i % len(jobs)]
        for job in order:
            if job not in result.jobs:
                continue
            try:
                run = execute(job)
            except ContenderError as exc:
                drop(job, exc)
                continue
            job.runs.append(run)
            print(f"  run {i + 1} {job.contender.label}: {_describe(run)}", flush=True)
    return result


def _describe(run: Run) -> str:
    rows = "?" if run.rows_out is None else f"{run.rows_out:,}"
    return f"{run.wall_s:.2f} s, CPU {run.cpu_s:.1f} s, peak RSS {run.rss_mib:.0f} MiB, rows {rows}"


# --- figures ----------------------------------------------------------------------------------


def measured(job: Job) -> list[Run]:
    """The repeats; the warm-up only when the budget left no repeat."""
    return job.runs or ([job.warmup] if job.warmup else [])


def ratios(result: SizeResult, job: Job) -> list[float]:
    """Run i of `job` over run i of SME Pulse (CSV): how many times longer it took."""
    base = result.job(SME_CSV)
    if base is None:
        return []
    return [
        run.wall_s / ref.wall_s for run, ref in zip(measured(job), measured(base), strict=False)
    ]


def median_wall(job: Job) -> float:
    return statistics.median(r.wall_s for r in measured(job))


def startup_wall(results: list[SizeResult], contender: Contender) -> float | None:
    """Median wall time on a header-only file: the fixed cost (SME Pulse's, for its formats)."""
    if contender in (SME_JSONL, SME_XLSX):
        contender = SME_CSV
    for result in results:
        job = result.job(contender)
        if result.lines == 0 and job is not None and measured(job):
            return median_wall(job)
    return None


def rows_per_s(job: Job) -> float:
    return job.lines / median_wall(job)


def net_rows_per_s(job: Job, results: list[SizeResult]) -> float | None:
    """Lines over (median wall time - median wall time on a header-only file).

    None when start-up is more than three quarters of the wall time: the difference of
    two close, noisy medians says nothing.
    """
    fixed = startup_wall(results, job.contender)
    if fixed is None or job.lines == 0 or median_wall(job) - fixed < median_wall(job) / 4:
        return None
    return job.lines / (median_wall(job) - fixed)


def peak_rss(job: Job) -> float:
    return max(r.rss_mib for r in measured(job))


def _fmt_ratio(values: list[float]) -> str:
    if not values:
        return "—"
    mid = statistics.median(values)
    if len(values) == 1:
        return f"{mid:.2f}x"
    return f"{mid:.2f}x ({min(values):.2f}-{max(values):.2f})"


def size_table(result: SizeResult, results: list[SizeResult]) -> list[str]:
    lines = [
        "| contender | runs | wall median | min-max | rows/s | rows/s net of start-up | "
        "CPU median | peak RSS | time vs SME Pulse (CSV), pair by pair | rows out |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for job in result.jobs:
        runs = measured(job)
        walls = [r.wall_s for r in runs]
        last = runs[-1]
        rows = "?" if last.rows_out is None else f"{last.rows_out:,}"
        if last.detail:
            rows += f" ({last.detail})"
        if last.rows_out is not None and last.rows_out != job.lines:
            rows += f" **≠ {job.lines:,} lines in**"
        ratio = "1 (reference)" if job.contender == SME_CSV else _fmt_ratio(ratios(result, job))
        label = job.contender.label + (f", {job.note}" if job.note else "")
        speed = f"{rows_per_s(job):,.0f}" if job.lines else "—"
        net = net_rows_per_s(job, results)
        lines.append(
            f"| {label} | {len(runs)}{'' if job.runs else ' (warm-up)'} | "
            f"{statistics.median(walls):.2f} s | {min(walls):.2f}-{max(walls):.2f} s | "
            f"{speed} | {'—' if net is None else f'{net:,.0f}'} | "
            f"{statistics.median(r.cpu_s for r in runs):.1f} s | "
            f"{peak_rss(job):,.0f} MiB | {ratio} | {rows} |"
        )
    return lines


def targets(results: list[SizeResult], opts: Options) -> list[str]:
    rows = ["| target | size | measured | |", "| --- | ---: | ---: | --- |"]

    def add(name: str, lines: int | None, value: str, ok: bool | None) -> None:
        verdict = {True: "met", False: "**missed**", None: "not measured"}[ok]
        size = f"{lines:,}" if lines else "—"
        rows.append(f"| {name} | {size} | {value} | {verdict} |")

    big = [r for r in results if r.lines >= 1_000_000] or [r for r in results if r.lines][-1:]
    for result in big:
        job = result.job(PANDAS)
        values = ratios(result, job) if job else []
        mid = statistics.median(values) if values else None
        add(
            f"CSV → bronze ≥ {TARGET_PANDAS_RATIO:g}x faster than pandas",
            result.lines,
            "—" if mid is None else f"{mid:.2f}x",
            None if mid is None else mid >= TARGET_PANDAS_RATIO,
        )
    dlt_sizes = [r for r in results if r.lines and r.job(DLT)]
    for result in dlt_sizes or results[:1]:
        job = result.job(DLT)
        values = ratios(result, job) if job else []
        mid = statistics.median(values) if values else None
        add(
            f"≥ {TARGET_DLT_RATIO:g}x faster than dlt",
            result.lines if job else None,
            "—" if mid is None else f"{mid:.1f}x",
            None if mid is None else mid >= TARGET_DLT_RATIO,
        )
    for result in big:
        job = result.job(SME_CSV)
        speed = rows_per_s(job) if job else None
        net = net_rows_per_s(job, results) if job else None
        value = "—" if speed is None else f"{speed:,.0f} whole process"
        if net is not None:
            value += f"; {net:,.0f} net of start-up"
        add(
            f"≥ {TARGET_ROWS_PER_S:,} rows/s (CSV, whole process)",
            result.lines,
            value,
            None if speed is None else speed >= TARGET_ROWS_PER_S,
        )
    for result in big:
        job = result.job(SME_CSV)
        rss = peak_rss(job) if job else None
        add(
            f"peak RSS ≤ {TARGET_RSS_MIB} MiB",
            result.lines,
            "—" if rss is None else f"{rss:,.0f} MiB",
            None if rss is None else rss <= TARGET_RSS_MIB,
        )
    with_sme = [r for r in big if r.job(SME_CSV)]
    if len(with_sme) >= 2:
        low, high = with_sme[0], with_sme[-1]
        growth = peak_rss(high.job(SME_CSV)) / peak_rss(low.job(SME_CSV))  # type: ignore[arg-type]
        add(
            f"peak RSS flat from {low.lines:,} to {high.lines:,} lines "
            f"(≤ {TARGET_RSS_FLAT:g}x the smaller)",
            high.lines,
            f"{growth:.2f}x",
            growth <= TARGET_RSS_FLAT,
        )
    else:
        add("peak RSS flat from 1M to 10M lines", None, "—", None)
    for result in [r for r in results if r.lines and r.job(SME_JSONL)] or results[-1:]:
        job = result.job(SME_JSONL)
        values = ratios(result, job) if job else []
        mid = statistics.median(values) if values else None
        add(
            f"JSON Lines within {TARGET_JSONL_RATIO:g}x of CSV (time)",
            result.lines if job else None,
            "—" if mid is None else f"{mid:.2f}x",
            None if mid is None else mid <= TARGET_JSONL_RATIO,
        )
    for result in results:
        job = result.job(SME_XLSX)
        if job:
            rows.append(
                f"| XLSX figure reported | {result.lines:,} | {rows_per_s(job):,.0f} rows/s, "
                f"{peak_rss(job):,.0f} MiB | reported |"
            )
    return rows


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def machine(load_at_start: str) -> list[tuple[str, str]]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError):
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        ram = f"{kib / 1024 / 1024:.1f} GiB"
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    versions = []
    for name in VERSIONS:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} (absent)")
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=False,
    ).stdout.strip() or "unknown"  # fmt: skip
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("CPU", f"{cpu}, {cores} logical cores ({usable} usable)"),
        ("memory", ram),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("packages", ", ".join(versions)),
        ("commit", commit + (" with uncommitted changes" if dirty else "")),
        ("load average (1 / 5 / 15 min)", f"{load_at_start} at the start, {_load()} at the end"),
    ]


def plot(results: list[SizeResult], path: Path) -> None:
    """Rows/s and peak RSS per contender, grouped by size (SVG with text as text)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "sme-pulse", "font.size": 9})
    results = [r for r in results if r.lines]
    present = [c for c in CONTENDERS if any(r.job(c) for r in results)]
    fig, (speed_ax, rss_ax) = plt.subplots(1, 2, figsize=(11, 4.6))
    width = 0.8 / max(len(present), 1)
    ticks = range(len(results))
    for i, contender in enumerate(present):
        xs, speeds, rss = [], [], []
        for x, result in zip(ticks, results, strict=True):
            job = result.job(contender)
            if job is not None:
                xs.append(x + (i - (len(present) - 1) / 2) * width)
                speeds.append(rows_per_s(job))
                rss.append(peak_rss(job))
        speed_ax.bar(xs, speeds, width, label=contender.label)
        rss_ax.bar(xs, rss, width, label=contender.label)
    labels = [f"{r.lines:,} lines" for r in results]
    speed_ax.set_yscale("log")
    speed_ax.axhline(TARGET_ROWS_PER_S, color="grey", linestyle="--", linewidth=0.8, label="target")
    speed_ax.set_title("rows/s (median run, whole process; log scale; target dashed)")
    rss_ax.axhline(TARGET_RSS_MIB, color="grey", linestyle="--", linewidth=0.8)
    rss_ax.set_title("peak RSS, MiB (largest of the runs; target dashed)")
    for ax in (speed_ax, rss_ax):
        ax.set_xticks(list(ticks), labels)
        ax.grid(axis="y", linewidth=0.3)
    handles, names = speed_ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(names), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(
        path,
        format=path.suffix.lstrip("."),
        metadata={"Date": None} if path.suffix == ".svg" else None,
    )
    plt.close(fig)


def _source(fn: Callable[..., None]) -> str:
    return inspect.getsource(fn).rstrip()


def _dlt_scope(results: list[SizeResult], opts: Options) -> str:
    """Why dlt stops at --dlt-max-lines, from what it measured (stated, never used as a result)."""
    ran = [r for r in results if r.lines and r.job(DLT)]
    bigger = [n for n in opts.sizes if n > opts.dlt_max_lines]
    if not ran or not bigger:
        return ""
    job = ran[-1].job(DLT)
    net = net_rows_per_s(job, results) if job else None
    text = (
        f"It runs up to {opts.dlt_max_lines:,} lines only (`--dlt-max-lines`), so its ratio "
        f"is measured at {ran[-1].lines:,} lines, where start-up weighs more on both sides. "
    )
    if net is not None:
        fixed = startup_wall(results, DLT) or 0.0
        one = fixed + bigger[0] / net
        text += (
            f"The reason: at the {net:,.0f} rows/s (net of start-up) it reached there, one "
            f"run at {bigger[0]:,} lines would take about {one:.0f} s, and a warm-up plus "
            f"{opts.repeats} runs about {one * (1 + opts.repeats) / 60:.0f} min of the "
            "15 minutes `make bench` may take. That estimate is only the reason; no dlt "
            "figure on this page is extrapolated."
        )
    return text


def render(
    results: list[SizeResult],
    data: Data,
    opts: Options,
    argv: Sequence[str],
    elapsed: float,
    load_at_start: str,
) -> str:
    first = [j for r in results for j in r.jobs]
    by_key = {j.contender: j for j in first}  # the largest size each contender ran at
    cmd = " ".join(shlex.quote(_rel(a)) for a in [_rel(sys.executable), _rel(__file__), *argv])
    out = [
        "## Sales ingestion against pandas and dlt",
        "",
        "SME Pulse lands a sales export in bronze (validated order lines as Parquet, rejected "
        "lines in quarantine, a load manifest). This page times that against the script "
        "people write instead (pandas `read_csv` → `to_parquet`) and against dlt, on the "
        "same file, in one session, on the machine below. Every run is a whole process: "
        "interpreter start and imports count, as they do when a scheduler starts the task.",
        "",
        "![rows/s and peak RSS per contender and size](benchmarks.svg)",
        "",
        "### Targets",
        "",
        "Reported, not asserted: the run succeeds either way. A figure written `n x` is the "
        "other contender's wall time ÷ SME Pulse's (CSV) wall time, the median over pairs of "
        "runs (more than 1: SME Pulse was faster).",
        "",
        *targets(results, opts),
        "",
        "### Results",
        "",
        f"Each contender ran once as a warm-up (not counted), then {opts.repeats} times in "
        "rotating order. Wall time is the median of those runs; rows/s is lines in ÷ median "
        "wall time; peak RSS is the largest ru_maxrss of the runs; the ratio is the median "
        "of (contender's run i ÷ SME Pulse CSV's run i), range in brackets, so more than 1 "
        "means SME Pulse was faster.",
        "",
    ]
    for result in results:
        title = f"{result.lines:,} lines" if result.lines else "0 lines: start-up"
        out += [f"#### {title}", "", *size_table(result, results), ""]
        if not result.lines:
            out += [
                "A header-only file: what each contender costs before it reads a line "
                "(interpreter, imports, setup, writing its metadata). The column *rows/s net "
                "of start-up* at the other sizes is lines ÷ (median wall time - this median), "
                "shown where this median is less than three quarters of the wall time.",
                "",
            ]
        out += [f"- {note}" for note in result.notes + result.skipped]
        if result.notes or result.skipped:
            out.append("")
    out += [
        "### What was run",
        "",
        "```bash",
        "make bench" + (f" BENCH_ARGS={shlex.quote(shlex.join(argv))}" if argv else ""),
        "# which syncs the bench environment (uv sync --locked --no-default-groups --group bench",
        "# into .local/bench/venv), runs benchmarks/bench_dag_parse.py (printed only), then:",
        cmd,
        "```",
        "",
        f"The comparison took {elapsed / 60:.1f} min (budget {opts.budget_s / 60:.1f} min). "
        + (
            f"Data made in this run: {'; '.join(data.made)}."
            if data.made
            else "Every data file was reused from an earlier run."
        ),
        "",
        "Input: `sme_pulse.feeds.generator` with seed "
        f"{SEED}, one canonical CSV (UTF-8 with BOM, CRLF, 21 columns, about 2 % deliberately "
        f"invalid lines), {opts.generate_lines:,} lines generated. Smaller sizes are its "
        "first lines; larger sizes are copies of it, copy k > 0 with every order id "
        "prefixed `B<k>-` so ids stay distinct. JSON Lines: the same rows, every value a "
        "JSON string, empty ones null. XLSX: the same rows as text cells in one sheet "
        f"(openpyxl write-only). Files are cached under `{_rel(str(data.root))}`; the page "
        "cache is warm for every contender (the warm-up read the file).",
        "",
        "The commands, one per contender (the largest size shown; the folders are emptied "
        "before every run, which is not timed). Every contender also gets `DO_NOT_TRACK=1` "
        "and bytecode caches: `PYTHONDONTWRITEBYTECODE` is removed and "
        f"`PYTHONPYCACHEPREFIX={_rel(str(opts.work / 'pycache'))}` set, so the warm-up "
        "compiles and the measured runs load compiled modules, as in the Airflow image "
        "(`UV_COMPILE_BYTECODE=1`). The harness starts each one through a bare interpreter "
        "(`python -I -S`, about 9 MiB) that reads wall time, CPU time and ru_maxrss with "
        "`os.wait4`: a child's ru_maxrss starts at its parent's, so the harness itself "
        "must not be the parent.",
        "",
        "```bash",
    ]
    for contender in CONTENDERS:
        job = by_key.get(contender)
        if job:
            out += [f"# {contender.label}", job.shell()]
    out += [
        "```",
        "",
        "The pandas and dlt contenders are these functions of the harness, each run as "
        "`python benchmarks/bench_ingest_compare.py <name> <args>` in a fresh interpreter:",
        "",
        "```python",
        _source(pandas_to_parquet),
        "",
        "",
        _source(dlt_filesystem),
        "```",
        "",
        "- **pandas** reads with `dtype=str` (every column as text, nothing validated); up "
        f"to {opts.pandas_whole_max_lines:,} lines the whole file at once, as that script is "
        f"usually written; above, in chunks of {opts.pandas_chunk_lines:,} lines into one "
        "pyarrow ParquetWriter, because the whole-file version holds the entire table in "
        "memory (its peak RSS grows with the file).",
        "- **dlt** uses what its documentation shows for CSV files: the `filesystem` source "
        "with the `read_csv` reader (pandas chunks of 10,000 rows turned into dict rows), "
        'the `filesystem` destination on a local folder and `loader_file_format="parquet"`; '
        "`dtype=str` as for pandas, everything else default (dlt still infers timestamps "
        "and adds `_dlt_id`/`_dlt_load_id`). Telemetry off; its working folders in the "
        "emptied run folder; `PROVIDERS__ENABLE_AIRFLOW_SECRETS=false`, because this "
        "environment holds Airflow (SME Pulse needs it) and dlt would otherwise import "
        "Airflow and look every setting up in Airflow's Variables, which a dlt install "
        "without Airflow never does. " + _dlt_scope(results, opts),
        "- **SME Pulse** reports read / loaded / quarantined itself; pandas and dlt rows out "
        "are the row counts of the Parquet they wrote.",
        "",
        "### Machine",
        "",
        "| | |",
        "| --- | --- |",
        *[f"| {k} | {v} |" for k, v in machine(load_at_start)],
        "",
    ]
    return "\n".join(out)


# --- main -----------------------------------------------------------------------------------


def parse(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, default=3, help="measured runs after the warm-up")
    parser.add_argument("--dlt-max-lines", type=int, default=100_000)
    parser.add_argument("--jsonl-max-lines", type=int, default=1_000_000)
    parser.add_argument("--xlsx-lines", type=int, default=20_000)
    parser.add_argument("--pandas-whole-max-lines", type=int, default=1_000_000)
    parser.add_argument("--pandas-chunk-lines", type=int, default=1_000_000)
    parser.add_argument("--generate-lines", type=int, default=1_000_000)
    parser.add_argument("--budget-minutes", type=float, default=12.5)
    parser.add_argument(
        "--no-startup",
        dest="startup",
        action="store_false",
        help="skip the header-only run that measures each contender's fixed cost",
    )
    parser.add_argument("--doc", type=Path, default=DOC)
    parser.add_argument("--plot", type=Path, default=PLOT)
    args = parser.parse_args(argv)
    home = Path(os.environ.get("SME_PULSE_HOME", "").strip() or REPO / ".local").resolve()
    sizes = sorted(set(args.sizes))
    return Options(
        sizes=sizes,
        repeats=max(args.repeats, 1),
        dlt_max_lines=args.dlt_max_lines,
        jsonl_max_lines=args.jsonl_max_lines,
        xlsx_lines=args.xlsx_lines,
        pandas_whole_max_lines=args.pandas_whole_max_lines,
        pandas_chunk_lines=args.pandas_chunk_lines,
        generate_lines=min(args.generate_lines, max(*sizes, args.xlsx_lines)),
        budget_s=args.budget_minutes * 60,
        startup=args.startup,
        work=home / "bench",
        doc=args.doc.resolve(),
        plot=args.plot.resolve(),
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in CHILDREN:
        CHILDREN[sys.argv[1]](*sys.argv[2:])
        return
    opts = parse(sys.argv[1:])
    missing = [m for m in ("pandas", "dlt", "matplotlib") if importlib.util.find_spec(m) is None]
    if missing:
        raise SystemExit(
            f"{', '.join(missing)} not installed: run `make bench` (the `bench` dependency group)"
        )
    budget = Budget(opts.budget_s)
    load_at_start = _load()
    data = Data(opts.work, opts.generate_lines)
    results: list[SizeResult] = []
    groups = sorted(
        {
            *opts.sizes,
            *([opts.xlsx_lines] if opts.xlsx_lines else []),
            *([0] if opts.startup else []),
        }
    )
    for lines in groups:
        results.append(run_size(lines, data, opts, budget, results))
    shutil.rmtree(opts.work / "runs", ignore_errors=True)
    elapsed = opts.budget_s - budget.left()
    opts.plot.parent.mkdir(parents=True, exist_ok=True)
    plot(results, opts.plot)
    page = render(results, data, opts, sys.argv[1:], elapsed, load_at_start)
    write_section("ingest", page, opts.doc)
    print("\n" + "\n".join(targets(results, opts)))
    print(f"\nwrote {_rel(str(opts.doc))} and {_rel(str(opts.plot))} in {elapsed / 60:.1f} min")


if __name__ == "__main__":
    main()
