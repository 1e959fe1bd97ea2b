"""A small CRM API that misbehaves on purpose, for the customer ingestion to be tested against.

`GET /v1/customers?updated_since=ISO8601&cursor=...&limit=N` answers
`{"data": [...], "next_cursor": "..." | null}` from `<data>/customers.jsonl`, ordered by
`(updated_at, id)`, records with `updated_at >= updated_since`. The cursor is opaque
(the last record's sort key) so pages stay stable while the file is appended to; the
file is re-read whenever it changes. With a token configured every customer request
needs `Authorization: Bearer <token>` (401 otherwise). `GET /healthz` needs no token.

Faults, drawn per customer request from a seeded generator, or scripted in order for
the first requests (`script`): `429` (with `Retry-After`), `503`/`500`, `truncate`
(a `Content-Length` longer than the body, then the connection closes), `cut_json` (a
complete response whose JSON is cut in half), `slow` (a delay of `slow_fault_ms`),
`ok`. `slow_ms` delays every customer response.
"""

from __future__ import annotations

import base64
import bisect
import hmac
import json
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sme_pulse.errors import SmePulseError
from sme_pulse.ingestion.values import parse_timestamp

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
FAULTS = ("429", "500", "503", "truncate", "cut_json", "slow", "ok")

SortKey = tuple[datetime, str]


class SimulatorError(SmePulseError, ValueError):
    """The simulator's data or settings are unusable; the message says which."""


@dataclass(frozen=True)
class FaultPlan:
    rate_429: float = 0.0
    rate_5xx: float = 0.0
    truncate_rate: float = 0.0
    slow_ms: int = 0
    seed: int = 0
    retry_after_s: int = 1
    slow_fault_ms: int = 2000
    script: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [f for f in self.script if f not in FAULTS]
        if unknown:
            raise SimulatorError(f"unknown fault {unknown[0]!r}; use one of {', '.join(FAULTS)}")
        if self.rate_429 + self.rate_5xx + self.truncate_rate > 1:
            raise SimulatorError("fault rates add up to more than 1")


class CustomerStore:
    """The customers file, sorted by `(updated_at, id)` and re-read when it changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._keys: list[SortKey] = []
        self._records: list[dict[str, Any]] = []
        self.refresh()

    def _load(self) -> None:
        rows: list[tuple[SortKey, dict[str, Any]]] = []
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    key = (parse_timestamp(record["updated_at"]), str(record["id"]))
                except (ValueError, KeyError, TypeError) as exc:
                    raise SimulatorError(
                        f"{self.path}:{number}: a customer needs an id and a valid "
                        f"updated_at ({exc})"
                    ) from exc
                rows.append((key, record))
        rows.sort(key=lambda row: row[0])
        self._keys = [key for key, _ in rows]
        self._records = [record for _, record in rows]

    def refresh(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError as exc:
            raise SimulatorError(f"no customer data at {self.path}") from exc
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._load()
                self._stamp = stamp

    def __len__(self) -> int:
        return len(self._records)

    def page(
        self, since: datetime | None, after: SortKey | None, limit: int
    ) -> tuple[list[dict[str, Any]], SortKey | None]:
        """Records after `after` (and not older than `since`), and the key to continue from."""
        self.refresh()
        with self._lock:
            start = 0
            if since is not None:
                start = bisect.bisect_left(self._keys, (since, ""))
            if after is not None:
                start = max(start, bisect.bisect_right(self._keys, after))
            end = start + limit
            records = self._records[start:end]
            more = end < len(self._records)
            return records, (self._keys[end - 1] if more and records else None)


def encode_cursor(key: SortKey) -> str:
    raw = f"{key[0].isoformat()}|{key[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> SortKey:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
        moment, _, customer_id = raw.partition("|")
        return datetime.fromisoformat(moment), customer_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise SimulatorError(f"invalid cursor {cursor!r}") from exc


@dataclass
class RequestRecord:
    path: str
    status: int
    fault: str


@dataclass
class _Faults:
    plan: FaultPlan
    rng: random.Random = field(init=False)
    script: list[str] = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.plan.seed)
        self.script = list(self.plan.script)

    def next(self) -> str:
        with self.lock:
            if self.script:
                return self.script.pop(0)
            draw = self.rng.random()
            plan = self.plan
            if draw < plan.rate_429:
                return "429"
            if draw < plan.rate_429 + plan.rate_5xx:
                return "503"
            if draw < plan.rate_429 + plan.rate_5xx + plan.truncate_rate:
                return self.rng.choice(("truncate", "cut_json"))
            return "ok"


class FeedServer(ThreadingHTTPServer):
    """The HTTP server; `requests` records what each customer request got, for tests."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], store: CustomerStore, token: str | None, plan: FaultPlan
    ) -> None:
        super().__init__(address, _Handler)
        self.store = store
        self.token = token
        self.plan = plan
        self.faults = _Faults(plan)
        self.requests: list[RequestRecord] = []
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start_in_thread(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="feed-simulator",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    server: FeedServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def _send(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _json(self, status: int, document: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(document, ensure_ascii=False).encode("utf-8"), headers)

    def _record(self, status: int, fault: str) -> None:
        self.server.requests.append(RequestRecord(self.path, status, fault))

    def _authorized(self) -> bool:
        token = self.server.token
        if not token:
            return True
        supplied = self.headers.get("Authorization", "")
        return hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode())

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/healthz":
            self._json(200, {"status": "ok", "customers": len(self.server.store)})
        elif url.path == "/v1/customers":
            self._customers(parse_qs(url.query))
        else:
            self._json(404, {"error": f"no route {url.path}"})

    def _customers(self, query: dict[str, list[str]]) -> None:
        if not self._authorized():
            self._record(401, "auth")
            self._json(
                401, {"error": "missing or wrong bearer token"}, {"WWW-Authenticate": "Bearer"}
            )
            return
        plan = self.server.plan
        fault = self.server.faults.next()
        if plan.slow_ms:
            time.sleep(plan.slow_ms / 1000)
        if fault == "slow":
            time.sleep(plan.slow_fault_ms / 1000)
        if fault == "429":
            self._record(429, fault)
            self._json(429, {"error": "rate limited"}, {"Retry-After": str(plan.retry_after_s)})
            return
        if fault in ("500", "503"):
            self._record(int(fault), fault)
            self._json(int(fault), {"error": "upstream unavailable"})
            return
        try:
            body = self._page_body(query)
        except SimulatorError as exc:
            self._record(400, "bad_request")
            self._json(400, {"error": str(exc)})
            return
        self._record(200, fault)
        if fault == "truncate":
            self.close_connection = True
            self._send(200, body[: len(body) // 2], length=len(body))
        elif fault == "cut_json":
            self._send(200, body[: len(body) // 2])
        else:
            self._send(200, body)

    def _page_body(self, query: dict[str, list[str]]) -> bytes:
        def one(name: str) -> str | None:
            values = query.get(name)
            return values[-1] if values else None

        raw_limit = one("limit")
        try:
            limit = int(raw_limit) if raw_limit else DEFAULT_LIMIT
        except ValueError as exc:
            raise SimulatorError(f"limit must be an integer, got {raw_limit!r}") from exc
        if not 1 <= limit <= MAX_LIMIT:
            raise SimulatorError(f"limit must be 1..{MAX_LIMIT}")
        raw_since = one("updated_since")
        try:
            since = parse_timestamp(raw_since) if raw_since else None
        except ValueError as exc:
            raise SimulatorError(f"updated_since: {exc}") from exc
        cursor = one("cursor")
        records, next_key = self.server.store.page(
            since, decode_cursor(cursor) if cursor else None, limit
        )
        document = {
            "data": records,
            "next_cursor": encode_cursor(next_key) if next_key else None,
        }
        return json.dumps(document, ensure_ascii=False).encode("utf-8")


def make_server(
    data_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    faults: FaultPlan | None = None,
) -> FeedServer:
    """A bound but not yet serving simulator over `data_dir/customers.jsonl`."""
    store = CustomerStore(data_dir / "customers.jsonl")
    return FeedServer((host, port), store, token, faults or FaultPlan())


def start_server(
    data_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    faults: FaultPlan | None = None,
) -> tuple[FeedServer, str]:
    """Serve in a background thread (port 0 picks a free port); stop with `server.stop()`."""
    server = make_server(data_dir, host=host, port=port, token=token, faults=faults)
    server.start_in_thread()
    return server, server.base_url
