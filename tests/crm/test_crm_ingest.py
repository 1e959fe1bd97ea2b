"""Customer ingestion against the real simulator over HTTP: pages, watermark, faults, auth."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from pytest_httpserver import HTTPServer
from sme_pulse.crm import ingest_customers
from sme_pulse.crm.contract import CUSTOMERS_SCHEMA, QUARANTINE_SCHEMA
from sme_pulse.crm.watermark import WATERMARK_KEY
from sme_pulse.feeds.simulator import FaultPlan
from sme_pulse.ingestion.report import IngestReport
from sme_pulse.sales import CustomerIngestError
from sme_pulse.sources.lineage import RunContext
from sme_pulse.storage import LakeError

pytestmark = pytest.mark.integration

Record = Callable[..., dict[str, Any]]
Dataset = Callable[[str], pa.Table]

CUSTOMERS = "bronze/crm/customers"
QUARANTINE = "quarantine/crm/customers"
MANIFEST = "bronze/crm/load_manifest"


def landed_ids(dataset: Dataset) -> list[str]:
    """Customer ids in bronze and in quarantine, one per landed row."""
    return [
        *dataset(CUSTOMERS).column("customer_id").to_pylist(),
        *dataset(QUARANTINE).column("customer_id").to_pylist(),
    ]


def record_recovery(
    ledger: Any,
    fault: str,
    served: list[dict[str, Any]],
    report: IngestReport,
    requests: int,
    dataset: Dataset,
) -> None:
    """Record a fault the ingestion survived, with what landed against what was served."""
    ids = landed_ids(dataset)
    result = report.files[0]
    ledger.record(
        "source API",
        f"CRM API: {fault}",
        expected="retried; every customer in bronze or quarantine once",
        observed=f"{requests} requests; read {result.rows_read}, loaded {result.rows_loaded}, "
        f"quarantined {result.rows_quarantined}",
        rows_lost=len({r["id"] for r in served} - set(ids)),
        rows_duplicated=len(ids) - len(set(ids)),
    )


def watermark(tmp_path: Path) -> dict[str, Any] | None:
    path = tmp_path / "lake" / WATERMARK_KEY
    return json.loads(path.read_text()) if path.exists() else None


@pytest.fixture
def records(customer: Record) -> list[dict[str, Any]]:
    rows = [customer(n) for n in range(1, 26)]
    rows[3] = customer(4, full_name="")
    rows[10] = customer(11, province_code="99", district_code=None)
    return rows


def test_full_load_follows_every_page_and_quarantines_bad_records(
    write_customers, records, feed, make_settings, run: RunContext, dataset: Dataset, tmp_path
) -> None:
    write_customers(records)
    server, url = feed()
    report = ingest_customers(make_settings(url), run, page_size=7)
    [result] = report.files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (25, 23, 2)
    assert len(server.requests) == 4
    customers = dataset(CUSTOMERS)
    assert customers.schema.equals(CUSTOMERS_SCHEMA)
    assert len(set(customers.column("customer_id").to_pylist())) == 23
    assert any("cursor=" in u for u in customers.column("request_url").to_pylist())
    quarantine = dataset(QUARANTINE)
    assert quarantine.schema.equals(QUARANTINE_SCHEMA)
    reasons = {r["customer_id"]: r["reason"] for r in quarantine.to_pylist()}
    assert reasons == {"KH000004": "required_value_missing", "KH000011": "unknown_province_code"}
    assert json.loads(quarantine["raw_record"][0].as_py())["id"] in reasons
    parsed = {r["customer_id"]: json.loads(r["parsed_values"]) for r in quarantine.to_pylist()}
    assert parsed["KH000011"]["customer_id"] == "KH000011"
    assert "province_code" not in parsed["KH000011"]
    [manifest] = dataset(MANIFEST).to_pylist()
    assert (manifest["extraction_window"], manifest["pages"], manifest["rows_read"]) == (
        "full",
        4,
        25,
    )
    assert watermark(tmp_path)["updated_since"] == "2024-03-02T09:00:00+00:00"


def test_incremental_runs_fetch_only_changes_and_advance_the_watermark(
    write_customers, records, customer, feed, make_settings, run, dataset, tmp_path
) -> None:
    write_customers(records)
    _, url = feed()
    settings = make_settings(url)
    ingest_customers(settings, run)
    first = watermark(tmp_path)
    write_customers([*records, customer(3, full_name="Trần Thị Lan", **_at(40)), customer(30)])
    second = ingest_customers(settings, run).files[0]
    assert second.name.startswith("customers[since-20240302T090000000000Z-")
    assert (second.rows_read, second.rows_loaded) == (2, 2), "the record at the mark is skipped"
    assert watermark(tmp_path)["updated_since"] > first["updated_since"]
    assert watermark(tmp_path)["landed_at_mark"] == ["KH000003"]
    parts, mark = sorted((tmp_path / "lake").rglob("part-*.parquet")), watermark(tmp_path)
    third = ingest_customers(settings, run).files[0]
    assert (third.status, third.rows_read) == ("unchanged", 0), "nothing new, no part written"
    assert sorted((tmp_path / "lake").rglob("part-*.parquet")) == parts
    assert watermark(tmp_path) == mark
    updated = [r for r in dataset(CUSTOMERS).to_pylist() if r["customer_id"] == "KH000003"]
    assert {r["full_name"] for r in updated} == {"Nguyễn Thị Lan", "Trần Thị Lan"}


def _at(hours: int) -> dict[str, str]:
    return {"updated_at": f"2024-03-0{1 + (8 + hours) // 24}T{(8 + hours) % 24:02d}:00:00Z"}


def test_a_failed_bronze_write_leaves_the_watermark_where_it_was(
    write_customers, records, customer, feed, make_settings, run, dataset, tmp_path
) -> None:
    write_customers(records)
    _, url = feed()
    settings = make_settings(url)
    ingest_customers(settings, run)
    before = watermark(tmp_path)
    write_customers([*records, customer(40)])
    blocked = tmp_path / "lake" / CUSTOMERS / "ingest_date=2026-01-16"
    blocked.write_text("a file where a folder must go")
    next_day = RunContext("crm_test_2", "2026-01-16", run.ingested_at)
    with pytest.raises(LakeError):
        ingest_customers(settings, next_day)
    assert watermark(tmp_path) == before
    assert not (tmp_path / "lake" / MANIFEST / "ingest_date=2026-01-16").exists()
    blocked.unlink()
    retried = ingest_customers(settings, next_day).files[0]
    assert retried.rows_loaded == 1
    assert watermark(tmp_path)["updated_since"] > before["updated_since"]


def test_without_the_right_token_the_error_says_so(
    write_customers, records, feed, make_settings, run, tmp_path
) -> None:
    write_customers(records)
    server, url = feed()
    with pytest.raises(CustomerIngestError, match=r"HTTP 401.*set CUSTOMER_API_TOKEN"):
        ingest_customers(make_settings(url, token=None), run)
    with pytest.raises(CustomerIngestError, match="refused the token"):
        ingest_customers(make_settings(url, token="wrong"), run)
    assert [r.status for r in server.requests] == [401, 401]
    assert watermark(tmp_path) is None
    assert not (tmp_path / "lake" / CUSTOMERS).exists()


def test_429_retry_after_is_honoured(
    write_customers, records, feed, make_settings, run, dataset, fault_ledger
) -> None:
    write_customers(records)
    server, url = feed(faults=FaultPlan(script=("429",), retry_after_s=2))
    started = time.monotonic()
    report = ingest_customers(make_settings(url), run)
    assert time.monotonic() - started >= 2.0
    assert report.files[0].rows_read == 25
    assert [r.status for r in server.requests] == [429, 200]
    record_recovery(
        fault_ledger, "HTTP 429 with Retry-After: 2, then success", records, report,
        len(server.requests), dataset,
    )  # fmt: skip


def test_5xx_and_cut_short_bodies_are_retried_without_losing_records(
    write_customers, records, feed, make_settings, run, dataset, fault_ledger
) -> None:
    write_customers(records)
    script = ("503", "truncate", "ok", "500", "cut_json", "ok", "ok")
    server, url = feed(faults=FaultPlan(script=script))
    report = ingest_customers(make_settings(url), run, page_size=10)
    assert report.files[0].rows_read == 25
    assert tuple(r.fault for r in server.requests) == script
    assert len(set(dataset(CUSTOMERS).column("customer_id").to_pylist())) == 23
    record_recovery(
        fault_ledger, "HTTP 503/500, a short Content-Length and cut JSON across 3 pages",
        records, report, len(server.requests), dataset,
    )  # fmt: skip


def test_a_slow_answer_times_out_and_is_retried(
    write_customers, records, feed, make_settings, run, dataset, fault_ledger
) -> None:
    write_customers(records)
    server, url = feed(faults=FaultPlan(script=("slow",), slow_fault_ms=1500))
    report = ingest_customers(make_settings(url), run)
    assert report.files[0].rows_read == 25
    assert [r.fault for r in server.requests] == ["slow", "ok"]
    record_recovery(
        fault_ledger, "answer slower than the client timeout, then success", records, report,
        len(server.requests), dataset,
    )  # fmt: skip


def test_a_source_that_stays_broken_fails_cleanly(
    write_customers, records, feed, make_settings, run, tmp_path, fault_ledger
) -> None:
    write_customers(records)
    _, url = feed(faults=FaultPlan(rate_5xx=1.0))
    settings = make_settings(url, HTTP_MAX_ATTEMPTS="2")
    with pytest.raises(CustomerIngestError, match=r"failed after 2 attempt\(s\).*HTTP 503"):
        ingest_customers(settings, run)
    assert watermark(tmp_path) is None
    written = list((tmp_path / "lake").rglob("*.parquet"))
    assert not written
    fault_ledger.record(
        "source API",
        "CRM API: HTTP 503 on every attempt",
        expected="one-line error; nothing written, no watermark",
        observed=f"failed after 2 attempts; {len(written)} parquet objects written",
    )


def test_an_unreachable_api_is_a_one_line_error(make_settings, run) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = make_settings(f"http://127.0.0.1:{port}", HTTP_MAX_ATTEMPTS="2")
    with pytest.raises(CustomerIngestError, match="connection failed") as caught:
        ingest_customers(settings, run)
    assert "\n" not in str(caught.value)


def test_an_unexpected_response_shape_is_refused(
    httpserver: HTTPServer, make_settings, run
) -> None:
    httpserver.expect_request("/v1/customers").respond_with_json({"items": []})
    with pytest.raises(CustomerIngestError, match="did not answer"):
        ingest_customers(make_settings(httpserver.url_for("").rstrip("/")), run)
