"""The operator's view: exit codes and one-line errors of `sme-pulse`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
        "wrote 33 rows to bronze/world_bank/indicators/ingest_date=2026-11-01/part-0.parquet"
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
