"""Landing an API dataset: quarantine first, bronze last, nothing half-written."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from sme_pulse.ingestion.rules import Violation
from sme_pulse.sources.http import SourceError
from sme_pulse.sources.lineage import LINEAGE_FIELDS, RunContext, bronze_key
from sme_pulse.sources.quarantine import ApiDataset, quarantine_key
from sme_pulse.storage import Lake, LakeError

pytestmark = pytest.mark.unit

RUN = RunContext("test_run", "2026-11-01", datetime(2026, 11, 1, tzinfo=UTC))
SCHEMA = pa.schema([pa.field("code", pa.string()), *LINEAGE_FIELDS])
URL = "http://api.test/items"
BAD = [Violation("not_convertible", "code", "true is not text")]


def dataset(good: int, bad: int) -> ApiDataset:
    items = ApiDataset("test_api", "items", SCHEMA, RUN)
    for n in range(good):
        items.add({"code": str(n)}, URL, {"code": str(n)}, [])
    for _ in range(bad):
        items.add({"code": True}, URL, None, BAD)
    return items


Q_KEY = quarantine_key("test_api", "items", "2026-11-01")
B_KEY = bronze_key("test_api", "items", "2026-11-01")


def test_rejects_land_beside_bronze_and_a_clean_rerun_removes_them(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    assert dataset(2, 1).land(lake) == {B_KEY: 2, Q_KEY: 1}
    [row] = lake.read_parquet(Q_KEY).to_pylist()
    assert (row["reason"], row["raw_record"]) == ("not_convertible", '{"code": true}')
    assert dataset(3, 0).land(lake) == {B_KEY: 3}
    assert not lake.exists(Q_KEY)


def test_a_dataset_with_nothing_loaded_leaves_bronze_alone(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    dataset(2, 0).land(lake)
    before = lake.get_bytes(B_KEY)
    with pytest.raises(SourceError, match=r"read 1, loaded 0, quarantined 1 .*every record"):
        dataset(0, 1).land(lake)
    assert lake.get_bytes(B_KEY) == before and lake.exists(Q_KEY)


def test_a_failed_bronze_write_takes_the_new_quarantine_back(tmp_path: Path, fault_ledger) -> None:
    lake = Lake(str(tmp_path))
    blocked = tmp_path / B_KEY.rsplit("/", 1)[0]
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the partition folder must go")
    with pytest.raises(LakeError):
        dataset(2, 1).land(lake)
    left = [o.key for o in lake.list("") if o.key.endswith(".parquet")]
    assert left == []
    fault_ledger.record(
        "object store",
        "bronze write fails after the API quarantine was written",
        expected="quarantine taken back; nothing half-written",
        observed=f"LakeError; {len(left)} Parquet objects left",
    )


def test_a_failed_bronze_write_puts_the_previous_quarantine_back(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    dataset(2, 1).land(lake)
    previous = lake.get_bytes(Q_KEY)
    lake.delete(B_KEY)
    (tmp_path / B_KEY).mkdir()
    (tmp_path / B_KEY / "occupied").write_text("a folder where the bronze file must go")
    with pytest.raises(LakeError):
        dataset(3, 2).land(lake)
    assert lake.get_bytes(Q_KEY) == previous
