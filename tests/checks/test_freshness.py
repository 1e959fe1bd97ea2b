from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from sme_pulse.checks import freshness
from sme_pulse.storage import Lake

pytestmark = pytest.mark.unit

MAX_AGE = timedelta(days=30)


def land(lake: Lake, root: Path, key: str, age: timedelta) -> None:
    lake.write_parquet(key, pa.table({"x": [1]}))
    stamp = (datetime.now(UTC) - age).timestamp()
    os.utime(root / key, (stamp, stamp))


def test_no_bronze_file_is_not_fresh(tmp_path: Path) -> None:
    state = freshness.newest(Lake(str(tmp_path)), "bronze/world_bank/", MAX_AGE)
    assert not state.is_fresh
    assert state.describe() == "bronze/world_bank/: no bronze file yet"


def test_the_newest_file_decides(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    land(lake, tmp_path, "bronze/world_bank/indicators/ingest_date=2026-09-01/part-0.parquet",
         timedelta(days=80))  # fmt: skip
    land(lake, tmp_path, "bronze/world_bank/indicators/ingest_date=2026-11-01/part-0.parquet",
         timedelta(days=3))  # fmt: skip
    state = freshness.newest(lake, "bronze/world_bank/", MAX_AGE)
    assert state.is_fresh
    assert state.newest_key and "2026-11-01" in state.newest_key
    assert "fresh, newest" in state.describe() and "3.0 days old" in state.describe()


def test_older_than_the_limit_is_stale(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    land(lake, tmp_path, "bronze/vn_provinces/provinces/ingest_date=2026-01-01/part-0.parquet",
         timedelta(days=31))  # fmt: skip
    state = freshness.newest(lake, "bronze/vn_provinces/", MAX_AGE)
    assert not state.is_fresh
    assert not freshness.all_fresh([state])
