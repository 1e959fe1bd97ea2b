"""The operator's view: exit codes and one-line errors of `sme-pulse`."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from sme_pulse.cli import app
from typer.testing import CliRunner

runner = CliRunner()


@pytest.mark.integration
def test_replay_ingestion_preflight_and_freshness(tmp_path: Path) -> None:
    assert runner.invoke(app, ["preflight"]).exit_code == 0
    stale = runner.invoke(app, ["freshness", "--strict"])
    assert stale.exit_code == 1 and "no bronze file yet" in stale.output
    wb = runner.invoke(app, ["ingest", "world-bank", "--ingest-date", "2026-11-01"])
    assert wb.exit_code == 0, wb.output
    assert (
        "wrote 44 rows to bronze/world_bank/indicators/ingest_date=2026-11-01/part-0.parquet"
        in wb.output
    )
    prov = runner.invoke(app, ["ingest", "provinces"])
    assert prov.exit_code == 0 and "wrote 696 rows" in prov.output
    assert runner.invoke(app, ["freshness", "--strict"]).exit_code == 0


@pytest.mark.integration
def test_broken_source_exits_non_zero_with_one_line(
    httpserver: HTTPServer, set_env: object
) -> None:
    httpserver.expect_request("/v2/country/VN/indicator/NY.GDP.MKTP.CD").respond_with_data(
        "oops", status=500
    )
    set_env(  # type: ignore[operator]
        SOURCE_MODE="live", WORLD_BANK_API_URL=httpserver.url_for("/v2"),
        HTTP_MAX_ATTEMPTS="1",
    )  # fmt: skip
    result = runner.invoke(app, ["ingest", "world-bank"])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("error: world_bank: http://") and "HTTP 500" in lines[0]


@pytest.mark.unit
def test_bad_configuration_exits_2(set_env: object) -> None:
    set_env(SOURCE_MODE="sometimes")  # type: ignore[operator]
    result = runner.invoke(app, ["preflight"])
    assert result.exit_code == 2
    assert "SOURCE_MODE must be 'live' or 'replay'" in result.stderr


@pytest.mark.unit
def test_bronze_ddl_prints_the_statements_that_register_bronze(set_env: object) -> None:
    from sme_pulse.bronze.trino_ddl import statements

    set_env(LAKE_URI="s3://sme-lake")  # type: ignore[operator]
    result = runner.invoke(app, ["bronze", "ddl"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == statements("s3://sme-lake")


@pytest.mark.unit
def test_bronze_register_off_trino_touches_nothing(set_env: object) -> None:
    set_env(DBT_TARGET="duckdb")  # type: ignore[operator]
    result = runner.invoke(app, ["bronze", "register", "--dry-run"])
    assert result.exit_code == 0
    assert "nothing to register: duckdb reads bronze in place" in result.output


@pytest.mark.unit
def test_the_sales_dags_checks_run_from_the_cli(tmp_path: Path, set_env: object) -> None:
    set_env(SME_PULSE_HOME=str(tmp_path), CUSTOMER_API_URL="http://127.0.0.1:9")  # type: ignore[operator]
    result = runner.invoke(app, ["preflight", "--dag", "sales"])
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert all(name in line for name in ("landing:", "customer_api:", "external_gold:"))
    fresh = runner.invoke(app, ["freshness", "--dag", "sales"])
    assert fresh.exit_code == 0 and "no extraction yet" in fresh.stdout


@pytest.mark.integration
def test_an_unexpected_failure_is_one_line_naming_its_trace_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], set_env: Any, fault_ledger: Any
) -> None:
    """A corrupted lake object is nothing a command anticipates: still one line, and the
    trace is in the file the line names, under SME_PULSE_HOME."""
    from sme_pulse.cli import main
    from sme_pulse.feeds.generator import GeneratorConfig, generate

    set_env(SME_PULSE_HOME=str(tmp_path))
    generate(tmp_path, GeneratorConfig(customers=50))
    assert main_exit(main, ["ingest", "sales"]) == 0
    manifest = next((tmp_path / "lake").rglob("load_manifest/*/manifest.parquet"))
    manifest.write_bytes(b"not parquet")
    for export in (tmp_path / "landing").glob("*.csv"):
        export.write_bytes(export.read_bytes() + b"\n")
    capsys.readouterr()

    assert main_exit(main, ["ingest", "sales"]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: sme-pulse ingest sales failed unexpectedly (ArrowInvalid: ")
    trace = Path(line.split("full trace in ")[1].split(". ")[0])
    assert trace.parent == tmp_path / "logs" / "errors"
    assert "Traceback (most recent call last)" in trace.read_text()
    fault_ledger.record(
        "errors",
        "a lake object corrupted under a CLI command",
        expected="one line naming the failure and the trace file; exit 1",
        observed="one stderr line; trace filed under SME_PULSE_HOME/logs/errors",
    )


def main_exit(main: Any, args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


@pytest.fixture
def warehouse(tmp_path: Path, set_env: Any) -> Path:
    """A warehouse with a wide number, Vietnamese text and a date, and the CLI pointed at it."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create schema gold; create table gold.macro as select 2024 as year, "
            "239258328381.7::decimal(18, 1) as gdp_current_usd, 3.62::double as cpi_pct, "
            "'Thành phố Hồ Chí Minh' as province_name, date '2025-07-01' as reform_date"
        )
    set_env(SME_PULSE_HOME=str(tmp_path), WAREHOUSE_PATH=str(path))
    return path


WIDE_SQL = "select *, gdp_current_usd * 1000 as gdp_vnd_thousands, year + 1 as next from gold.macro"


@pytest.mark.unit
def test_query_prints_every_value_in_full(warehouse: Path) -> None:
    result = runner.invoke(app, ["query", WIDE_SQL])
    assert result.exit_code == 0, result.output
    assert "239258328381.7 " in result.stdout and "239258328381700.0 " in result.stdout
    assert "…" not in result.stdout and "Thành phố Hồ Chí Minh" in result.stdout


@pytest.mark.unit
def test_query_writes_csv_and_json_for_other_tools(warehouse: Path) -> None:
    result = runner.invoke(app, ["query", "select * from gold.macro", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert list(csv.reader(result.stdout.splitlines())) == [
        ["year", "gdp_current_usd", "cpi_pct", "province_name", "reform_date"],
        ["2024", "239258328381.7", "3.62", "Thành phố Hồ Chí Minh", "2025-07-01"],
    ]
    result = runner.invoke(app, ["query", "select * from gold.macro", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {
            "year": 2024,
            "gdp_current_usd": 239258328381.7,
            "cpi_pct": 3.62,
            "province_name": "Thành phố Hồ Chí Minh",
            "reform_date": "2025-07-01",
        }
    ]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("", "error: no SQL given"),
        ("select 1; select 2", "error: one statement at a time (got 2)"),
        ("copy gold.macro to 'out.csv'", "error: only queries"),
    ],
)
def test_a_refused_query_is_one_line(warehouse: Path, sql: str, expected: str) -> None:
    result = runner.invoke(app, ["query", sql])
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(expected)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("name", "value"),
    [("CUSTOMER_API_URL", "localhost:8000"), ("S3_ENDPOINT_URL", "minio:9000")],
)
def test_a_url_without_a_scheme_is_a_configuration_error(
    set_env: Any, name: str, value: str
) -> None:
    set_env(**{name: value})
    result = runner.invoke(app, ["preflight"])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line == f"error: {name} must be a URL with a scheme like http://host:port, got {value!r}"


@pytest.mark.unit
def test_the_cli_reads_dot_env_for_what_the_environment_does_not_set(
    warehouse: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from sme_pulse.cli import main

    monkeypatch.delenv("WAREHOUSE_PATH")  # set by the fixture: .env must supply it
    monkeypatch.setenv("SOURCE_MODE", "replay")
    # Restored after the test whatever main() sets (delenv alone records nothing).
    monkeypatch.setenv("SME_PULSE_TEST_DOTENV", "")
    monkeypatch.delenv("SME_PULSE_TEST_DOTENV")
    (tmp_path / ".env").write_text(
        f"WAREHOUSE_PATH={warehouse}\nSOURCE_MODE=sometimes\nSME_PULSE_TEST_DOTENV=read\n"
    )
    monkeypatch.chdir(tmp_path)
    assert main_exit(main, ["query", "select year from gold.macro", "--format", "csv"]) == 0
    assert capsys.readouterr().out == "year\n2024\n"
    assert os.environ["SME_PULSE_TEST_DOTENV"] == "read"
    assert os.environ["SOURCE_MODE"] == "replay"


@pytest.mark.unit
def test_a_header_only_export_loads_nothing_with_a_warning(tmp_path: Path, set_env: Any) -> None:
    set_env(SME_PULSE_HOME=str(tmp_path))
    (tmp_path / "landing").mkdir()
    header = "Mã hóa đơn,STT,Thời gian,Kênh bán,Trạng thái,Mã hàng,Số lượng,Đơn giá\n"
    (tmp_path / "landing" / "empty.csv").write_text(header, encoding="utf-8")
    result = runner.invoke(app, ["ingest", "sales"])
    assert result.exit_code == 0, result.output
    assert "empty.csv: loaded, read 0, loaded 0, quarantined 0" in result.stdout
    assert "warning: empty.csv has no data rows (header only?): 0 rows loaded" in result.stderr
