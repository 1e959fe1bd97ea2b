"""`run_smoke` against a fake Airflow REST API (pytest-httpserver) and a fake Trino."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from urllib.parse import unquote

import pytest
from sme_pulse.stack.smoke import DAG_IDS, SmokeError, check_gold, run_smoke
from werkzeug import Request, Response

pytestmark = pytest.mark.integration

TOKEN = "jwt-for-tests"


class FakeAirflow:
    """Just enough of /auth/token and /api/v2 to drive DAG runs to a chosen final state."""

    def __init__(self, final_state: str = "success", polls_before_done: int = 2) -> None:
        self.final_state = final_state
        self.polls_before_done = polls_before_done
        self.paused = dict.fromkeys(DAG_IDS, True)
        self.visible_after = 1
        self.dag_gets = 0
        self.runs: dict[str, dict[str, int | str]] = {}
        self.calls: list[str] = []

    def handle(self, request: Request) -> Response:
        path = unquote(request.path)
        self.calls.append(f"{request.method} {path}")
        if path == "/auth/token":
            body = request.get_json()
            if body != {"username": "admin", "password": "pw"}:
                return Response("bad login", status=401)
            return self._json({"access_token": TOKEN}, 201)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Response("no token", status=401)
        if path == "/api/v2/importErrors":
            return self._json({"import_errors": [], "total_entries": 0})
        match = re.fullmatch(
            r"/api/v2/dags/([^/]+)(?:/dagRuns(?:/([^/]+)(/taskInstances)?)?)?", path
        )
        if not match:
            return Response("not found", status=404)
        dag_id, run_id, tasks = match.groups()
        if dag_id not in self.paused:
            return Response("no such dag", status=404)
        if run_id is None and request.method == "GET" and not path.endswith("dagRuns"):
            self.dag_gets += 1
            if self.dag_gets <= self.visible_after:
                return Response("not parsed yet", status=404)
            return self._json({"dag_id": dag_id, "is_paused": self.paused[dag_id]})
        if run_id is None and request.method == "PATCH":
            self.paused[dag_id] = request.get_json()["is_paused"]
            return self._json({"dag_id": dag_id, "is_paused": self.paused[dag_id]})
        if path.endswith("/dagRuns") and request.method == "POST":
            assert request.get_json()["logical_date"] is None
            new_id = f"manual__2026-01-01T00:00:00+00:00-{dag_id}"
            self.runs[new_id] = {"polls": 0, "dag_id": dag_id}
            return self._json({"dag_run_id": new_id, "state": "queued"})
        if tasks:
            return self._json(
                {
                    "task_instances": [
                        {"task_id": "ingest_world_bank", "state": "failed"},
                        {"task_id": "dbt_gold.run", "state": "upstream_failed"},
                        {"task_id": "check_data_freshness", "state": "success"},
                    ]
                }
            )
        run = self.runs[run_id]
        run["polls"] = int(run["polls"]) + 1
        if self.paused[dag_id]:
            state = "queued"
        elif int(run["polls"]) > self.polls_before_done:
            state = self.final_state
        else:
            state = "running"
        return self._json({"dag_run_id": run_id, "state": state})

    @staticmethod
    def _json(body: object, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")


def _fake_trino(counts: dict[str, int], existing: Sequence[str] = ()) -> tuple[list[str], object]:
    seen: list[str] = []

    def query(sql: str) -> list[tuple[int]]:
        seen.append(sql)
        if "information_schema" in sql:
            name = re.search(r"table_name = '(\w+)'", sql).group(1)
            return [(1 if name in existing else 0,)]
        table = sql.rsplit(" ", 1)[-1]
        return [(counts.get(table, 0),)]

    return seen, query


def _env(httpserver) -> dict[str, str]:
    return {
        "AIRFLOW_API_URL": httpserver.url_for("/").rstrip("/"),
        "AIRFLOW_ADMIN_USER": "admin",
        "AIRFLOW_ADMIN_PASSWORD": "pw",
        "TRINO_SMOKE_PASSWORD": "smoke-login-for-tests",
        "SMOKE_TIMEOUT_SECONDS": "60",
        "SMOKE_POLL_SECONDS": "0",
    }


GOOD_COUNTS = {
    "iceberg.gold.dim_macro_indicators": 11,
    "iceberg.gold.dim_location": 705,
    "iceberg.gold.fct_sales": 1200,
}


def test_smoke_unpauses_triggers_waits_and_counts_gold(httpserver) -> None:
    airflow = FakeAirflow()
    httpserver.expect_request(re.compile(".*")).respond_with_handler(airflow.handle)
    seen, query = _fake_trino(GOOD_COUNTS, existing=["fct_sales"])
    lines: list[str] = []
    run_smoke(_env(httpserver), query=query, sleep=lambda _: None, log=lines.append)
    assert not any(airflow.paused.values())
    assert [c for c in airflow.calls if c.endswith("/dagRuns") and c.startswith("POST")] == [
        f"POST /api/v2/dags/{dag_id}/dagRuns" for dag_id in DAG_IDS
    ]
    assert lines[-1] == "smoke test passed"
    assert "SELECT count(*) FROM iceberg.gold.fct_sales" in seen


def test_failed_run_names_the_dag_and_its_failed_tasks_on_one_line(httpserver) -> None:
    airflow = FakeAirflow(final_state="failed")
    httpserver.expect_request(re.compile(".*")).respond_with_handler(airflow.handle)
    _, query = _fake_trino(GOOD_COUNTS)
    with pytest.raises(SmokeError) as raised:
        run_smoke(_env(httpserver), query=query, sleep=lambda _: None, log=lambda _: None)
    message = str(raised.value)
    assert "\n" not in message
    assert "sme_pulse_external_data_sync" in message
    assert "dbt_gold.run, ingest_world_bank" in message


def test_a_run_that_never_finishes_times_out(httpserver) -> None:
    airflow = FakeAirflow(polls_before_done=10**9)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(airflow.handle)
    ticks = iter(range(0, 10**6, 5))
    with pytest.raises(SmokeError, match="still running after 60s"):
        run_smoke(
            _env(httpserver),
            query=lambda sql: [(0,)],
            clock=lambda: float(next(ticks)),
            sleep=lambda _: None,
            log=lambda _: None,
        )


def test_wrong_password_fails_with_the_status(httpserver) -> None:
    airflow = FakeAirflow()
    httpserver.expect_request(re.compile(".*")).respond_with_handler(airflow.handle)
    env = {**_env(httpserver), "AIRFLOW_ADMIN_PASSWORD": "nope"}
    with pytest.raises(SmokeError, match="answered 401"):
        run_smoke(env, query=lambda sql: [(0,)], sleep=lambda _: None, log=lambda _: None)


def test_missing_password_is_reported_before_any_call() -> None:
    with pytest.raises(SmokeError, match="AIRFLOW_ADMIN_PASSWORD"):
        run_smoke({}, query=lambda sql: [(0,)])


def test_missing_trino_smoke_password_is_reported_before_any_call() -> None:
    with pytest.raises(SmokeError, match="TRINO_SMOKE_PASSWORD"):
        run_smoke({"AIRFLOW_ADMIN_PASSWORD": "pw"}, query=lambda sql: [(0,)])


def test_gold_check_requires_enough_locations() -> None:
    _, query = _fake_trino({**GOOD_COUNTS, "iceberg.gold.dim_location": 63})
    with pytest.raises(SmokeError, match="dim_location has 63 rows, expected at least 696"):
        check_gold(query, log=lambda _: None)


def test_gold_check_skips_sales_until_the_table_exists() -> None:
    seen, query = _fake_trino(GOOD_COUNTS, existing=[])
    counts = check_gold(query, log=lambda _: None)
    assert "iceberg.gold.fct_sales" not in counts
    assert not any(sql.endswith("fct_sales") for sql in seen)


def test_sales_table_present_but_empty_fails() -> None:
    _, query = _fake_trino({**GOOD_COUNTS, "iceberg.gold.fct_sales": 0}, existing=["fct_sales"])
    with pytest.raises(SmokeError, match="fct_sales has 0 rows"):
        check_gold(query, log=lambda _: None)
