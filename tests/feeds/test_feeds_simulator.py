"""The CRM feed simulator over real HTTP: pages, filters, auth and each kind of fault."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sme_pulse.feeds.simulator import FaultPlan, FeedServer, SimulatorError, start_server

pytestmark = pytest.mark.integration

TOKEN = "sim-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
START = datetime(2024, 5, 1, tzinfo=UTC)


def records(count: int) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        moment = START + timedelta(hours=n // 2)
        rows.append(
            {"id": f"KH{n:06d}", "full_name": "Lê Thị Hoa", "updated_at": moment.isoformat()}
        )
    return list(reversed(rows))


def write(folder: Path, rows: list[dict[str, Any]]) -> None:
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
    (folder / "customers.jsonl").write_text(text, encoding="utf-8")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    write(tmp_path, records(9))
    return tmp_path


@pytest.fixture
def servers() -> Iterator[list[FeedServer]]:
    started: list[FeedServer] = []
    yield started
    for server in started:
        server.stop()


def serve(data: Path, servers: list[FeedServer], **kwargs: Any) -> str:
    server, url = start_server(data, **kwargs)
    servers.append(server)
    return url


def all_pages(url: str, **params: Any) -> tuple[list[str], int]:
    ids: list[str] = []
    pages, cursor = 0, None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = httpx.get(f"{url}/v1/customers", params=query, headers=AUTH).json()
        ids += [r["id"] for r in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages


def test_pages_are_ordered_by_update_time_then_id(data: Path, servers: list[FeedServer]) -> None:
    url = serve(data, servers, token=TOKEN)
    ids, pages = all_pages(url, limit=4)
    assert ids == [f"KH{n:06d}" for n in range(9)]
    assert pages == 3


def test_updated_since_is_inclusive(data: Path, servers: list[FeedServer]) -> None:
    url = serve(data, servers, token=TOKEN)
    since = (START + timedelta(hours=2)).isoformat()
    ids, _ = all_pages(url, updated_since=since, limit=100)
    assert ids == ["KH000004", "KH000005", "KH000006", "KH000007", "KH000008"]


def test_the_file_is_reread_when_it_changes(data: Path, servers: list[FeedServer]) -> None:
    url = serve(data, servers, token=TOKEN)
    write(data, records(12))
    assert len(all_pages(url)[0]) == 12
    assert httpx.get(f"{url}/healthz").json() == {"status": "ok", "customers": 12}


def test_auth_and_bad_requests(data: Path, servers: list[FeedServer]) -> None:
    url = serve(data, servers, token=TOKEN)
    denied = httpx.get(f"{url}/v1/customers")
    assert denied.status_code == 401 and denied.headers["WWW-Authenticate"] == "Bearer"
    wrong = httpx.get(f"{url}/v1/customers", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    for params in ({"limit": "0"}, {"limit": "x"}, {"cursor": "!!"}, {"updated_since": "soon"}):
        assert httpx.get(f"{url}/v1/customers", params=params, headers=AUTH).status_code == 400
    assert httpx.get(f"{url}/nowhere").status_code == 404
    open_url = serve(data, servers)
    assert httpx.get(f"{open_url}/v1/customers").status_code == 200


def test_scripted_faults_misbehave_as_announced(data: Path, servers: list[FeedServer]) -> None:
    plan = FaultPlan(script=("429", "503", "500", "truncate", "cut_json", "ok"), retry_after_s=7)
    url = serve(data, servers, faults=plan)
    limited = httpx.get(f"{url}/v1/customers")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert httpx.get(f"{url}/v1/customers").status_code == 503
    assert httpx.get(f"{url}/v1/customers").status_code == 500
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{url}/v1/customers")
    cut = httpx.get(f"{url}/v1/customers")
    assert cut.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        cut.json()
    assert httpx.get(f"{url}/v1/customers").json()["data"]


def test_random_faults_follow_the_seed(data: Path, servers: list[FeedServer]) -> None:
    plan = FaultPlan(rate_429=0.3, rate_5xx=0.3, seed=4)
    first = serve(data, servers, faults=plan)
    second = serve(data, servers, faults=plan)
    a = [httpx.get(f"{first}/v1/customers").status_code for _ in range(12)]
    b = [httpx.get(f"{second}/v1/customers").status_code for _ in range(12)]
    assert a == b
    assert {200, 429, 503} <= set(a)


def test_unusable_settings_and_data_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SimulatorError, match="unknown fault"):
        FaultPlan(script=("teapot",))
    with pytest.raises(SimulatorError, match="more than 1"):
        FaultPlan(rate_429=0.6, rate_5xx=0.6)
    with pytest.raises(SimulatorError, match="no customer data"):
        start_server(tmp_path / "missing")
    (tmp_path / "customers.jsonl").write_text('{"id": "KH1", "updated_at": "never"}\n')
    with pytest.raises(SimulatorError, match=r"customers\.jsonl:1"):
        start_server(tmp_path)
