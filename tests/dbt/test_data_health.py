"""Data health as gold tables, on a real dbt build over the sales fixture.

The fixture is test_sales_models' (one landing CSV with two rows the contract rejects,
a CRM customer it rejects, the World Bank and provinces replays), built twice; these
tests read what the builds left in gold: every node each build ran, bronze freshness
against the SLAs the sources declare, and the quarantined rows by reason.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml
from sme_pulse.config import Settings
from sme_pulse.questions import dashboards

from .conftest import REPO
from .test_sales_models import Warehouse, warehouse

pytestmark = pytest.mark.integration

__all__ = ["warehouse"]

PERIOD_HOURS = {"minute": 1 / 60, "hour": 1, "day": 24}


def results_of(warehouse: Warehouse) -> list[dict[str, Any]]:
    """What dbt itself says the last invocation ran: its run_results.json."""
    path = warehouse.work / "dbt-target" / "run_results.json"
    return json.loads(path.read_text())["results"]


def recorded(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    return warehouse.query(sql)


def test_every_node_of_each_build_is_recorded_with_its_status(warehouse: Warehouse) -> None:
    invocations = recorded(
        warehouse,
        "select invocation_id, min(dbt_command), min(target_name), count(*) "
        "from gold.dbt_run_results group by invocation_id order by min(run_started_at)",
    )
    assert [(command, target) for _, command, target, _ in invocations] == [
        ("build", "duckdb"),
        ("build", "duckdb"),
    ]
    last = invocations[-1][0]
    rows = recorded(
        warehouse,
        "select unique_id, status, failures, execution_seconds, message "
        f"from gold.dbt_run_results where invocation_id = '{last}'",
    )
    expected = {
        r["unique_id"]: r["status"]
        for r in results_of(warehouse)
        if not r["unique_id"].startswith("operation.")  # the hook itself
    }
    assert {uid: status for uid, status, *_ in rows} == expected
    assert len(rows) == len(expected)
    kinds = {uid.split(".")[0] for uid in expected}
    assert {"model", "test", "seed", "snapshot"} <= kinds
    for uid, status, failures, seconds, message in rows:
        assert seconds >= 0
        if uid.startswith("test."):
            # The fixture's one orphan order makes assert_no_sales_orphans warn.
            assert (status, failures == 0) in {("pass", True), ("warn", False)}, (uid, message)
        else:
            assert (status, failures) == ("success", None), (uid, message)
    assert [uid for uid, status, *_ in rows if status == "warn"] == [
        "test.sme_pulse.assert_no_sales_orphans"
    ]


def test_commands_that_run_no_node_record_nothing(warehouse: Warehouse) -> None:
    before = recorded(warehouse, "select count(*) from gold.dbt_run_results")
    warehouse.dbt("compile", "--select", "fct_sales")
    warehouse.dbt("ls", "--select", "fct_sales")
    assert recorded(warehouse, "select count(*) from gold.dbt_run_results") == before


def test_a_failing_test_is_recorded_as_failed(warehouse: Warehouse, tmp_path: Path) -> None:
    """Two sales rows deleted behind the pipeline's back fail the row accounting; the
    hook still records the run, the failing test and its message included."""
    home = tmp_path / "home"
    shutil.copytree(warehouse.settings.home, home)
    copy = Warehouse(Settings.from_env({"SME_PULSE_HOME": str(home)}), tmp_path, [])
    [part] = (home / "lake" / "bronze" / "sales" / "order_lines").rglob("*.parquet")
    lines = pq.read_table(part, partitioning=None)
    pq.write_table(lines.slice(0, lines.num_rows - 2), part)
    with pytest.raises(pytest.fail.Exception):
        copy.dbt("build", "-s", "+int_row_reconciliation")
    failed = copy.query(
        "select node_name, status, failures, message from gold.dbt_run_results "
        "where node_name like 'expression_is_true_int_row_rec%' and invocation_id = ("
        "select max_by(invocation_id, run_started_at) from gold.dbt_run_results)"
    )
    [(_, status, failures, message)] = failed
    assert status == "fail" and failures > 0
    assert message.startswith(f"Got {failures} results, configured to fail if"), message


def declared_slas() -> dict[tuple[str, str], tuple[str, float | None, float | None]]:
    """(source, table) -> (loaded_at_field, warn hours, error hours), read from the yml."""
    slas = {}
    for path in sorted((REPO / "dbt" / "models" / "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text())["sources"]:
            source_sla = (source.get("config") or {}).get("freshness")
            for table in source["tables"]:
                config = table.get("config") or {}
                sla = config.get("freshness", source_sla)
                field = table.get("loaded_at_field", source.get("loaded_at_field"))
                if not field:
                    continue
                hours = [
                    sla[key]["count"] * PERIOD_HOURS[sla[key]["period"]]
                    if sla and sla.get(key)
                    else None
                    for key in ("warn_after", "error_after")
                ]
                slas[(source["name"], table["name"])] = (field, *hours)
    return slas


def test_freshness_rows_are_the_slas_the_sources_declare(warehouse: Warehouse) -> None:
    rows = recorded(
        warehouse,
        "select source_name, table_name, loaded_at_field, warn_after_hours, error_after_hours, "
        "last_loaded_at, hours_since_load, status, checked_at from gold.source_freshness",
    )
    slas = declared_slas()
    assert {(s, t): (f, w, e) for s, t, f, w, e, *_ in rows} == slas
    assert ("bronze_sales", "order_lines") in slas and ("bronze_crm", "customers") in slas
    now = datetime.now(UTC)
    for _, table, _, warn, error, loaded, hours, status, checked in rows:
        assert checked <= now
        if warn is None and error is None:
            assert status == "no sla", table
        elif loaded is None:  # a source with no file yet
            assert (hours, status) == (None, "stale"), table
        else:
            assert loaded <= checked, table
            assert hours == pytest.approx((checked - loaded).total_seconds() / 3600, abs=1e-3)
            # Everything was ingested minutes ago: fresh wherever an SLA is declared.
            assert status == "fresh", table
    assert {t for _, t, *_, loaded, _, _, _ in rows if loaded is not None} >= {
        "order_lines",
        "load_manifest",
        "customers",
        "wb_indicators",
    }


def quarantine_parquet(lake: Path) -> Counter[tuple[str, str]]:
    """(bronze table, reason) -> rows, counted from the quarantine files themselves."""
    counts: Counter[tuple[str, str]] = Counter()
    folders = {
        "sales/order_lines": "sales_order_lines",
        "crm/customers": "crm_customers",
        "world_bank/indicators": "wb_indicators",
        "vn_provinces/provinces": "vn_provinces",
        "vn_provinces/districts": "vn_districts",
    }
    for folder, table in folders.items():
        for part in (lake / "quarantine" / folder).rglob("*.parquet"):
            for reason in pq.read_table(part, partitioning=None)["reason"].to_pylist():
                counts[(table, reason)] += 1
    return counts


def test_quarantine_counts_are_the_quarantined_rows(warehouse: Warehouse) -> None:
    rows = recorded(
        warehouse,
        "select source_table, source_file, reason, quarantined_rows from gold.quarantine_counts",
    )
    by_reason: Counter[tuple[str, str]] = Counter()
    for table, _, reason, count in rows:
        by_reason[(table, reason)] += count
    expected = quarantine_parquet(Path(warehouse.settings.lake_uri))
    assert by_reason == expected
    # HD12 (negative quantity), HD13 (30 February) and KH000009 (blank name).
    assert sum(n for (table, _), n in expected.items() if table == "sales_order_lines") == 2
    assert sum(n for (table, _), n in expected.items() if table == "crm_customers") == 1
    assert {f for t, f, _, _ in rows if t == "sales_order_lines"} == {"shop_orders.csv"}
    # The row accounting's quarantined side: the committed manifests say the same.
    assert recorded(warehouse, "select sum(rows_quarantined) from silver.stg_sales_load_manifest")[
        0
    ][0] == sum(n for (table, _), n in by_reason.items() if table == "sales_order_lines")


def test_every_data_health_question_runs_and_returns_its_columns(warehouse: Warehouse) -> None:
    (board,) = [d for d in dashboards() if d.key == "data_health"]
    assert len(board.questions) >= 5
    with duckdb.connect(str(warehouse.settings.warehouse_path), read_only=True) as con:
        for question in board.questions:
            cursor = con.execute(question.sql())
            assert tuple(c[0] for c in cursor.description) == question.columns, question.key
            assert cursor.fetchall(), f"{question.key} returned no rows"


def test_run_records_are_tagged_and_quarantine_counts_is_not(warehouse: Warehouse) -> None:
    """What the cross-run and cross-engine gold comparisons skip, declared once (tag)."""
    manifest = json.loads((warehouse.work / "dbt-target" / "manifest.json").read_text())
    tagged = {n["name"] for n in manifest["nodes"].values() if "run_record" in n.get("tags", [])}
    assert tagged == {"dbt_run_results", "source_freshness"}


def test_every_data_health_table_and_column_is_described(warehouse: Warehouse) -> None:
    manifest = json.loads((warehouse.work / "dbt-target" / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if "data_health" in n["tags"]]
    names = {n["name"] for n in models}
    assert names == {"dbt_run_results", "source_freshness", "quarantine_counts", "row_accounting"}
    for node in models:
        assert node["description"].strip(), node["name"]
        built = [
            name
            for (name,) in recorded(
                warehouse,
                "select column_name from information_schema.columns where table_schema = "
                f"'gold' and table_name = '{node['name']}' order by ordinal_position",
            )
        ]
        assert list(node["columns"]) == built, node["name"]
        assert all(c["description"].strip() for c in node["columns"].values()), node["name"]
