"""Ingestion under process and landing-file faults, injected for real.

Loads are killed with SIGKILL in subprocesses at known moments, run twice at once, or read
a landing file another thread rewrites in place; afterwards bronze is counted the way dbt
counts it (sales parts joined to their load manifest, every CRM part) and the fault
ledger gets the rows lost and duplicated.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest
from pytest_httpserver import HTTPServer
from sme_pulse.config import Settings
from sme_pulse.crm import ingest_customers
from sme_pulse.sales import ingest_sales
from sme_pulse.sources.lineage import RunContext
from sme_pulse.storage import Lake, LakeError, LakeLock
from werkzeug import Request, Response

pytestmark = pytest.mark.integration

HEADER = (
    "order_id,line_no,order_ts,channel,status,customer_name,customer_email,customer_phone,"
    "province_code,district_code,sku,quantity,unit_price_vnd,discount_vnd,line_total_vnd"
)
WAIT_S = 120.0

SALES_SCRIPT = """
import json, logging, sys
from datetime import UTC, datetime
from sme_pulse.config import Settings
from sme_pulse.sales import ingest_sales
from sme_pulse.sources.lineage import RunContext
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s: %(message)s")
home, day, rows_per_part = sys.argv[1], sys.argv[2], int(sys.argv[3])
run = RunContext(f"run-{day}", day, datetime.fromisoformat(day).replace(hour=3, tzinfo=UTC))
settings = Settings.from_env({"SME_PULSE_HOME": home})
print(json.dumps(ingest_sales(settings, run, rows_per_part=rows_per_part).to_dict()), flush=True)
"""

CRM_SCRIPT = """
import logging, sys
from datetime import UTC, datetime
from sme_pulse.config import Settings
from sme_pulse.crm import ingest_customers
from sme_pulse.sources.lineage import RunContext
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s: %(message)s")
home, day, url = sys.argv[1], sys.argv[2], sys.argv[3]
run = RunContext(f"run-{day}", day, datetime.fromisoformat(day).replace(hour=3, tzinfo=UTC))
settings = Settings.from_env({"SME_PULSE_HOME": home, "CUSTOMER_API_URL": url})
ingest_customers(settings, run, rows_per_part=5000)
"""


def order_line(i: int, quantity: int = 2) -> str:
    return (
        f"HD{i:07d},1,2024-02-03 10:15:00,pos,completed,Lê Văn Tám,tam{i}@x.vn,0912345678,"
        f"79,760,CF-001,{quantity},145000,0,{145000 * quantity}"
    )


def sales_csv(rows: int, quantity: int = 2) -> bytes:
    lines = [HEADER, *(order_line(i, quantity) for i in range(rows))]
    return ("\n".join(lines) + "\n").encode("utf-8")


def run_on(day: str) -> RunContext:
    moment = datetime.fromisoformat(day).replace(hour=3, tzinfo=UTC)
    return RunContext(f"run-{day}", day, moment)


def parquet_rows(folder: Path, columns: list[str]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for path in sorted(folder.rglob("*.parquet")):
        rows += pq.read_table(path, columns=columns, partitioning=None).to_pylist()
    return rows


def sales_bronze(lake: Path) -> dict[str, int]:
    """Order-line rows as dbt sees them (joined to the manifest) and as stored."""
    committed = {
        (m["source_file"], m["source_file_sha256"])
        for m in parquet_rows(
            lake / "bronze/sales/load_manifest", ["source_file", "source_file_sha256"]
        )
    }
    columns = ["source_file", "source_file_sha256", "source_row_number", "quantity"]
    lines = parquet_rows(lake / "bronze/sales/order_lines", columns)
    visible = [r for r in lines if (r["source_file"], r["source_file_sha256"]) in committed]
    return {
        "stored": len(lines),
        "visible": len(visible),
        "distinct": len({(r["source_file"], r["source_row_number"]) for r in visible}),
        "temp_files": sum(1 for _ in lake.rglob(".*.tmp")),
    }


def unreadable_parquet(lake: Path) -> int:
    """Visible Parquet objects that do not open as a whole Parquet file (a partial write)."""
    broken = 0
    for path in lake.rglob("*.parquet"):
        try:
            pq.read_metadata(path)
        except (OSError, ValueError):
            broken += 1
    return broken


def start(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.001)


class StderrWatch:
    """Collects a process's stderr lines in a thread, so a test can wait for one."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert process.stderr is not None
        self._thread = threading.Thread(target=self._pump, args=(process.stderr,), daemon=True)
        self._thread.start()

    def _pump(self, stream: Iterator[str]) -> None:
        for line in stream:
            self.lines.append(line)

    def saw(self, text: str) -> bool:
        return any(text in line for line in self.lines)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "landing").mkdir()
    return tmp_path


def rewrite_head_once_read(landing: Path, head: bytes) -> bool:
    """Overwrite the start of `landing` once the first reader of it has read past it.

    That reader (the profile's hashing pass, the first to open the file) has the old
    start; every later read gets the new one. Returns whether it happened.
    """
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        for fd in Path("/proc/self/fd").iterdir():
            try:
                if fd.readlink() != landing:
                    continue
                info = (Path("/proc/self/fdinfo") / fd.name).read_text()
            except OSError:
                continue
            if int(info.split("pos:", 1)[1].split()[0]) >= len(head):
                with landing.open("r+b") as out:
                    out.write(head)
                return True
    return False


def test_a_file_rewritten_while_read_is_loaded_once_in_its_final_form(
    home: Path, fault_ledger: Any
) -> None:
    rows, changed = 200_000, 1_000
    landing = home / "landing" / "pos.csv"
    landing.write_bytes(sales_csv(rows))
    head = sales_csv(changed, quantity=3)  # the first rows again, same size, new quantity
    assert landing.read_bytes()[: len(head)] != head
    rewritten: list[bool] = []
    rewriter = threading.Thread(
        target=lambda: rewritten.append(rewrite_head_once_read(landing, head))
    )
    rewriter.start()
    settings = Settings.from_env({"SME_PULSE_HOME": str(home)})
    first = ingest_sales(settings, run_on("2026-01-15")).files[0]
    rewriter.join()
    assert rewritten == [True]
    assert first.status == "failed" and "changed while it was read" in (first.error or "")
    assert sales_bronze(home / "lake")["stored"] == 0
    second = ingest_sales(settings, run_on("2026-01-15")).files[0]
    bronze = sales_bronze(home / "lake")
    quantities = [
        r["quantity"] for r in parquet_rows(home / "lake/bronze/sales/order_lines", ["quantity"])
    ]
    final_rows = quantities.count(3)
    assert second.status == "loaded" and final_rows == changed
    fault_ledger.record(
        "landing files",
        "sales file rewritten in place (same size) while it is read",
        expected="not recorded; the next run loads the final file once",
        observed=(
            f"run 1 {first.status}, wrote nothing; run 2 loaded {second.rows_loaded} of "
            f"{rows} rows, {final_rows} rewritten ones in their final form"
        ),
        rows_lost=rows - bronze["distinct"],
        rows_duplicated=bronze["stored"] - bronze["distinct"],
    )


def customer(n: int) -> dict[str, object]:
    return {
        "id": f"KH{n:06d}",
        "full_name": "Nguyễn Thị Lan",
        "email": f"lan{n}@gmail.com",
        "phone": "0912 345 678",
        "province_code": "01",
        "district_code": "001",
        "loyalty_tier": "member",
        "created_at": "2023-01-05T02:00:00Z",
        "updated_at": f"2024-03-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z",
    }


class TwoPageFeed:
    """A CRM API on loopback whose second page waits until the test lets it go."""

    FIRST, SECOND = 10_000, 500

    def __init__(self, server: HTTPServer) -> None:
        self.second_asked = threading.Event()
        self.release = threading.Event()
        self.on_second: list[Callable[[], None]] = []
        server.expect_request("/v1/customers").respond_with_handler(self._answer)
        self.url = server.url_for("").rstrip("/")

    def _answer(self, request: Request) -> Response:
        if request.args.get("cursor") == "page-2":
            self.second_asked.set()
            for action in self.on_second:
                action()
            self.release.wait(WAIT_S)
            records, cursor = [customer(n) for n in range(self.FIRST, self.total)], None
        else:
            records, cursor = [customer(n) for n in range(self.FIRST)], "page-2"
        body = json.dumps({"data": records, "next_cursor": cursor})
        return Response(body, content_type="application/json")

    @property
    def total(self) -> int:
        return self.FIRST + self.SECOND


@pytest.fixture
def two_page_feed(httpserver: HTTPServer) -> Iterator[TwoPageFeed]:
    feed = TwoPageFeed(httpserver)
    yield feed
    feed.release.set()


def crm_bronze(lake: Path) -> tuple[int, int, int]:
    """Customer rows in every part (what dbt reads), distinct ids, and parts stored."""
    folder = lake / "bronze/crm/customers"
    ids = [r["customer_id"] for r in parquet_rows(folder, ["customer_id"])]
    return len(ids), len(set(ids)), len(list(folder.rglob("*.parquet")))


def test_a_crm_load_killed_after_its_part_does_not_double_customers_next_day(
    home: Path, two_page_feed: TwoPageFeed, fault_ledger: Any
) -> None:
    lake = home / "lake"
    process = start(CRM_SCRIPT, str(home), "2026-01-15", two_page_feed.url)
    try:
        assert two_page_feed.second_asked.wait(WAIT_S)
        # The first page's parts are written before the second page is asked for.
        orphan_rows, _, orphan_parts = crm_bronze(lake)
        process.send_signal(signal.SIGKILL)
        process.wait(WAIT_S)
    finally:
        process.kill()
        two_page_feed.release.set()
    assert process.returncode == -signal.SIGKILL
    assert orphan_parts == 2 and orphan_rows == TwoPageFeed.FIRST
    assert not (lake / "bronze/crm/load_manifest").exists()
    assert not (lake / "_state/crm/customers_watermark.json").exists()

    settings = Settings.from_env(
        {"SME_PULSE_HOME": str(home), "CUSTOMER_API_URL": two_page_feed.url}
    )
    report = ingest_customers(settings, run_on("2026-01-16"), rows_per_part=5000)
    rows, distinct, parts = crm_bronze(lake)
    assert report.rows_loaded == two_page_feed.total
    fault_ledger.record(
        "processes",
        "CRM load killed (SIGKILL) after its part, before its manifest; re-run next day",
        expected="orphan part deleted; each customer once",
        observed=(
            f"{orphan_parts} orphan parts removed; {rows} bronze rows, {distinct} distinct ids"
        ),
        rows_lost=two_page_feed.total - distinct,
        rows_duplicated=rows - distinct,
    )
    assert parts == 3


def test_two_sales_loads_at_once_load_each_row_once(home: Path, fault_ledger: Any) -> None:
    rows = 20_000
    for name in ("pos.csv", "web.csv"):
        (home / "landing" / name).write_bytes(sales_csv(rows))
    lake = Lake(str(home / "lake"))
    with LakeLock(lake, "sales"):
        processes = [start(SALES_SCRIPT, str(home), "2026-01-15", "5000") for _ in range(2)]
        watches = [StderrWatch(p) for p in processes]
        wait_for(lambda: all(w.saw("waiting for") for w in watches), "both loads to wait")
    reports = []
    for process in processes:
        out, _ = process.communicate(timeout=WAIT_S)
        assert process.returncode == 0
        reports.append(json.loads(out))
    loaded = sorted(r["rows_loaded"] for r in reports)
    bronze = sales_bronze(home / "lake")
    assert loaded == [0, 2 * rows]
    fault_ledger.record(
        "processes",
        "two sales loads of one landing folder started at once",
        expected="one loads, the other waits for the lock, then finds the files unchanged",
        observed=(
            f"runs loaded {loaded[0]} and {loaded[1]} rows; bronze {bronze['visible']} rows, "
            f"{bronze['distinct']} distinct"
        ),
        rows_lost=2 * rows - bronze["distinct"],
        rows_duplicated=bronze["stored"] - bronze["distinct"],
    )


MOMENTS = ["waiting for the lock", "after a part, before the manifest", "after the manifest"]


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_sales_load_killed_at_any_moment_is_completed_by_the_next_run(
    home: Path, moment: str, fault_ledger: Any
) -> None:
    rows = 30_000
    landing = home / "landing" / "pos.csv"
    lake = home / "lake"
    manifest = lake / "bronze/sales/load_manifest/file_slug=pos.csv/manifest.parquet"
    old_manifest = 0
    if moment == "after the manifest":
        # An earlier version is loaded, so the killed load has old parts to delete.
        landing.write_bytes(sales_csv(rows + 7))
        ingest_sales(Settings.from_env({"SME_PULSE_HOME": str(home)}), run_on("2026-01-14"))
        old_manifest = manifest.stat().st_ino
    landing.write_bytes(sales_csv(rows, quantity=3))
    lock = LakeLock(Lake(str(lake)), "sales")
    if moment == "waiting for the lock":
        lock.__enter__()
    process = start(SALES_SCRIPT, str(home), "2026-01-15", "500")
    watch = StderrWatch(process)
    try:
        if moment == "waiting for the lock":
            wait_for(lambda: watch.saw("waiting for"), "the load to wait for the lock")
        elif moment == "after a part, before the manifest":
            parts = lake / "bronze/sales/order_lines"
            wait_for(lambda: any(parts.rglob("*.parquet")), "the first part")
        else:
            wait_for(
                lambda: manifest.exists() and manifest.stat().st_ino != old_manifest,
                "the new manifest",
            )
        process.send_signal(signal.SIGSTOP)
        committed_at_kill = manifest.exists() and moment == "after the manifest"
        assert manifest.exists() == committed_at_kill
        process.send_signal(signal.SIGKILL)
        process.wait(WAIT_S)
    finally:
        process.kill()
        if moment == "waiting for the lock":
            lock.__exit__(None, None, None)
    assert process.returncode == -signal.SIGKILL
    partial = unreadable_parquet(lake)

    report = ingest_sales(Settings.from_env({"SME_PULSE_HOME": str(home)}), run_on("2026-01-15"))
    bronze = sales_bronze(lake)
    status = report.files[0].status
    assert status == ("unchanged" if committed_at_kill else "loaded")
    assert not (lake / "_locks/sales.json").exists()
    fault_ledger.record(
        "processes",
        f"sales load killed (SIGKILL) {moment}",
        expected="nothing partial visible; the next run leaves each row once",
        observed=(
            f"{partial} partial objects after the kill; next run {status}, "
            f"{bronze['visible']} rows visible, {bronze['stored']} stored, "
            f"{bronze['temp_files']} temp files"
        ),
        rows_lost=rows - bronze["distinct"],
        rows_duplicated=bronze["stored"] - bronze["distinct"] + bronze["temp_files"] + partial,
    )


def s3_state(endpoint: str, bucket: str) -> tuple[list[str], int, list[str]]:
    """Customer part keys, unfinished multipart uploads, and every customer id in parts."""
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="testing",
        aws_secret_access_key="testing", region_name="us-east-1",
    )  # fmt: skip
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="lake/bronze/crm/customers/")
    keys = [o["Key"] for o in listed.get("Contents", []) if o["Key"].endswith(".parquet")]
    uploads = len(s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []))
    ids: list[str] = []
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        ids += pq.read_table(io.BytesIO(body), columns=["customer_id"])["customer_id"].to_pylist()
    return keys, uploads, ids


def test_an_s3_outage_mid_crm_load_leaves_nothing_counted_twice(
    home: Path, two_page_feed: TwoPageFeed, moto_s3: Any, fault_ledger: Any
) -> None:
    bucket = "lake"
    server, endpoint = moto_s3()
    try:
        boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id="testing",
            aws_secret_access_key="testing", region_name="us-east-1",
        ).create_bucket(Bucket=bucket)  # fmt: skip

        def settings(endpoint: str) -> Settings:
            return Settings.from_env(
                {
                    "SME_PULSE_HOME": str(home),
                    "LAKE_URI": f"s3://{bucket}/lake",
                    "S3_ENDPOINT_URL": endpoint,
                    "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_REGION": "us-east-1",
                    "CUSTOMER_API_URL": two_page_feed.url,
                }
            )

        # S3 goes down once the first page's two parts are written.
        two_page_feed.on_second.append(server.stop)
        two_page_feed.release.set()
        with pytest.raises(LakeError) as failure:
            ingest_customers(settings(endpoint), run_on("2026-01-15"), rows_per_part=5000)
    finally:
        server.stop()
    message = str(failure.value)
    assert "\n" not in message and "cannot" in message
    server, endpoint = moto_s3()  # the same in-process store, back up
    try:
        orphans, uploads_after_outage, _ = s3_state(endpoint, bucket)
        report = ingest_customers(settings(endpoint), run_on("2026-01-16"), rows_per_part=5000)
        keys, uploads, ids = s3_state(endpoint, bucket)
    finally:
        server.stop()
    assert len(orphans) == 2 and uploads_after_outage == 0 and uploads == 0
    assert report.rows_loaded == two_page_feed.total and len(keys) == 3
    fault_ledger.record(
        "object store",
        "S3 endpoint stopped mid CRM load, after two parts; re-run next day",
        expected="one-line error, no partial object or upload; each customer once after",
        observed=(
            f"{len(orphans)} whole uncommitted parts, {uploads_after_outage} uploads left; "
            f"next run {len(ids)} rows, {len(set(ids))} distinct ids, {uploads} uploads"
        ),
        rows_lost=two_page_feed.total - len(set(ids)),
        rows_duplicated=len(ids) - len(set(ids)),
    )
