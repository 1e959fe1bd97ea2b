"""Retry behaviour against a real HTTP server on loopback; only the sleeping is recorded."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from pytest_httpserver import HTTPServer
from sme_pulse.sources.http import JsonClient, RetryPolicy, SourceError, parse_retry_after
from werkzeug import Request, Response


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(sleeps: Sleeps, **policy: float) -> JsonClient:
    return JsonClient("test_source", timeout_s=0.5, policy=RetryPolicy(**policy), sleep=sleeps)


@pytest.mark.unit
def test_retry_after_in_seconds_and_http_date() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert parse_retry_after("99999", now) == 300.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


@pytest.mark.integration
def test_5xx_then_success_is_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/data").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/data").respond_with_json({"ok": True})
    sleeps = Sleeps()
    document, url = client(sleeps).get_json(httpserver.url_for("/data"))
    assert document == {"ok": True}
    assert len(sleeps) == 1
    assert url.endswith("/data")


@pytest.mark.integration
def test_429_waits_at_least_retry_after(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/data").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "4"}
    )
    httpserver.expect_ordered_request("/data").respond_with_json([1])
    sleeps = Sleeps()
    assert client(sleeps, initial_wait_s=0.1).get_json(httpserver.url_for("/data"))[0] == [1]
    assert sleeps[0] >= 4.0


@pytest.mark.integration
def test_backoff_grows_and_failure_is_one_line(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/data").respond_with_data("down", status=500)
    sleeps = Sleeps()
    with pytest.raises(SourceError) as failure:
        client(sleeps, max_attempts=4, initial_wait_s=1.0, max_wait_s=60).get_json(
            httpserver.url_for("/data")
        )
    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith("test_source: http://")
    assert "failed after 4 attempt(s)" in message and "HTTP 500" in message
    assert len(sleeps) == 3
    assert sleeps[2] >= 4.0  # 1, 2, 4 seconds plus jitter


@pytest.mark.integration
def test_client_errors_are_not_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/data").respond_with_data("no", status=404)
    sleeps = Sleeps()
    with pytest.raises(SourceError, match="HTTP 404"):
        client(sleeps).get_json(httpserver.url_for("/data"))
    assert sleeps == [] and len(httpserver.log) == 1


@pytest.mark.integration
def test_truncated_body_is_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/data").respond_with_data(
        '[{"page": 1, "pa', content_type="application/json"
    )
    httpserver.expect_ordered_request("/data").respond_with_json([{"page": 1}])
    sleeps = Sleeps()
    assert client(sleeps).get_json(httpserver.url_for("/data"))[0] == [{"page": 1}]
    assert len(sleeps) == 1


@pytest.mark.integration
def test_timeout_is_retried(httpserver: HTTPServer) -> None:
    """The server answers one request at a time, so the retry really waits (no recorder)."""
    calls = []

    def slow_then_fast(request: Request) -> Response:
        calls.append(request.path)
        if len(calls) == 1:
            time.sleep(0.6)
        return Response('{"ok": 1}', content_type="application/json")

    httpserver.expect_request("/data").respond_with_handler(slow_then_fast)
    slow_client = JsonClient(
        "test_source", timeout_s=0.3, policy=RetryPolicy(initial_wait_s=0.6, max_wait_s=1.0)
    )
    assert slow_client.get_json(httpserver.url_for("/data"))[0] == {"ok": 1}
    assert len(calls) == 2


@pytest.mark.integration
def test_time_budget_stops_before_a_long_wait(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/data").respond_with_data(
        "later", status=429, headers={"Retry-After": "120"}
    )
    sleeps = Sleeps()
    with pytest.raises(SourceError, match=r"failed after 1 attempt\(s\).*HTTP 429"):
        client(sleeps, budget_s=30).get_json(httpserver.url_for("/data"))
    assert sleeps == []


@pytest.mark.integration
def test_unreachable_host_is_a_clear_error() -> None:
    sleeps = Sleeps()
    with pytest.raises(SourceError, match=r"test_source: http://127.0.0.1:9/x failed after 2"):
        client(sleeps, max_attempts=2, initial_wait_s=0.01).get_json("http://127.0.0.1:9/x")
