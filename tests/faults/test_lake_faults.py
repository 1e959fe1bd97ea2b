"""The lake under disk and object-store faults, injected for real.

A full filesystem and a read-only one are real tmpfs mounts (the tests skip where the
user may not mount); a writer killed mid-write is killed by the kernel itself, for
exceeding its file-size limit; a dead writer's multipart upload is a real one on a moto
S3 server. Each test then runs the next load and counts bronze rows against the file.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest
from sme_pulse.config import Settings
from sme_pulse.sales import ingest_sales
from sme_pulse.sources.lineage import RunContext
from sme_pulse.storage import LakeError

pytestmark = pytest.mark.integration

HEADER = (
    "order_id,line_no,order_ts,channel,status,customer_name,customer_email,customer_phone,"
    "province_code,district_code,sku,quantity,unit_price_vnd,discount_vnd,line_total_vnd"
)
ROWS = 30_000
FILE_LIMIT = 64 * 1024

KILLED_MID_WRITE = f"""
import resource, signal, sys
from datetime import UTC, datetime
# The kernel kills this process (SIGXFSZ) the moment a file it writes passes the limit.
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
resource.setrlimit(resource.RLIMIT_FSIZE, ({FILE_LIMIT}, resource.RLIM_INFINITY))
from sme_pulse.config import Settings
from sme_pulse.sales import ingest_sales
from sme_pulse.sources.lineage import RunContext
run = RunContext("killed", "2026-01-15", datetime(2026, 1, 15, 3, tzinfo=UTC))
ingest_sales(Settings.from_env({{"SME_PULSE_HOME": sys.argv[1]}}), run)
"""


def sales_csv(rows: int, first: int = 0) -> bytes:
    lines = [HEADER] + [
        f"HD{i:07d},1,2024-02-03 10:15:00,pos,completed,Lê Văn Tám,tam{i}@x.vn,0912345678,"
        f"79,760,CF-001,2,145000,0,290000"
        for i in range(first, first + rows)
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def run_on(day: str) -> RunContext:
    return RunContext(f"run-{day}", day, datetime.fromisoformat(day).replace(hour=3, tzinfo=UTC))


def bronze(lake: Path) -> dict[str, int]:
    """Order lines stored, distinct (file, row) among them, and hidden temp files."""
    keys: list[tuple[str, int]] = []
    for path in (lake / "bronze/sales/order_lines").rglob("*.parquet"):
        table = pq.read_table(path, columns=["source_file", "source_row_number"])
        keys += zip(*table.to_pydict().values(), strict=True)
    temps = sum(1 for _ in lake.rglob(".*.tmp"))
    return {"stored": len(keys), "distinct": len(set(keys)), "temp_files": temps}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "shop" / "landing").mkdir(parents=True)
    return tmp_path / "shop"


def settings_for(home: Path) -> Settings:
    return Settings.from_env({"SME_PULSE_HOME": str(home)})


@pytest.fixture
def mount_lake(home: Path) -> Iterator[Callable[[str], Path]]:
    """Mount a tmpfs of the given size as the lake folder (unmounted after the test)."""
    lake = home / "lake"
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        lake.mkdir(exist_ok=True)
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(lake)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
        mounted.append(lake)
        return lake

    yield mount
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(lake: Path, leave: int) -> Path:
    """Fill the filesystem of `lake` but for about `leave` bytes; return the ballast file."""
    spare, ballast = lake / "spare", lake / "ballast"
    spare.write_bytes(b"\0" * leave)
    with ballast.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    spare.unlink()
    return ballast


def test_a_full_disk_fails_the_load_without_leaving_temp_files(
    home: Path, mount_lake: Callable[[str], Path], fault_ledger: Any
) -> None:
    (home / "landing" / "pos.csv").write_bytes(sales_csv(ROWS))
    lake = mount_lake("2m")
    ballast = fill(lake, leave=32 * 1024)
    with pytest.raises(LakeError) as failure:
        ingest_sales(settings_for(home), run_on("2026-01-15"))
    message = str(failure.value)
    after_failure = bronze(lake)
    assert "No space left on device" in message and "\n" not in message
    assert after_failure == {"stored": 0, "distinct": 0, "temp_files": 0}
    assert not (lake / "_locks/sales.json").exists()
    ballast.unlink()
    report = ingest_sales(settings_for(home), run_on("2026-01-15"))
    final = bronze(lake)
    assert report.files[0].status == "loaded"
    fault_ledger.record(
        "disk",
        "lake filesystem full while a sales part is written (real tmpfs)",
        expected="one-line error, temp file removed; the next run loads every row once",
        observed=(
            f"'No space left on device', {after_failure['temp_files']} temp files left; "
            f"after space is freed {final['distinct']} of {ROWS} rows, once"
        ),
        rows_lost=ROWS - final["distinct"],
        rows_duplicated=final["stored"] - final["distinct"],
    )


def test_a_writer_killed_mid_write_leaves_a_temp_file_the_next_write_removes(
    home: Path, fault_ledger: Any
) -> None:
    (home / "landing" / "pos.csv").write_bytes(sales_csv(ROWS))
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_MID_WRITE, str(home)],
        capture_output=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
    )
    assert killed.returncode == -signal.SIGXFSZ, killed.stderr
    left = bronze(home / "lake")
    assert left["stored"] == 0 and left["temp_files"] == 1
    assert (home / "lake/_locks/sales.json").exists()  # a dead holder's lock, taken over

    report = ingest_sales(settings_for(home), run_on("2026-01-15"))
    final = bronze(home / "lake")
    assert report.files[0].status == "loaded" and final["temp_files"] == 0
    fault_ledger.record(
        "disk",
        "sales load killed by the kernel mid-write of a part (SIGXFSZ)",
        expected="its temp file and lock are cleared by the next run, which loads every row",
        observed=(
            f"{left['temp_files']} temp file and the lock left; next run "
            f"{final['distinct']} of {ROWS} rows once, {final['temp_files']} temp files"
        ),
        rows_lost=ROWS - final["distinct"],
        rows_duplicated=final["stored"] - final["distinct"] + final["temp_files"],
    )


def test_a_read_only_lake_is_one_clear_line_and_loses_nothing(
    home: Path, mount_lake: Callable[[str], Path], fault_ledger: Any
) -> None:
    lake = mount_lake("16m")
    (home / "landing" / "pos.csv").write_bytes(sales_csv(ROWS))
    ingest_sales(settings_for(home), run_on("2026-01-14"))
    (home / "landing" / "web.csv").write_bytes(sales_csv(ROWS, first=ROWS))
    subprocess.run(["mount", "-o", "remount,ro", str(lake)], check=True)
    cli = Path(sys.executable).with_name("sme-pulse")
    failed = subprocess.run(
        [str(cli), "ingest", "sales", "--ingest-date", "2026-01-15"],
        capture_output=True,
        text=True,
        env={**os.environ, "SME_PULSE_HOME": str(home), "COLUMNS": "300"},
        check=False,
    )
    lines = failed.stderr.strip().splitlines()
    subprocess.run(["mount", "-o", "remount,rw", str(lake)], check=True)
    assert failed.returncode == 1 and len(lines) == 1, failed.stderr
    assert "Read-only file system" in lines[0] and "Traceback" not in failed.stderr
    report = ingest_sales(settings_for(home), run_on("2026-01-15"))
    final = bronze(lake)
    assert [f.status for f in report.files] == ["unchanged", "loaded"]
    fault_ledger.record(
        "disk",
        "lake filesystem read-only during a sales load (remounted ro)",
        expected="exit 1 with one line naming the lake; nothing lost once writable",
        observed=(
            f"exit {failed.returncode}, {len(lines)} line (Read-only file system); "
            f"then {final['distinct']} of {2 * ROWS} rows once"
        ),
        rows_lost=2 * ROWS - final["distinct"],
        rows_duplicated=final["stored"] - final["distinct"],
    )


def test_a_dead_writers_multipart_upload_is_aborted_by_the_next_load(
    s3_endpoint: str, tmp_path: Path, fault_ledger: Any
) -> None:
    bucket = f"lake-{tmp_path.name[-20:].lower().replace('_', '-')}"
    s3 = boto3.client(
        "s3", endpoint_url=s3_endpoint, aws_access_key_id="testing",
        aws_secret_access_key="testing", region_name="us-east-1",
    )  # fmt: skip
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="landing/pos.csv", Body=sales_csv(ROWS))
    key = "lake/bronze/sales/order_lines/file_slug=pos.csv/part-0123456789ab-00000.parquet"
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)
    s3.upload_part(
        Bucket=bucket, Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 1024
    )
    before = len(s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []))
    settings = Settings.from_env(
        {
            "LAKE_URI": f"s3://{bucket}/lake",
            "LANDING_URI": f"s3://{bucket}/landing",
            "S3_ENDPOINT_URL": s3_endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
        }
    )
    report = ingest_sales(settings, run_on("2026-01-15"))
    after = len(s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []))
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="lake/bronze/sales/order_lines/")
    parts = [o["Key"] for o in listed.get("Contents", [])]
    assert before == 1 and after == 0 and key not in parts
    fault_ledger.record(
        "object store",
        "unfinished multipart upload left under bronze by a dead writer",
        expected="aborted by the next load, which loads every row once",
        observed=(
            f"{before} upload before the load, {after} after; "
            f"{report.rows_loaded} of {ROWS} rows in {len(parts)} part"
        ),
        rows_lost=ROWS - report.rows_loaded,
        rows_duplicated=report.rows_loaded - ROWS,
    )
