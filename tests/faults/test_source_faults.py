"""Source APIs under faults and schema drift, end to end: a real server, a real lake.

Each test injects one fault into a loopback server (pytest_httpserver, or a raw socket
server for a connection reset) and counts, from the server's side, every record it
served in a complete response; then it reads bronze and quarantine back. Rows lost are
served records in neither; rows duplicated are records landed twice. A run that must
fail starts from a bronze partition of the same date (replay mode), and its losses are
the rows of that partition changed or removed, its duplicates any rows added.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pytest_httpserver import HTTPServer
from sme_pulse.config import Settings
from sme_pulse.crm import ingest_customers
from sme_pulse.crm.watermark import WATERMARK_KEY
from sme_pulse.errors import SmePulseError
from sme_pulse.sources import provinces, world_bank
from sme_pulse.sources.lineage import RunContext
from sme_pulse.storage import Lake
from werkzeug import Request, Response

pytestmark = pytest.mark.integration

RUN = RunContext("fault_run", "2026-11-01", datetime(2026, 11, 1, tzinfo=UTC))
GDP = "NY.GDP.MKTP.CD"
INVALID = "The provided parameter value is not valid"
ERROR_ENVELOPE = [{"message": [{"id": "120", "key": "Invalid value", "value": INVALID}]}]
TIMEOUT_S = 2  # generous: a loaded CI machine must not time out on a normal answer
SLOW_S = TIMEOUT_S + 1
PROXY_PAGE = "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>"

# Viet Nam's GDP in current US$ (World Bank, April 2026 vintage); 2025 not published yet.
GDP_BY_YEAR = {"2025": None, "2024": 476388230307.175, "2023": 433857681378.291,
               "2022": 413445230668.578}  # fmt: skip


def observation(year: str, value: object) -> dict[str, Any]:
    return {"indicator": {"id": GDP, "value": "GDP (current US$)"},
            "country": {"id": "VN", "value": "Viet Nam"}, "countryiso3code": "VNM",
            "date": year, "value": value, "unit": "", "obs_status": "", "decimal": 0}  # fmt: skip


def series() -> list[dict[str, Any]]:
    return [observation(year, value) for year, value in GDP_BY_YEAR.items()]


@dataclass
class WorldBankStub:
    """One indicator in pages of `per_page`; `script` names the fault of each request."""

    records: list[dict[str, Any]]
    per_page: int = 2
    script: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    served: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, request: Request) -> Response:
        fault = self.script.pop(0) if self.script else "ok"
        self.requests.append(fault)
        number = int(request.args.get("page", "1"))
        pages = max(1, -(-len(self.records) // self.per_page))
        rows = self.records[(number - 1) * self.per_page : number * self.per_page]
        header = {"page": number, "pages": pages, "per_page": str(self.per_page),
                  "total": len(self.records), "lastupdated": "2026-04-08"}  # fmt: skip
        body = json.dumps([header, rows])
        if fault == "slow":  # the client has given up by the time this body is sent
            time.sleep(SLOW_S)
            return Response(body, content_type="application/json")
        if fault in ("500", "503"):
            return Response("upstream unavailable", status=int(fault))
        if fault == "429":
            return Response("rate limited", status=429)
        if fault == "429_retry_after":
            return Response("rate limited", status=429, headers={"Retry-After": "1"})
        if fault == "404":
            return Response(json.dumps({"detail": "not found"}), status=404)
        if fault == "html":
            return Response(PROXY_PAGE, content_type="text/html")
        if fault == "envelope":
            return Response(json.dumps(ERROR_ENVELOPE), content_type="application/json")
        if fault == "empty_page":
            return Response(json.dumps([header, []]), content_type="application/json")
        if fault == "truncated":
            return Response(body[: len(body) // 2], content_type="application/json")
        self.served += [key(row) for row in rows]
        return Response(body, content_type="application/json")


def key(record: dict[str, Any]) -> tuple[str, str]:
    """An observation's identity: indicator and year."""
    return str(record["indicator"]["id"]), str(record["date"])


def live(home: Path, **env: str) -> Settings:
    return Settings.from_env(
        {"SME_PULSE_HOME": str(home), "SOURCE_MODE": "live", "WB_INDICATORS": GDP,
         "HTTP_TIMEOUT_SECONDS": str(TIMEOUT_S), "HTTP_MAX_ATTEMPTS": "3",
         "HTTP_BUDGET_SECONDS": "30",
         **env}
    )  # fmt: skip


def wb_settings(httpserver: HTTPServer, stub: WorldBankStub, home: Path) -> Settings:
    httpserver.expect_request(f"/v2/country/VN/indicator/{GDP}").respond_with_handler(stub)
    return live(home, WORLD_BANK_API_URL=httpserver.url_for("/v2"))


def rows_of(lake: Lake, prefix: str) -> list[dict[str, Any]]:
    keys = [o.key for o in lake.list(prefix) if o.key.endswith(".parquet")]
    return [row for k in keys for row in lake.read_parquet(k).to_pylist()]


@dataclass(frozen=True)
class Landed:
    read: int
    loaded: int
    quarantined: int
    lost: int
    duplicated: int
    reasons: list[str]


def landed_world_bank(lake: Lake, written: dict[str, int], served: list[tuple[str, str]]) -> Landed:
    """Compare what the server served with bronze and quarantine."""
    bronze = [(r["indicator_code"], str(r["year"])) for r in rows_of(lake, "bronze/world_bank")]
    rejected = rows_of(lake, "quarantine/world_bank")
    keys = bronze + [key(json.loads(r["raw_record"])) for r in rejected]
    quarantined = sum(n for k, n in written.items() if k.startswith("quarantine/"))
    loaded = sum(n for k, n in written.items() if k.startswith("bronze/"))
    assert (loaded, quarantined) == (len(bronze), len(rejected))
    return Landed(
        read=len(set(served)),
        loaded=loaded,
        quarantined=quarantined,
        lost=len(set(served) - set(keys)),
        duplicated=len(keys) - len(set(keys)),
        reasons=sorted({r["reason"] for r in rejected}),
    )


def snapshot(lake: Lake) -> dict[str, bytes]:
    return {o.key: lake.get_bytes(o.key) for o in lake.list("")}


def parquet_rows(payload: bytes) -> int:
    return pq.read_metadata(pa.BufferReader(payload)).num_rows


def damage(before: dict[str, bytes], after: dict[str, bytes]) -> tuple[int, int]:
    """(rows of the earlier objects changed or gone, rows in objects that appeared)."""
    lost = sum(parquet_rows(v) for k, v in before.items() if after.get(k) != v and ".parquet" in k)
    added = sum(parquet_rows(v) for k, v in after.items() if k not in before and ".parquet" in k)
    return lost, added


def fails_cleanly(home: Path, run: Callable[[Lake], object]) -> tuple[str, int, int]:
    """Seed today's partition from the recordings, run `run`, expect a one-line failure."""
    seeded = Settings.from_env({"SME_PULSE_HOME": str(home)})
    lake = Lake.from_settings(seeded)
    world_bank.ingest(seeded, lake, RUN)
    provinces.ingest(seeded, lake, RUN)
    before = snapshot(lake)
    with pytest.raises(SmePulseError) as failure:
        run(lake)
    message = str(failure.value)
    assert "\n" not in message
    lost, added = damage(before, snapshot(lake))
    return message, lost, added


# --- World Bank: faults that a retry survives -------------------------------------------

RECOVERED = [
    ("HTTP 503 on page 2 of 2, then success", ["ok", "503"]),
    ("HTTP 429 with Retry-After: 1, then success", ["429_retry_after"]),
    ("HTTP 429 without Retry-After, then success", ["429"]),
    ("answer slower than the client timeout, then success", ["slow"]),
    ("JSON body cut in half (HTTP 200), then success", ["truncated"]),
    ("HTML proxy error page with HTTP 200, then success", ["html"]),
]


@pytest.mark.parametrize(("fault", "script"), RECOVERED, ids=[r[0] for r in RECOVERED])
def test_world_bank_recovers_from_transient_faults(
    fault: str, script: list[str], httpserver: HTTPServer, tmp_path: Path, fault_ledger
) -> None:
    stub = WorldBankStub(series(), script=list(script))
    settings = wb_settings(httpserver, stub, tmp_path)
    written = world_bank.ingest(settings, Lake.from_settings(settings), RUN)
    got = landed_world_bank(Lake.from_settings(settings), written, stub.served)
    assert (got.read, got.loaded, got.quarantined) == (4, 4, 0)
    assert len(stub.requests) == 3, "two pages and one retry"
    fault_ledger.record(
        "source API",
        f"World Bank: {fault}",
        expected="retried; every observation in bronze once",
        observed=f"{len(stub.requests)} requests; read {got.read}, loaded {got.loaded}, "
        f"quarantined {got.quarantined}",
        rows_lost=got.lost,
        rows_duplicated=got.duplicated,
    )


class ResettingServer:
    """A raw HTTP server: the first connection gets half a body, then a TCP reset."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.connections = 0
        self.served = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(4096)
                head = (
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n"
                ).encode()
                self.connections += 1
                if self.connections == 1:
                    conn.sendall(head + self.body[: len(self.body) // 2])
                    # Linger on, timeout 0: closing sends a TCP reset, not a clean end.
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                else:
                    conn.sendall(head + self.body)
                    self.served += 1

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def resetting_server() -> Iterator[ResettingServer]:
    header = {"page": 1, "pages": 1, "per_page": "50", "total": 4, "lastupdated": "2026-04-08"}
    server = ResettingServer(json.dumps([header, series()]).encode())
    yield server
    server.close()


def test_world_bank_survives_a_connection_reset_mid_body(
    resetting_server: ResettingServer, tmp_path: Path, fault_ledger
) -> None:
    settings = live(tmp_path, WORLD_BANK_API_URL=f"{resetting_server.url}/v2")
    written = world_bank.ingest(settings, Lake.from_settings(settings), RUN)
    served = [key(r) for r in series()] * resetting_server.served
    got = landed_world_bank(Lake.from_settings(settings), written, served)
    assert resetting_server.connections == 2 and (got.loaded, got.quarantined) == (4, 0)
    fault_ledger.record(
        "source API",
        "World Bank: connection reset (TCP RST) mid-body, then success",
        expected="retried; every observation in bronze once",
        observed=f"{resetting_server.connections} connections; read {got.read}, "
        f"loaded {got.loaded}, quarantined {got.quarantined}",
        rows_lost=got.lost,
        rows_duplicated=got.duplicated,
    )


# --- World Bank: faults that fail the run, leaving the partition as it was ------------

FAILED = [
    ("connection refused", None, "connection failed"),
    ("HTTP 503 on every attempt", ["503"] * 3, "failed after 3 attempt(s)"),
    ("HTML proxy error page with HTTP 200 on every attempt", ["html"] * 3, "JSON body (text/html"),
    ("error envelope with HTTP 200 (id 120)", ["envelope"], "API error 120"),
    ("empty result (page 0 of 0, null rows)", ["empty"], "no observations for VN"),
    ("page 2 of 3 answers HTTP 404", ["ok", "404"], "HTTP 404"),
    ("page 2 of 3 is empty", ["ok", "empty_page"], "is empty; the series would be incomplete"),
]


@pytest.mark.parametrize(("fault", "script", "says"), FAILED, ids=[f[0] for f in FAILED])
def test_world_bank_fails_cleanly_and_keeps_the_previous_partition(
    fault: str, script: list[str] | None, says: str, httpserver: HTTPServer, tmp_path: Path,
    fault_ledger,
) -> None:  # fmt: skip
    if script is None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{probe.getsockname()[1]}/v2"
        settings = live(tmp_path, WORLD_BANK_API_URL=url)
    else:
        records = [] if script == ["empty"] else [*series(), observation("2021", 3.66e11),
                                                  observation("2020", 3.47e11)]  # fmt: skip
        settings = wb_settings(httpserver, WorldBankStub(records, script=list(script)), tmp_path)
    text, lost, added = fails_cleanly(tmp_path, lambda lake: world_bank.ingest(settings, lake, RUN))
    assert text.startswith("world_bank: ") and says in text, text
    fault_ledger.record(
        "source API",
        f"World Bank: {fault}",
        expected="one-line error; earlier bronze partition untouched",
        observed=f"failed: '{says}'; {lost} earlier rows changed, {added} rows written",
        rows_lost=lost,
        rows_duplicated=added,
    )


# --- schema drift ------------------------------------------------------------------------


def test_world_bank_retyped_fields_are_converted_or_quarantined(
    httpserver: HTTPServer, tmp_path: Path, fault_ledger
) -> None:
    records = series()
    records[1] = {**records[1], "value": str(records[1]["value"]), "decimal": "0"}
    records[2] = {**records[2], "date": 2023}
    records[3] = {**records[3], "value": "abc"}
    stub = WorldBankStub(records, per_page=50)
    settings = wb_settings(httpserver, stub, tmp_path)
    lake = Lake.from_settings(settings)
    written = world_bank.ingest(settings, lake, RUN)
    got = landed_world_bank(lake, written, stub.served)
    assert (got.read, got.loaded, got.quarantined, got.reasons) == (4, 3, 1, ["not_convertible"])
    [bronze] = [k for k in written if k.startswith("bronze/")]
    table = lake.read_parquet(bronze)
    values = dict(zip(table["year"].to_pylist(), table["value"].to_pylist(), strict=True))
    assert values == {2025: None, 2024: 476388230307.175, 2023: 433857681378.291}
    [rejected] = rows_of(lake, "quarantine/world_bank")
    assert rejected["reason_detail"] == "value: 'abc' is not a number"
    fault_ledger.record(
        "schema drift",
        "World Bank: value and decimal as text, date as a number, one value 'abc'",
        expected="lossless retyping converted; the unconvertible record quarantined",
        observed=f"read {got.read}, loaded {got.loaded}, quarantined {got.quarantined} "
        f"({', '.join(got.reasons)})",
        rows_lost=got.lost,
        rows_duplicated=got.duplicated,
    )


def test_world_bank_renamed_field_fails_before_writing(
    httpserver: HTTPServer, tmp_path: Path, fault_ledger
) -> None:
    renamed = [{k if k != "value" else "obs_value": v for k, v in r.items()} for r in series()]
    settings = wb_settings(httpserver, WorldBankStub(renamed), tmp_path)
    text, lost, added = fails_cleanly(tmp_path, lambda lake: world_bank.ingest(settings, lake, RUN))
    assert text.startswith("world_bank: field 'value' is missing from all 4 record(s)")
    assert "update CONTRACT in sme_pulse/sources/world_bank.py" in text
    fault_ledger.record(
        "schema drift",
        "World Bank: field 'value' renamed in every record",
        expected="contract violation: one line naming source, field and fix; nothing written",
        observed=f"ContractViolationError; {lost} earlier rows changed, {added} rows written",
        rows_lost=lost,
        rows_duplicated=added,
    )


HA_NOI = {"name": "Thành phố Hà Nội", "code": 1, "division_type": "thành phố trung ương",
          "codename": "thanh_pho_ha_noi", "phone_code": 24,
          "districts": [{"name": "Quận Ba Đình", "code": 1, "division_type": "quận",
                         "codename": "quan_ba_dinh", "province_code": 1, "wards": []}]}  # fmt: skip
HA_GIANG_CITY = {"name": "Thành phố Hà Giang", "code": 24, "province_code": 2,
                 "division_type": "thành phố", "codename": "thanh_pho_ha_giang"}  # fmt: skip
HA_GIANG = {"name": "Tỉnh Hà Giang", "code": 2, "division_type": "tỉnh", "phone_code": 219,
            "codename": "tinh_ha_giang", "districts": [HA_GIANG_CITY]}  # fmt: skip


def test_provinces_retyped_codes_are_converted_or_quarantined(
    httpserver: HTTPServer, tmp_path: Path, fault_ledger
) -> None:
    document = [{**HA_NOI, "code": "01", "phone_code": "24"}, {**HA_GIANG, "code": "H2"}]
    httpserver.expect_request("/api/v1/").respond_with_json(document)
    settings = live(tmp_path, PROVINCES_API_URL=httpserver.url_for("/api/v1"))
    lake = Lake.from_settings(settings)
    written = provinces.ingest(settings, lake, RUN)
    loaded = {r["province_code"]: r["phone_code"] for r in rows_of(lake, "bronze/vn_provinces")
              if "district_code" not in r}  # fmt: skip
    reasons = sorted(r["reason"] for r in rows_of(lake, "quarantine/vn_provinces"))
    served = 2 + 2  # provinces + districts
    landed = sum(written.values())
    assert loaded == {"01": 24} and reasons == ["not_convertible", "parent_rejected"]
    fault_ledger.record(
        "schema drift",
        "Provinces: code and phone_code as text, one code 'H2'",
        expected="'01' read as 1 and padded back; the bad province and its district quarantined",
        observed=f"read {served}, loaded {landed - len(reasons)}, quarantined {len(reasons)} "
        f"({', '.join(reasons)})",
        rows_lost=served - landed,
    )


def test_provinces_renamed_child_level_fails_before_writing(
    httpserver: HTTPServer, tmp_path: Path, fault_ledger
) -> None:
    document = [{k if k != "districts" else "quan_huyen": v for k, v in p.items()}
                for p in (HA_NOI, HA_GIANG)]  # fmt: skip
    httpserver.expect_request("/api/v1/").respond_with_json(document)
    settings = live(tmp_path, PROVINCES_API_URL=httpserver.url_for("/api/v1"))
    text, lost, added = fails_cleanly(tmp_path, lambda lake: provinces.ingest(settings, lake, RUN))
    assert text.startswith("vn_provinces: field 'districts' is missing from all 2 record(s)")
    fault_ledger.record(
        "schema drift",
        "Provinces: 'districts' renamed in every province",
        expected="contract violation, not provinces without districts; nothing written",
        observed=f"ContractViolationError; {lost} earlier rows changed, {added} rows written",
        rows_lost=lost,
        rows_duplicated=added,
    )


# --- the CRM API (faults its simulator does not script; see tests/crm) -------------------


def customer(n: int, **changes: object) -> dict[str, Any]:
    record = {"id": f"KH{n:06d}", "full_name": "Nguyễn Thị Lan", "email": f"lan{n}@gmail.com",
              "phone": "0912 345 678", "province_code": "01", "district_code": "001",
              "loyalty_tier": "member", "created_at": "2023-01-05T02:00:00Z",
              "updated_at": f"2024-03-01T{n:02d}:00:00Z"}  # fmt: skip
    return {**record, **changes}


@dataclass
class CustomerStub:
    """`GET /v1/customers` with cursor pages; `script` names the fault of each request."""

    records: list[dict[str, Any]]
    script: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)

    def __call__(self, request: Request) -> Response:
        fault = self.script.pop(0) if self.script else "ok"
        self.requests.append(fault)
        start, limit = int(request.args.get("cursor", "0")), int(request.args["limit"])
        chunk = self.records[start : start + limit]
        more = start + limit < len(self.records)
        body = json.dumps({"data": chunk, "next_cursor": str(start + limit) if more else None})
        if fault == "429":
            return Response("rate limited", status=429)
        if fault == "html":
            return Response(PROXY_PAGE, content_type="text/html")
        if fault == "404":
            return Response(json.dumps({"error": "no such cursor"}), status=404)
        self.served += [str(r.get("id")) for r in chunk]
        return Response(body, content_type="application/json")


def crm_settings(httpserver: HTTPServer, stub: CustomerStub, home: Path) -> Settings:
    httpserver.expect_request("/v1/customers").respond_with_handler(stub)
    return live(home, CUSTOMER_API_URL=httpserver.url_for("").rstrip("/"))


def crm_landed(lake: Lake, served: list[str]) -> tuple[int, int, int, int]:
    """(loaded, quarantined, lost, duplicated) against the ids the server served."""
    loaded = [r["customer_id"] for r in rows_of(lake, "bronze/crm/customers")]
    rejected = [str(json.loads(r["raw_record"])["id"]) for r in rows_of(lake, "quarantine/crm")]
    ids = loaded + rejected
    return len(loaded), len(rejected), len(set(served) - set(ids)), len(ids) - len(set(ids))


CRM_RECOVERED = [
    ("HTTP 429 without Retry-After on page 2, then success", ["ok", "429"]),
    ("HTML proxy error page with HTTP 200, then success", ["html"]),
    ("empty result (no customers changed)", []),
]


@pytest.mark.parametrize(("fault", "script"), CRM_RECOVERED, ids=[c[0] for c in CRM_RECOVERED])
def test_crm_recovers_from_transient_faults(
    fault: str, script: list[str], httpserver: HTTPServer, tmp_path: Path, fault_ledger
) -> None:
    records = [] if fault.startswith("empty") else [customer(n) for n in range(1, 6)]
    stub = CustomerStub(records, script=list(script))
    settings = crm_settings(httpserver, stub, tmp_path)
    report = ingest_customers(settings, RUN, page_size=2).files[0]
    loaded, quarantined, lost, duplicated = crm_landed(Lake.from_settings(settings), stub.served)
    assert (report.rows_read, loaded, quarantined) == (len(records), len(records), 0)
    fault_ledger.record(
        "source API",
        f"CRM API: {fault}",
        expected="retried; every customer in bronze once" if script else "a run of 0 rows",
        observed=f"{len(stub.requests)} requests; read {report.rows_read}, loaded {loaded}, "
        f"quarantined {quarantined}",
        rows_lost=lost,
        rows_duplicated=duplicated,
    )


def test_crm_retyped_fields_are_converted_or_quarantined(
    httpserver: HTTPServer, tmp_path: Path, fault_ledger
) -> None:
    records = [customer(1, id=7, province_code=1, district_code=1), customer(2),
               customer(3, updated_at=True)]  # fmt: skip
    stub = CustomerStub(records)
    settings = crm_settings(httpserver, stub, tmp_path)
    report = ingest_customers(settings, RUN, page_size=2).files[0]
    lake = Lake.from_settings(settings)
    loaded, quarantined, lost, duplicated = crm_landed(lake, stub.served)
    [first] = [r for r in rows_of(lake, "bronze/crm/customers") if r["customer_id"] == "7"]
    assert (first["province_code"], first["district_code"]) == ("01", "001")
    assert (report.rows_read, loaded, quarantined) == (3, 2, 1)
    fault_ledger.record(
        "schema drift",
        "CRM API: id and address codes as numbers, one updated_at as a boolean",
        expected="numbers read as their codes ('01'); the bad record quarantined",
        observed=f"read {report.rows_read}, loaded {loaded}, quarantined {quarantined}",
        rows_lost=lost,
        rows_duplicated=duplicated,
    )


def crm_fails_cleanly(
    httpserver: HTTPServer, tmp_path: Path, later: list[dict[str, Any]], script: list[str]
) -> tuple[str, int, int, bool]:
    """A good first window, then `later` served with `script`; the second run must fail."""
    stub = CustomerStub([customer(n) for n in range(1, 4)])
    settings = crm_settings(httpserver, stub, tmp_path)
    ingest_customers(settings, RUN, page_size=2)
    lake = Lake.from_settings(settings)
    before, watermark = snapshot(lake), lake.get_bytes(WATERMARK_KEY)
    stub.records, stub.script = later, script
    with pytest.raises(SmePulseError) as failure:
        ingest_customers(settings, RUN, page_size=2)
    assert "\n" not in str(failure.value)
    lost, added = damage(before, snapshot(lake))
    return str(failure.value), lost, added, lake.get_bytes(WATERMARK_KEY) == watermark


def test_crm_missing_middle_page_fails_and_keeps_the_watermark(
    httpserver: HTTPServer, tmp_path: Path, fault_ledger
) -> None:
    later = [customer(n) for n in range(4, 10)]
    text, lost, added, kept = crm_fails_cleanly(httpserver, tmp_path, later, ["ok", "404"])
    assert text.startswith("customer API: HTTP 404") and kept
    fault_ledger.record(
        "source API",
        "CRM API: page 2 of 3 answers HTTP 404",
        expected="one-line error; earlier window and watermark untouched",
        observed=f"failed: 'HTTP 404'; watermark kept; {lost} earlier rows changed, "
        f"{added} rows written",
        rows_lost=lost,
        rows_duplicated=added,
    )


def test_crm_renamed_required_field_is_a_contract_violation(
    httpserver: HTTPServer, tmp_path: Path, fault_ledger
) -> None:
    renamed = [{k if k != "full_name" else "name": v for k, v in customer(n).items()}
               for n in range(4, 10)]  # fmt: skip
    text, lost, added, kept = crm_fails_cleanly(httpserver, tmp_path, renamed, [])
    assert text.startswith("crm: field 'full_name' is missing from every record") and kept
    fault_ledger.record(
        "schema drift",
        "CRM API: 'full_name' renamed in every record",
        expected="contract violation, not every record quarantined; nothing written",
        observed=f"ContractViolationError; watermark kept; {lost} earlier rows changed, "
        f"{added} rows written",
        rows_lost=lost,
        rows_duplicated=added,
    )
