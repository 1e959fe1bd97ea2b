"""Hostile input and the stack's security properties, injected or checked for real.

Landing files with names that try to leave their prefix (on a real S3 endpoint), files
over the size limit, zip bombs, records longer than the row limit, JSON keys written as
SQL, hostile settings; then the Trino client against a real HTTPS server that holds the
stack's self-signed certificate, the secret scanner over every file of the repository,
and the SQL a value from outside could reach. Each outcome goes to the fault ledger.
"""

from __future__ import annotations

import ast
import base64
import io
import json
import random
import re
import ssl
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import openpyxl
import pyarrow.parquet as pq
import pytest
import sqlglot
from pytest_httpserver import HTTPServer
from sme_pulse.bronze import trino_ddl
from sme_pulse.config import ConfigError, Settings
from sme_pulse.sales import ingest_sales
from sme_pulse.sources.lineage import RunContext
from sme_pulse.stack.envfile import main as envfile_main
from sme_pulse.stack.envfile import required_variables
from sme_pulse.stack.smoke import SmokeConfig, SmokeError, trino_query
from sme_pulse.stack.trino_auth import self_signed_pem
from werkzeug import Request, Response

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
HEADER = (
    "order_id,line_no,order_ts,channel,status,customer_name,customer_email,customer_phone,"
    "province_code,district_code,sku,quantity,unit_price_vnd,discount_vnd,line_total_vnd"
)
RUN = RunContext("run-sec", "2024-02-04", datetime(2024, 2, 4, 3, tzinfo=UTC))


def order_line(i: int, name: str = "Le Van Tam") -> str:
    return (
        f"HD{i:07d},1,2024-02-03 10:15:00,pos,completed,{name},tam{i}@x.vn,0912345678,"
        "79,760,CF-001,2,145000,0,290000"
    )


def sales_csv(rows: int, start: int = 0) -> bytes:
    lines = [HEADER, *(order_line(i) for i in range(start, start + rows))]
    return ("\n".join(lines) + "\n").encode("utf-8")


def workbook(rows: int) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    for i in range(rows):
        sheet.append(order_line(i).split(","))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_member(payload: bytes, name: str, data: bytes) -> bytes:
    """`payload` (a zip) with one more member, deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(payload)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def ingest(home: Path, **env: str) -> dict[str, dict[str, Any]]:
    settings = Settings.from_env({"SME_PULSE_HOME": str(home), **env})
    report = ingest_sales(settings, RUN)
    return {f.name: {**asdict(f), "loaded": f.rows_loaded} for f in report.files}


def quarantine_reasons(home: Path, slug: str) -> list[str]:
    folder = home / "lake" / "quarantine" / "sales" / "order_lines" / f"file_slug={slug}"
    return [
        r for p in sorted(folder.glob("*.parquet")) for r in pq.read_table(p)["reason"].to_pylist()
    ]


# --- input limits -----------------------------------------------------------------------


HOSTILE_KEYS = [
    "landing/../escape.csv",
    "landing/a/../../lake/bronze/sales/order_lines/x.csv",
    "landing/./dot.csv",
    "landing//double.csv",
    "landing/back\\slash.csv",
    "landing/ctl\x01.csv",
]


def test_landing_keys_that_leave_their_prefix_are_refused_on_s3(s3_endpoint, fault_ledger) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket="sec-lake")
    for key in [*HOSTILE_KEYS, "landing/ok.csv"]:
        client.put_object(Bucket="sec-lake", Key=key, Body=sales_csv(3))
    settings = Settings.from_env(
        {
            "LAKE_URI": "s3://sec-lake/lake",
            "LANDING_URI": "s3://sec-lake/landing",
            "S3_ENDPOINT_URL": s3_endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
        }
    )
    report = ingest_sales(settings, RUN)
    by_status: dict[str, int] = {}
    for item in report.files:
        by_status[item.status] = by_status.get(item.status, 0) + 1
        assert "\n" not in item.line() and "\x01" not in item.line()
    written = [
        obj["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket="sec-lake", Prefix="lake/"
        )
        for obj in page.get("Contents", [])
        if obj["Key"].endswith(".parquet")
    ]
    assert by_status == {"rejected": len(HOSTILE_KEYS), "loaded": 1}
    assert all("file_slug=ok.csv" in key for key in written)
    assert report.rows_loaded == 3
    fault_ledger.record(
        "input limits",
        f"{len(HOSTILE_KEYS)} landing keys with '..', '.', '//', backslash, control character (S3)",
        expected="each rejected unread with its reason; the good file loads",
        observed=(
            f"{by_status['rejected']} rejected, {by_status['loaded']} loaded "
            f"({report.rows_loaded} rows); lake objects only under file_slug=ok.csv"
        ),
    )


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, fault_ledger) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    big = sales_csv(12_000)
    assert len(big) > 1024**2
    (landing / "big.csv").write_bytes(big)
    (landing / "small.csv").write_bytes(sales_csv(5, start=50_000))
    files = ingest(tmp_path, LANDING_MAX_FILE_MB="1")
    assert files["big.csv"]["status"] == "rejected"
    assert "LANDING_MAX_FILE_MB" in files["big.csv"]["error"]
    assert files["big.csv"]["rows_read"] == 0
    assert files["small.csv"]["loaded"] == 5
    fault_ledger.record(
        "input limits",
        "a 12,000-line CSV over LANDING_MAX_FILE_MB=1",
        expected="rejected before reading, the reason names the limit",
        observed=f"rejected, read {files['big.csv']['rows_read']}; the other file loaded "
        f"{files['small.csv']['loaded']} rows",
    )


def test_xlsx_zip_bombs_are_refused_and_a_sane_workbook_loads(tmp_path, fault_ledger) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    good = workbook(4)
    (landing / "good.xlsx").write_bytes(good)
    (landing / "ratio-bomb.xlsx").write_bytes(
        with_member(good, "xl/media/pad.bin", bytes(32 << 20))
    )
    noise = random.Random(0).randbytes(2 << 20)
    (landing / "size-bomb.xlsx").write_bytes(with_member(good, "xl/media/noise.bin", noise))
    files = ingest(tmp_path, XLSX_MAX_UNZIPPED_MB="1")
    assert files["good.xlsx"]["loaded"] == 4
    assert files["ratio-bomb.xlsx"]["status"] == "failed"
    assert "zip bomb" in files["ratio-bomb.xlsx"]["error"]
    assert files["size-bomb.xlsx"]["status"] == "failed"
    assert "XLSX_MAX_UNZIPPED_MB" in files["size-bomb.xlsx"]["error"]
    loaded = sum(f["loaded"] for f in files.values())
    fault_ledger.record(
        "input limits",
        "XLSX with a 32 MB part deflated 1000:1, and one unzipping past XLSX_MAX_UNZIPPED_MB",
        expected="both refused before openpyxl opens them; a sane workbook loads",
        observed=f"both failed with the limit named; {loaded} rows loaded, all from good.xlsx",
    )


def test_a_record_longer_than_the_row_limit_is_quarantined_not_parsed(
    tmp_path, fault_ledger
) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    huge = "x" * (6 << 20)
    records = [
        {"order_id": "HD0000001", "customer_name": huge},
        *(dict(zip(HEADER.split(","), order_line(i).split(","), strict=True)) for i in range(2, 5)),
    ]
    (landing / "orders.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    csv_lines = [HEADER, order_line(1), order_line(2, name=huge), order_line(3)]
    (landing / "orders.csv").write_text("\n".join(csv_lines) + "\n")
    files = ingest(tmp_path)
    jsonl = files["orders.jsonl"]
    assert jsonl["status"] == "loaded"
    assert jsonl["rows_read"] == jsonl["rows_loaded"] + jsonl["rows_quarantined"] == 4
    assert quarantine_reasons(tmp_path, "orders.jsonl") == ["row_too_long"]
    assert files["orders.csv"]["status"] == "failed" and files["orders.csv"]["error"]
    fault_ledger.record(
        "input limits",
        "a 6 MB JSON Lines record (LANDING_MAX_ROW_KB=1024)",
        expected="that record quarantined as row_too_long, the others loaded",
        observed=f"read {jsonl['rows_read']}, loaded {jsonl['rows_loaded']}, quarantined "
        f"{jsonl['rows_quarantined']} (row_too_long)",
    )
    fault_ledger.record(
        "input limits",
        "a 6 MB CSV field",
        expected="the file fails with one line, nothing half-loaded",
        observed=f"failed, loaded {files['orders.csv']['loaded']}: {files['orders.csv']['error']}",
    )


# --- SQL built from values that could come from outside ---------------------------------

SQL_START = re.compile(
    r"^\s*(select|insert|create|drop|alter|call|delete|show|analyze|update|merge|with|"
    r"case|coalesce|copy|attach|set|describe)\b",
    re.IGNORECASE,
)
# Every f-string that builds SQL, by module and function, and why its values are safe.
# A new one fails the test until it is reviewed and listed here.
REVIEWED_SQL = {
    ("bronze/registration.py", "read_registered"): "constants; table names quoted",
    ("bronze/trino_ddl.py", "create_schema"): "literal(); LAKE_URI has no quotes (config)",
    ("bronze/trino_ddl.py", "create_table"): "quote()/literal() on every name and path",
    ("bronze/trino_ddl.py", "add_column"): "quote() on the column; type from a fixed map",
    ("bronze/trino_ddl.py", "drop_table"): "quote() on the table",
    ("bronze/trino_ddl.py", "sync_partitions"): "literal() on schema and table",
    ("checks/reconcile.py", "warehouse_balances"): "a constant model name",
    ("ingestion/json_blocks.py", "_extraction"): "landing JSON keys through _quote/_path",
    ("orchestration/iceberg_maintenance.py", "iceberg_tables"): "constant schema names",
    ("orchestration/iceberg_maintenance.py", "_counts"): "names from Trino's own catalog",
    ("orchestration/iceberg_maintenance.py", "maintain"): "durations and sizes validated",
    ("stack/smoke.py", "_table_exists"): "constants (GOLD_CHECKS)",
    ("stack/smoke.py", "check_gold"): "constants (GOLD_CHECKS)",
    ("warehouse.py", "model_row_counts"): "names from the warehouse's own catalog",
}


def sql_fstrings(package: Path) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        owner: dict[int, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for child in ast.walk(node):
                    owner.setdefault(id(child), node.name)
        for node in ast.walk(tree):
            if not isinstance(node, ast.JoinedStr):
                continue
            if not any(isinstance(v, ast.FormattedValue) for v in node.values):
                continue
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            if SQL_START.match(str(text)):
                found.add((path.relative_to(package).as_posix(), owner.get(id(node), "<module>")))
    return found


def test_every_sql_built_by_formatting_is_reviewed(fault_ledger) -> None:
    found = sql_fstrings(ROOT / "ops" / "sme_pulse")
    assert found - REVIEWED_SQL.keys() == set(), "new SQL built with an f-string: review it"
    assert REVIEWED_SQL.keys() - found == set(), "reviewed SQL that no longer exists: drop it"
    fault_ledger.security(
        "SQL built from formatted values (AST scan of ops/sme_pulse)",
        observed=f"{len(found)} f-string SQL sites in {len({f for f, _ in found})} modules, "
        "each reviewed; any new one fails the test",
    )


def test_the_scan_catches_a_new_formatted_query(tmp_path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "bad.py").write_text('def load(name):\n    return f"select * from {name}"\n')
    assert sql_fstrings(package) == {("bad.py", "load")}


def test_hostile_identifiers_and_literals_stay_one_statement(fault_ledger) -> None:
    hostile = "x'); drop table hive.bronze.t; --\"\\"
    statements = [
        f"select {trino_ddl.quote(hostile)} from t where a = {trino_ddl.literal(hostile)}",
        trino_ddl.create_schema("s3://lake/prefix"),
    ]
    for sql in statements:
        parsed = sqlglot.parse(sql, read="trino")
        assert len(parsed) == 1 and parsed[0].key in ("select", "create"), sql
    for name, value in (
        ("ICEBERG_SNAPSHOT_RETENTION", "7d'); drop table x; --"),
        ("ICEBERG_OPTIMIZE_FILE_SIZE_THRESHOLD", "128MB' or '1'='1"),
        ("LAKE_URI", "s3://lake/x'); drop table y; --"),
        ("LANDING_URI", "/tmp/landing\x00"),
    ):
        with pytest.raises(ConfigError):
            Settings.from_env({name: value})
    fault_ledger.security(
        "hostile names, retention, size and lake URI reach no SQL",
        observed="quote()/literal() keep one statement (sqlglot); 4 hostile settings refused "
        "by the config",
    )


def test_json_keys_written_as_sql_are_data_not_code(tmp_path, fault_ledger) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    hostile = ["x'); drop table objects; --", 'a"b\\', "k' || (select 1) || '"]
    base = dict(zip(HEADER.split(","), order_line(1).split(","), strict=True))
    records = [
        {**base, "order_id": f"HD{i:07d}", hostile[i % 3]: i if i % 2 else "text"} for i in range(6)
    ]
    (landing / "keys.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    files = ingest(tmp_path)
    entry = files["keys.jsonl"]
    assert entry["status"] == "loaded"
    assert entry["rows_loaded"] + entry["rows_quarantined"] == entry["rows_read"] == 6
    assert entry["rows_loaded"] == 6
    fault_ledger.security(
        "JSON keys shaped as SQL in a landing file (DuckDB extraction)",
        observed=f"read {entry['rows_read']}, loaded {entry['rows_loaded']}; the keys are "
        "extra columns, never SQL",
    )


# --- credentials and transport --------------------------------------------------------


def test_default_and_missing_credentials_are_refused_in_one_line_each(
    tmp_path, capsys, fault_ledger
) -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    (tmp_path / "docker-compose.yml").write_text(compose)
    env = tmp_path / ".env"
    env.write_text(
        "MINIO_ROOT_USER=minioadmin\nMINIO_ROOT_PASSWORD=minioadmin\nPOSTGRES_PASSWORD=password\n"
        "AIRFLOW_ADMIN_PASSWORD=admin\nTRINO_PIPELINE_PASSWORD=changeme\n"
    )
    assert envfile_main(["--check", str(env)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    named = {line.split(": ")[2].split(" ")[0] for line in lines}
    assert {
        "MINIO_ROOT_USER",
        "MINIO_ROOT_PASSWORD",
        "POSTGRES_PASSWORD",
        "AIRFLOW_ADMIN_PASSWORD",
        "TRINO_PIPELINE_PASSWORD",
        "AIRFLOW_FERNET_KEY",
    } <= named
    required = required_variables(compose)
    defaulted = re.findall(r"\$\{[A-Z0-9_]*(?:PASSWORD|SECRET|TOKEN|KEY)[A-Z0-9_]*:-", compose)
    assert len(lines) == len(required) and not defaulted
    fault_ledger.security(
        "default or missing stack credentials (make up / make smoke)",
        observed=f"{len(required)} required secrets, none with a default; minioadmin, "
        "password, admin, changeme and empty each refused on one line",
    )


@pytest.fixture
def tls_trino(tmp_path) -> Iterator[tuple[HTTPServer, Path, list[dict[str, str]]]]:
    """An HTTPS server with the stack's kind of self-signed certificate, answering the
    Trino client protocol for one finished `count(*)`."""
    keystore, cert = self_signed_pem()
    (tmp_path / "keystore.pem").write_bytes(keystore)
    (tmp_path / "ca.pem").write_bytes(cert)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "keystore.pem")
    seen: list[dict[str, str]] = []

    def handle(request: Request) -> Response:
        seen.append(
            {
                "auth": request.headers.get("Authorization", ""),
                "user": request.headers.get("X-Trino-User", ""),
            }
        )
        body = {
            "id": "q1",
            "infoUri": "https://localhost/ui/q1",
            "columns": [
                {
                    "name": "_col0",
                    "type": "bigint",
                    "typeSignature": {"rawType": "bigint", "arguments": []},
                }
            ],
            "data": [[705]],
            "stats": {"state": "FINISHED"},
        }
        return Response(json.dumps(body), content_type="application/json")

    server = HTTPServer(host="localhost", port=0, ssl_context=context)
    server.expect_request("/v1/statement", method="POST").respond_with_handler(handle)
    server.start()
    try:
        yield server, tmp_path / "ca.pem", seen
    finally:
        server.clear()
        server.stop()


def smoke_env(server: HTTPServer, ca: Path) -> dict[str, str]:
    return {
        "AIRFLOW_ADMIN_PASSWORD": "airflow-login-1234",
        "TRINO_HOST": "localhost",
        "TRINO_PORT": str(server.port),
        "TRINO_SMOKE_PASSWORD": "smoke-login-0123456789",
        "TRINO_CA_FILE": str(ca),
    }


def test_the_trino_password_travels_only_over_verified_tls(
    tls_trino, tmp_path, fault_ledger
) -> None:
    server, ca, seen = tls_trino
    query = trino_query(SmokeConfig.from_env(smoke_env(server, ca)))
    assert query("SELECT count(*) FROM iceberg.gold.dim_location") == [[705]]
    expected = "Basic " + base64.b64encode(b"smoke:smoke-login-0123456789").decode()
    assert seen == [{"auth": expected, "user": "smoke"}]
    _, other = self_signed_pem()
    (tmp_path / "other.pem").write_bytes(other)
    impostor = trino_query(SmokeConfig.from_env(smoke_env(server, tmp_path / "other.pem")))
    with pytest.raises(SmokeError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        impostor("SELECT 1")
    assert len(seen) == 1
    fault_ledger.security(
        "Trino login (smoke user) against HTTPS with the stack's and a foreign certificate",
        observed="the stack's: Basic auth as smoke over TLS; foreign: refused before any "
        "request, the password never sent",
    )


# --- secrets in the repository --------------------------------------------------------


def detect_secrets_hook(files: list[str]) -> subprocess.CompletedProcess[str]:
    hook = Path(sys.executable).parent / "detect-secrets-hook"
    return subprocess.run(
        [str(hook), "--baseline", ".secrets.baseline", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_scanner_catches_a_planted_key(tmp_path) -> None:
    planted = tmp_path / "settings.py"
    value = base64.b64encode(random.Random(7).randbytes(30)).decode()
    planted.write_text("aws_" + "secret_access_key = " + repr(value) + "\n")
    result = detect_secrets_hook([str(planted)])
    assert result.returncode == 1
    assert "Secret Keyword" in result.stdout or "High Entropy" in result.stdout


def test_no_new_secret_in_any_file_of_the_repository(fault_ledger) -> None:
    """A fresh scan finds nothing the baseline does not list. Compared by file and hash,
    not line: an edit that only moves a listed line must not fail the suite (the
    pre-commit hook refreshes those line numbers)."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    files = [name for name in listing if (ROOT / name).is_file()]
    baseline = json.loads((ROOT / ".secrets.baseline").read_text())
    [exclude] = [
        f["pattern"] for f in baseline["filters_used"] if f["path"].endswith("should_exclude_file")
    ]
    scan = subprocess.run(
        [str(Path(sys.executable).parent / "detect-secrets"), "scan", "--exclude-files",
         *exclude, *files],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip

    def found(report: dict) -> set[tuple[str, str, str]]:
        return {
            (name, item["type"], item["hashed_secret"])
            for name, items in report["results"].items()
            for item in items
        }

    new = found(json.loads(scan.stdout)) - found(baseline)
    assert not new, f"secret-looking strings not in .secrets.baseline: {sorted(new)}"
    fault_ledger.security(
        "detect-secrets over every tracked and new file (.secrets.baseline)",
        observed="no secret outside the baseline, whose entries are checksums and test dummies",
    )
