"""What a dead load leaves behind is gone after the next load, whatever became of its file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sme_pulse.config import Settings
from sme_pulse.sales import ingest_sales
from sme_pulse.sources.lineage import RunContext

pytestmark = pytest.mark.unit

HEADER = (
    "order_id,line_no,order_ts,channel,status,customer_name,customer_email,customer_phone,"
    "province_code,district_code,sku,quantity,unit_price_vnd,discount_vnd,line_total_vnd"
)
ROW = "HD1,1,2024-02-03 10:15:00,pos,completed,,,,79,760,CF-001,2,145000,0,290000"
LINES = "bronze/sales/order_lines"


def test_parts_no_manifest_commits_are_deleted_by_the_next_load(
    settings: Settings, run: RunContext, land: Callable[[str, str | bytes], Path]
) -> None:
    land("pos.csv", f"{HEADER}\n{ROW}\n")
    ingest_sales(settings, run)
    lake = Path(settings.lake_uri)
    [committed] = (lake / LINES).rglob("*.parquet")
    # What loads killed before their manifest leave: a part of a file deleted since, and
    # a part of another version of a file that is still there.
    gone = lake / LINES / "file_slug=gone.csv" / "part-0123456789ab-00000.parquet"
    other = committed.with_name("part-ba9876543210-00000.parquet")
    for orphan in (gone, other):
        orphan.parent.mkdir(parents=True, exist_ok=True)
        orphan.write_bytes(committed.read_bytes())
    report = ingest_sales(settings, run)
    assert [f.status for f in report.files] == ["unchanged"]
    assert list((lake / LINES).rglob("*.parquet")) == [committed]
