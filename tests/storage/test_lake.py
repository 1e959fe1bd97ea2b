from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from sme_pulse.config import S3Settings
from sme_pulse.storage import Lake, LakeError
from sme_pulse.storage.lake import HOST

KEY = "bronze/world_bank/indicators/ingest_date=2026-11-01/part-0.parquet"
TABLE = pa.table({"year": pa.array([2023, 2024], pa.int32()), "value": [1.5, None]})


@pytest.mark.integration
def test_same_keys_and_round_trip_on_folder_and_s3(lake: Lake) -> None:
    lake.write_parquet(KEY, TABLE)
    assert lake.read_parquet(KEY).equals(TABLE)
    assert lake.parquet_row_count(KEY) == 2
    listed = list(lake.list("bronze/"))
    assert [o.key for o in listed] == [KEY]
    assert listed[0].size > 0 and listed[0].modified.tzinfo is not None
    assert lake.location(KEY) == f"{lake.uri}/{KEY}"


@pytest.mark.integration
def test_overwrite_replaces_and_delete_removes(lake: Lake) -> None:
    lake.write_parquet(KEY, TABLE)
    lake.write_parquet(KEY, TABLE.slice(0, 1))
    assert lake.read_parquet(KEY).num_rows == 1
    lake.delete(KEY)
    assert not lake.exists(KEY)
    assert list(lake.list("bronze/")) == []


@pytest.mark.integration
def test_check_writable_leaves_nothing_behind(lake: Lake) -> None:
    lake.check_writable()
    assert list(lake.list("")) == []


@pytest.mark.integration
def test_listing_a_missing_prefix_is_empty(lake: Lake) -> None:
    assert list(lake.list("bronze/nothing/")) == []


@pytest.mark.unit
def test_local_write_goes_through_a_hidden_temp_file(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    folder = tmp_path / "bronze" / "x"
    folder.mkdir(parents=True)
    (folder / ".part-0.parquet.abc.tmp").write_bytes(b"half a file")
    lake.put_bytes("bronze/x/part-0.parquet", b"whole")
    assert [o.key for o in lake.list("bronze/")] == ["bronze/x/part-0.parquet"]
    assert sorted(p.name for p in folder.iterdir()) == [".part-0.parquet.abc.tmp", "part-0.parquet"]


@pytest.mark.unit
def test_unwritable_folder_is_a_lake_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(LakeError, match=r"cannot write .*/file/lake/_preflight/probe-"):
        Lake(str(blocker / "lake")).check_writable()


@pytest.mark.unit
def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(LakeError, match="unsupported lake URI"):
        Lake("gs://bucket")


@pytest.mark.integration
def test_missing_bucket_is_a_lake_error(s3_endpoint: str) -> None:
    lake = Lake("s3://no-such-bucket", S3Settings(s3_endpoint, "testing", "testing", "us-east-1"))
    with pytest.raises(LakeError, match="s3://no-such-bucket"):
        lake.check_writable()


@pytest.mark.unit
def test_a_failed_write_removes_its_temp_file(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    (tmp_path / "lake" / KEY).mkdir(parents=True)  # the rename onto a folder fails
    with pytest.raises(LakeError, match="cannot write"):
        lake.put_bytes(KEY, b"payload")
    assert list((tmp_path / "lake").rglob(".*.tmp")) == []


@pytest.mark.unit
def test_a_dead_writers_temp_file_is_removed_by_the_next_write(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    lake.put_bytes(KEY, b"first")
    folder = (tmp_path / "lake" / KEY).parent
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    host = HOST.split(".")[0]
    stale = folder / f".part-0.parquet.{host}.{dead}-0123456789ab.tmp"
    live = folder / f".part-1.parquet.{host}.{os.getpid()}-0123456789ab.tmp"
    stale.write_bytes(b"half")
    live.write_bytes(b"being written")
    lake.put_bytes(KEY, b"second")
    assert not stale.exists() and live.exists()
    assert lake.get_bytes(KEY) == b"second"
