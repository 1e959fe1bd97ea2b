"""Whole DAG runs with alerts on: what is retried, what fails at once, what is sent.

One Airflow home for the module: the external DAG runs first (its run also checks the
deadline alert), then one sales run meets both kinds of failure: the CRM API answers 503
once (transient: retried) and a bronze customer breaks a silver data test (permanent:
no retry, one alert per receiver with the log link).
"""

from __future__ import annotations

import email
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer
from sme_pulse.crm.contract import CUSTOMERS_SCHEMA
from sme_pulse.feeds.generator import GeneratorConfig, generate
from sme_pulse.feeds.simulator import FaultPlan, start_server

from .conftest import AirflowHome, make_airflow_home, run_state

pytestmark = pytest.mark.integration

EXTERNAL = "sme_pulse_external_data_sync"
SALES = "sme_pulse_sales_sync"
BASE_URL = "http://airflow.example.test"
TEST_TASK = "dbt_silver_sales.stg_customers_model_build"
FAILING_TEST = "accepted_values_stg_customers_loyalty_tier"


@dataclass
class MailBox:
    """An SMTP server on loopback (aiosmtpd) that keeps every message it is handed."""

    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[MailBox, str]]:
    box = MailBox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, f"mailto://127.0.0.1:{port}?from=airflow@example.com&to=ops@example.com"
    controller.stop()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> AirflowHome:
    return make_airflow_home(tmp_path_factory.mktemp("alert-runs"))


def task_tries(home: AirflowHome, dag_id: str) -> dict[str, tuple[str, int]]:
    """(state, try_number) of each task of the newest run of `dag_id`, from Airflow's DB."""
    with sqlite3.connect(home.home / "airflow" / "airflow.db") as db:
        (run_id,) = db.execute(
            "select run_id from dag_run where dag_id = ? order by id desc limit 1", (dag_id,)
        ).fetchone()
        rows = db.execute(
            "select task_id, state, try_number from task_instance where dag_id = ? and run_id = ?",
            (dag_id, run_id),
        ).fetchall()
    return {task: (state, tries) for task, state, tries in rows}


def hooks(httpserver: HTTPServer) -> list[dict[str, str]]:
    return [json.loads(request.data) for request, _ in httpserver.log]


def inject_bad_customer(sme_home: Path) -> None:
    """A bronze customer the contract would have refused: loyalty tier 'diamond'."""
    now = datetime.now(UTC)
    row = {name: None for name in CUSTOMERS_SCHEMA.names} | {
        "customer_id": "C-INJECTED",
        "full_name": "Injected Fault",
        "admin_version": "v2",
        "loyalty_tier": "diamond",
        "updated_at": now,
        "ingested_at": now,
        "source": "crm",
        "request_url": "injected-by-test",
        "run_id": "injected",
    }
    target = sme_home / "lake/bronze/crm/customers/ingest_date=2000-01-01/part-injected.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist([row], schema=CUSTOMERS_SCHEMA), target)


def test_deadline_then_transient_retry_and_failed_test_alert(
    home: AirflowHome,
    httpserver: HTTPServer,
    mailbox: tuple[MailBox, str],
    fault_ledger,
) -> None:
    box, mail_url = mailbox
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    alert_env = {
        "ALERT_URLS": f"json://{httpserver.host}:{httpserver.port}/hook {mail_url}",
        "AIRFLOW__API__BASE_URL": BASE_URL,
    }

    # The external DAG succeeds, past a deadline of zero minutes: one alert per receiver.
    result = home.dags_test(EXTERNAL, RUN_DEADLINE_MINUTES="0", **alert_env)
    log = result.stdout + result.stderr
    assert run_state(log, EXTERNAL) == "success", log[-3000:]
    deadline = hooks(httpserver)
    assert [m["title"] for m in deadline] == ["SME Pulse: run past its deadline"]
    assert f"{BASE_URL}/dags/{EXTERNAL}/runs/" in deadline[0]["message"]
    assert [m["Subject"] for m in box.messages] == ["SME Pulse: run past its deadline"]
    fault_ledger.record(
        "alerts",
        "a run finishes past RUN_DEADLINE_MINUTES",
        expected="one message per receiver, with the run's link",
        observed=f"{len(deadline)} webhook, {len(box.messages)} e-mail, link present",
    )
    httpserver.clear_log()
    box.messages.clear()

    # The sales run: a CRM that fails once, and a bronze row that breaks a silver test.
    feeds = home.home / "feeds"
    generate(feeds, GeneratorConfig(customers=60, seed=11))
    sme_home = Path(home.env["SME_PULSE_HOME"])
    (sme_home / "landing").mkdir(parents=True, exist_ok=True)
    for path in (feeds / "landing").iterdir():
        path.replace(sme_home / "landing" / path.name)
    inject_bad_customer(sme_home)
    server, crm_url = start_server(feeds / "crm", faults=FaultPlan(script=("503",)))
    try:
        result = home.dags_test(SALES, CUSTOMER_API_URL=crm_url, HTTP_MAX_ATTEMPTS="1", **alert_env)
    finally:
        server.stop()
    log = result.stdout + result.stderr
    assert run_state(log, SALES) == "failed", log[-5000:]
    tries = task_tries(home, SALES)

    crm_state, crm_tries = tries["ingest_sales_data.ingest_customers"]
    assert (crm_state, crm_tries) == ("success", 2), log[-5000:]
    fault_ledger.record(
        "orchestration",
        "customer API answers 503 once (HTTP_MAX_ATTEMPTS=1)",
        expected="task retried with backoff, then succeeds",
        observed=f"ingest_customers {crm_state} on try {crm_tries}",
    )

    test_state, test_tries = tries[TEST_TASK]
    assert (test_state, test_tries) == ("failed", 1), log[-5000:]
    assert "up_for_retry" not in {state for state, _ in tries.values()}
    fault_ledger.record(
        "orchestration",
        "a dbt data test fails (bronze loyalty tier outside the accepted values)",
        expected="task failed on its first try, no retry",
        observed=f"{TEST_TASK.split('.')[-1]} {test_state} after {test_tries} try",
    )

    gold = {task: state for task, (state, _) in tries.items() if task.startswith("dbt_gold_sales.")}
    assert gold and set(gold.values()) == {"upstream_failed"}, gold
    fault_ledger.record(
        "orchestration",
        "a dbt data test fails in silver",
        expected="gold is not rebuilt from that silver: it keeps its last good state",
        observed=f"all {len(gold)} gold tasks upstream_failed, none ran",
    )

    sent = hooks(httpserver)
    assert len(sent) == 1, sent
    body = sent[0]["message"]
    assert sent[0]["title"] == "SME Pulse: dbt data test failed"
    assert f"DAG: {SALES}" in body and f"Task: {TEST_TASK} (try 1)" in body
    assert FAILING_TEST in body
    log_link = f"{BASE_URL}/dags/{SALES}/runs/"
    assert log_link in body and f"/tasks/{TEST_TASK}?try_number=1" in body
    assert len(box.messages) == 1
    mail = box.messages[0]
    mail_body = mail.get_payload(decode=True).decode()
    assert mail["Subject"] == "SME Pulse: dbt data test failed"
    assert FAILING_TEST in mail_body and log_link in mail_body
    fault_ledger.record(
        "alerts",
        "a dbt data test fails in the sales DAG",
        expected="one message per receiver: DAG, run, task, test, log link",
        observed=f"{len(sent)} webhook, {len(box.messages)} e-mail, test and log link named",
    )
