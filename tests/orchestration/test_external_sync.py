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


def test_dbt_results_count_each_tests_last_line() -> None:
    log = "\n".join(
        [
            "[DAG TEST] starting task_id=dbt_silver.dbt_producer_watcher map_index=-1",
            "21:07:41  1 of 9 OK created sql table model silver.stg_a .... [OK in 0.25s]",
            "21:07:41  2 of 9 PASS not_null_stg_a_id ........ [PASS in 0.26s]",
            "21:07:41  3 of 9 FAIL 2 unique_stg_a_id ......... [FAIL 2 in 0.26s]",
            "21:07:41  4 of 9 WARN 1 accepted_values_stg_a_kind ... [WARN 1 in 0.1s]",
            "21:07:41  5 of 9 ERROR creating sql table model silver.stg_b ... [ERROR in 0.1s]",
            "21:07:41  6 of 9 SKIP test not_null_stg_b_id ........ [SKIP]",
            "21:07:41  7 of 9 ERROR relationships_stg_c_a_id ..... [ERROR in 0.1s]",
            "21:07:41  8 of 9 ERROR loading seed file silver.codes ... [ERROR in 0.1s]",
            "21:07:41  9 of 9 SKIP relation silver.stg_d ......... [SKIP]",
            "[DAG TEST] starting task_id=dbt_silver.stg_a.test map_index=-1",
            "21:08:00  1 of 1 PASS unique_stg_a_id ........ [PASS in 0.05s]",
        ]
    )
    assert dbt_test_results(log) == {"pass": 2, "warn": 1, "skip": 1, "error": 1}
