"""Suite-wide isolation: no test reads the developer's .env, lake or Airflow home."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

REPO = Path(__file__).resolve().parents[1]

# Airflow reads its configuration when first imported, so the session's Airflow home must
# be in the environment before any test module imports it.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="sme-pulse-airflow-")
os.environ.update(
    {
        "AIRFLOW_HOME": _AIRFLOW_HOME,
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "airflow" / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
        "AIRFLOW__COSMOS__ENABLE_ORJSON_PARSER": "True",
        "DO_NOT_TRACK": "1",
        "SCARF_ANALYTICS": "false",
        "DBT_PROJECT_DIR": str(REPO / "dbt"),
        "DBT_PROFILES_DIR": str(REPO / "dbt"),
    }
)

SETTINGS_VARS = (
    "SME_PULSE_HOME", "LAKE_URI", "LANDING_URI", "WAREHOUSE_PATH", "DBT_TARGET", "SOURCE_MODE",
    "WORLD_BANK_API_URL", "WB_COUNTRY", "WB_INDICATORS", "WB_YEARS", "PROVINCES_API_URL",
    "CUSTOMER_API_URL", "CUSTOMER_API_TOKEN", "HTTP_TIMEOUT_SECONDS", "HTTP_BUDGET_SECONDS",
    "HTTP_MAX_ATTEMPTS", "FRESHNESS_MAX_AGE_DAYS", "TASK_RETRIES", "TASK_RETRY_DELAY_SECONDS",
    "S3_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
    "DBT_EXECUTION", "LANDING_ENCODING", "LANDING_MAX_FILE_MB", "LANDING_MAX_ROW_KB",
    "XLSX_MAX_UNZIPPED_MB", "XLSX_MAX_ZIP_RATIO", "ALERT_URLS", "RUN_DEADLINE_MINUTES",
    "AIRFLOW_DB_RETENTION_DAYS",
)  # fmt: skip


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Every test starts from defaults with its own SME_PULSE_HOME."""
    for name in SETTINGS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SME_PULSE_HOME", str(tmp_path / "home"))
    yield


def _start_moto() -> tuple[ThreadedMotoServer, str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A real S3 server (moto) on loopback for the module; tests use their own buckets."""
    server, endpoint = _start_moto()
    yield endpoint
    server.stop()


@pytest.fixture
def moto_s3() -> Iterator[Callable[[], tuple[ThreadedMotoServer, str]]]:
    """`server, endpoint = moto_s3()` starts a real S3 server (moto) a test may stop and
    start again (moto keeps its objects in the process); each is stopped at the end."""
    started: list[ThreadedMotoServer] = []

    def start() -> tuple[ThreadedMotoServer, str]:
        server, endpoint = _start_moto()
        started.append(server)
        return server, endpoint

    yield start
    for server in started:
        with contextlib.suppress(Exception):
            server.stop()


@pytest.fixture
def set_env(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def apply(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return apply


# --- the fault ledger: docs/reliability.md is written from what the suite observed -------


@dataclass(frozen=True)
class FaultOutcome:
    """One fault or bad input the suite injected, and what it saw happen."""

    area: str
    fault: str
    expected: str
    observed: str
    rows_lost: int
    rows_duplicated: int


@dataclass(frozen=True)
class SecurityCheck:
    """One security property the suite checked, and how."""

    check: str
    observed: str


@dataclass
class FaultLedger:
    """What the fault tests record; `make test` turns it into docs/reliability.md.

    Recording asserts the invariant the document promises, so a fault that loses or
    duplicates a row fails its test and never reaches the document as survived. Texts must
    not carry timings or paths: the document is compared with the committed one in CI.
    """

    faults: list[FaultOutcome] = field(default_factory=list)
    checks: list[SecurityCheck] = field(default_factory=list)

    def record(
        self,
        area: str,
        fault: str,
        *,
        expected: str,
        observed: str,
        rows_lost: int = 0,
        rows_duplicated: int = 0,
    ) -> None:
        self.faults.append(
            FaultOutcome(area, fault, expected, observed, rows_lost, rows_duplicated)
        )
        assert rows_lost == 0, f"{fault}: {rows_lost} row(s) lost"
        assert rows_duplicated == 0, f"{fault}: {rows_duplicated} row(s) duplicated"

    def security(self, check: str, *, observed: str) -> None:
        self.checks.append(SecurityCheck(check, observed))

    def document(self) -> str:
        def cell(text: object) -> str:
            return str(text).replace("|", "\\|").replace("\n", " ")

        lines = [
            "# Reliability: faults survived and security checks",
            "",
            "Generated by `make test` from what the fault tests observed (the `fault_ledger`",
            "fixture in `tests/conftest.py`); do not edit by hand. Every row is a test that",
            "injected the fault into real servers, files or processes and asserted the outcome.",
            "",
            f"## Faults and bad inputs ({len(self.faults)})",
            "",
            "| area | fault or bad input | expected | observed | rows lost | rows duplicated |",
            "|---|---|---|---|---|---|",
        ]
        for f in sorted(self.faults, key=lambda f: (f.area, f.fault)):
            lines.append(
                f"| {cell(f.area)} | {cell(f.fault)} | {cell(f.expected)} | {cell(f.observed)}"
                f" | {f.rows_lost} | {f.rows_duplicated} |"
            )
        lines += ["", f"## Security checks ({len(self.checks)})", "", "| check | observed |"]
        lines.append("|---|---|")
        for c in sorted(self.checks, key=lambda c: c.check):
            lines.append(f"| {cell(c.check)} | {cell(c.observed)} |")
        return "\n".join(lines) + "\n"


_LEDGER = FaultLedger()
RELIABILITY_DOC_VAR = "SME_PULSE_RELIABILITY_DOC"


@pytest.fixture
def fault_ledger() -> FaultLedger:
    """Record a fault the test injected (`record`) or a security property it checked."""
    return _LEDGER


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that records into the ledger is a `faults` test (`pytest -m faults`)."""
    for item in items:
        if "fault_ledger" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.faults)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the reliability document when asked (`make test`) and every test passed."""
    target = os.environ.get(RELIABILITY_DOC_VAR)
    if target and exitstatus == 0 and _LEDGER.faults:
        Path(target).write_text(_LEDGER.document(), encoding="utf-8")
