"""Fixtures for the customer ingestion: a real simulator over HTTP and a throwaway lake."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sme_pulse.config import Settings
from sme_pulse.feeds.simulator import FaultPlan, FeedServer, start_server
from sme_pulse.sources.lineage import RunContext

TOKEN = "test-token-123"
BASE_TIME = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)

Customers = Callable[[list[dict[str, Any]]], None]
Feed = Callable[..., tuple[FeedServer, str]]
MakeSettings = Callable[..., Settings]


def _customer(n: int, **overrides: Any) -> dict[str, Any]:
    """A valid pre-reform customer record, updated `n` hours after the base time."""
    record: dict[str, Any] = {
        "id": f"KH{n:06d}",
        "full_name": "Nguyễn Thị Lan",
        "email": f"lan{n}@gmail.com",
        "phone": "0912 345 678",
        "province_code": "01",
        "district_code": "001",
        "loyalty_tier": "member",
        "created_at": "2023-01-05T02:00:00Z",
        "updated_at": (BASE_TIME + timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    record.update(overrides)
    return record


@pytest.fixture
def customer() -> Callable[..., dict[str, Any]]:
    return _customer


@pytest.fixture
def crm_dir(tmp_path: Path) -> Path:
    path = tmp_path / "crm"
    path.mkdir()
    return path


@pytest.fixture
def write_customers(crm_dir: Path) -> Customers:
    def write(records: list[dict[str, Any]]) -> None:
        lines = [json.dumps(r, ensure_ascii=False) for r in records]
        (crm_dir / "customers.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    return write


@pytest.fixture
def feed(crm_dir: Path) -> Iterator[Feed]:
    """Start simulators on free ports; every one is stopped after the test."""
    servers: list[FeedServer] = []

    def start(token: str | None = TOKEN, faults: FaultPlan | None = None) -> tuple[FeedServer, str]:
        server, url = start_server(crm_dir, token=token, faults=faults)
        servers.append(server)
        return server, url

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def make_settings(tmp_path: Path) -> MakeSettings:
    def build(url: str, token: str | None = TOKEN, **env: str) -> Settings:
        values = {
            "SME_PULSE_HOME": str(tmp_path),
            "CUSTOMER_API_URL": url,
            "HTTP_TIMEOUT_SECONDS": "1",
            "HTTP_MAX_ATTEMPTS": "4",
            "HTTP_BUDGET_SECONDS": "20",
            **env,
        }
        if token:
            values["CUSTOMER_API_TOKEN"] = token
        return Settings.from_env(values)

    return build


@pytest.fixture
def run() -> RunContext:
    return RunContext("crm_test", "2026-01-15", datetime(2026, 1, 15, 3, 0, tzinfo=UTC))


@pytest.fixture
def dataset(tmp_path: Path) -> Callable[[str], pa.Table]:
    def read(prefix: str) -> pa.Table:
        files = sorted((tmp_path / "lake" / prefix).rglob("*.parquet"))
        tables = [pq.read_table(f, partitioning=None) for f in files]
        return pa.concat_tables(tables) if tables else pa.table({})

    return read
