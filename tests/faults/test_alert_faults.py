"""Alert receivers that fail, and alert settings that are wrong."""

from __future__ import annotations

import json
import socket
from types import SimpleNamespace

import pytest
from pytest_httpserver import HTTPServer
from sme_pulse.config import ConfigError, Settings
from sme_pulse.orchestration.alerts import TaskFailedAlert


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.integration
def test_a_broken_receiver_does_not_stop_the_others(httpserver: HTTPServer, fault_ledger) -> None:
    httpserver.expect_request("/broken", method="POST").respond_with_data("down", status=500)
    httpserver.expect_request("/ok", method="POST").respond_with_data("ok")
    base = f"json://{httpserver.host}:{httpserver.port}"
    urls = [f"{base}/broken", f"json://127.0.0.1:{closed_port()}/hook", f"{base}/ok"]
    ti = SimpleNamespace(
        dag_id="sme_pulse_sales_sync", run_id="manual__1", task_id="ingest_sales_data.ingest_sales",
        try_number=4, log_url="http://airflow.test/log",
    )  # fmt: skip
    TaskFailedAlert(urls)({"ti": ti, "exception": RuntimeError("lake unreachable")})
    delivered = [
        json.loads(request.data)
        for request, response in httpserver.log
        if request.path == "/ok" and response.status_code == 200
    ]
    assert len(delivered) == 1
    assert "Task: ingest_sales_data.ingest_sales (try 4)" in delivered[0]["message"]
    fault_ledger.record(
        "alerts",
        "of three receivers one answers 500, one refuses connections",
        expected="no exception; the working receiver gets its one message",
        observed=f"{len(delivered)} message at the working receiver, no exception",
    )


@pytest.mark.unit
def test_an_alert_url_without_a_scheme_is_refused(fault_ledger) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"ALERT_URLS": "json://127.0.0.1/hook ops@example.com"})
    assert "ALERT_URLS" in str(refused.value) and "ops@example.com" in str(refused.value)
    fault_ledger.record(
        "alerts",
        "ALERT_URLS holds an e-mail address, not a URL",
        expected="ConfigError naming ALERT_URLS and the entry",
        observed="ConfigError: " + str(refused.value).split(",")[0],
    )
