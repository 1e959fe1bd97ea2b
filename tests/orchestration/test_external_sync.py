from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sme_pulse.orchestration import external_sync
from sme_pulse.orchestration.demo import dbt_test_results

pytestmark = pytest.mark.unit


def test_only_fresh_sources_are_skipped() -> None:
    report = {
        "world_bank": {"fresh": True, "detail": "bronze/world_bank/: fresh, 2.0 days old"},
        "vn_provinces": {"fresh": False, "detail": "bronze/vn_provinces/: no bronze file yet"},
    }
    assert external_sync.skip_reason("world_bank", report) == (
        "skipped, bronze is fresh: bronze/world_bank/: fresh, 2.0 days old"
    )
    assert external_sync.skip_reason("vn_provinces", report) is None
    assert external_sync.skip_reason("unknown", report) is None


def test_ingest_writes_the_partition_of_the_run_date() -> None:
    written = external_sync.ingest(
        "world_bank", "scheduled__2026-11-01T00:00:00+00:00", datetime(2026, 11, 1, tzinfo=UTC)
    )
    assert list(written) == ["bronze/world_bank/indicators/ingest_date=2026-11-01/part-0.parquet"]


def test_freshness_report_covers_both_sources(tmp_path: Path) -> None:
    report = external_sync.check_data_freshness()
    assert set(report) == {"world_bank", "vn_provinces"}
    assert not any(state["fresh"] for state in report.values())


def test_dbt_results_count_the_last_attempt_of_test_tasks() -> None:
    log = "\n".join(
        [
            "[DAG TEST] starting task_id=dbt_silver.stg_a.run map_index=-1",
            "Done. PASS=1 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=1",
            "[DAG TEST] starting task_id=dbt_silver.stg_a.test map_index=-1",
            "Done. PASS=3 WARN=0 ERROR=1 SKIP=0 NO-OP=0 TOTAL=4",
            "[DAG TEST] starting task_id=dbt_silver.stg_a.test map_index=-1",
            "Done. PASS=4 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=4",
            "[DAG TEST] starting task_id=dbt_gold.dim_b.test map_index=-1",
            "Done. PASS=2 WARN=1 ERROR=0 SKIP=0 NO-OP=0 TOTAL=3",
        ]
    )
    assert dbt_test_results(log) == {"pass": 6, "warn": 1}
