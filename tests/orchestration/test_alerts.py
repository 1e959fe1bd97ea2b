"""Each alert sends one message, naming DAG, run and task or source, with a link."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException
from cosmos.exceptions import CosmosDbtRunError
from pytest_httpserver import HTTPServer
from sme_pulse.checks.freshness import StaleBronzeError
from sme_pulse.orchestration.alerts import (
    FreshnessAlert,
    RunPastDeadlineAlert,
    TaskFailedAlert,
    past_sla,
)

pytestmark = pytest.mark.integration

LOG_URL = "http://airflow.test/dags/d/runs/r/tasks/t?try_number=1"


@pytest.fixture
def hook(httpserver: HTTPServer) -> str:
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    return f"json://{httpserver.host}:{httpserver.port}/hook"


def received(httpserver: HTTPServer) -> list[dict[str, Any]]:
    return [json.loads(request.data) for request, _ in httpserver.log]


def task_context(exception: BaseException | None = None) -> dict[str, Any]:
    """The keys of Airflow's task context the alerts read."""
    ti = SimpleNamespace(
        dag_id="sme_pulse_sales_sync", run_id="manual__1", task_id="bronze_freshness",
        try_number=1, log_url=LOG_URL,
    )  # fmt: skip
    return {"ti": ti, "exception": exception}


def test_a_failed_data_test_names_the_tests(httpserver: HTTPServer, hook: str) -> None:
    error = CosmosDbtRunError(
        "dbt invocation completed with errors: "
        "not_null_stg_customers_full_name: Got 4 results, configured to fail if != 0"
    )
    TaskFailedAlert([hook])(task_context(error))
    [message] = received(httpserver)
    assert message["title"] == "SME Pulse: dbt data test failed"
    assert "Failed tests: not_null_stg_customers_full_name" in message["message"]
    assert "DAG: sme_pulse_sales_sync" in message["message"]
    assert "Run: manual__1" in message["message"]
    assert f"Log: {LOG_URL}" in message["message"]


def test_stale_bronze_failing_the_task_is_one_freshness_alert(
    httpserver: HTTPServer, hook: str, fault_ledger
) -> None:
    stale = StaleBronzeError("bronze past its error threshold: bronze_sales.order_lines")
    try:
        raise AirflowFailException(str(stale)) from stale
    except AirflowFailException as error:
        TaskFailedAlert([hook])(task_context(error))
    sent = received(httpserver)
    [message] = sent
    assert message["title"] == "SME Pulse: source past its freshness SLA"
    assert "bronze_sales.order_lines" in message["message"] and LOG_URL in message["message"]
    fault_ledger.record(
        "alerts",
        "bronze past its freshness error threshold fails bronze_freshness",
        expected="one message: the failure names the stale source, with log link",
        observed=f"{len(sent)} message, source and log link named",
    )


def test_any_other_failure_gives_its_first_line(httpserver: HTTPServer, hook: str) -> None:
    TaskFailedAlert([hook])(task_context(RuntimeError("lake unreachable\ntrace follows")))
    [message] = received(httpserver)
    assert message["title"] == "SME Pulse: task failed"
    assert "Error: lake unreachable\n" in message["message"]


def test_freshness_warning_sends_one_alert_and_a_pass_none(
    httpserver: HTTPServer, hook: str, fault_ledger
) -> None:
    report = {
        "bronze_sales.order_lines": {"status": "warn", "age_hours": 60.0},
        "bronze_crm.load_manifest": {"status": "pass", "age_hours": 3.0},
    }
    assert past_sla(report) == ["bronze_sales.order_lines (warn, 60.0 h)"]
    FreshnessAlert([hook], report)(task_context())
    FreshnessAlert([hook], {"bronze_crm.load_manifest": report["bronze_crm.load_manifest"]})(
        task_context()
    )
    sent = received(httpserver)
    [message] = sent
    assert message["title"] == "SME Pulse: source past its freshness SLA"
    assert "Sources: bronze_sales.order_lines (warn, 60.0 h)" in message["message"]
    assert LOG_URL in message["message"]
    fault_ledger.record(
        "alerts",
        "bronze past its freshness warning, the run going on",
        expected="one message naming the late source, none for a fresh one",
        observed=f"{len(sent)} message for 1 late and 1 fresh source, log link named",
    )


def test_a_run_past_its_deadline_links_to_the_run(httpserver: HTTPServer, hook: str) -> None:
    end = datetime(2026, 1, 1, 3, tzinfo=UTC)

    def run(minutes: int) -> dict[str, Any]:
        dag_run = SimpleNamespace(
            dag_id="sme_pulse_sales_sync", run_id="scheduled__2026-01-01T02:00:00+07:00",
            start_date=end - timedelta(minutes=minutes), end_date=end, queued_at=None,
        )  # fmt: skip
        return {"dag_run": dag_run}

    RunPastDeadlineAlert([hook], 60)(run(45))
    RunPastDeadlineAlert([hook], 60)(run(75))
    [message] = received(httpserver)
    assert message["title"] == "SME Pulse: run past its deadline"
    assert "Took 75.0 min, deadline 60 min" in message["message"]
    run_link = "/dags/sme_pulse_sales_sync/runs/scheduled__2026-01-01T02%3A00%3A00%2B07%3A00"
    assert run_link in message["message"]
