"""An operator's ad-hoc query: read-only, queries only, and every failure one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from sme_pulse.config import Settings
from sme_pulse.warehouse import WarehouseError, ad_hoc_query

pytestmark = pytest.mark.unit


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A warehouse whose view reads Parquet the way dbt's silver views read bronze."""
    home = tmp_path / "home"
    home.mkdir()
    parquet = tmp_path / "lines.parquet"
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute(f"copy (select 239258328381.7 as gdp) to '{parquet}' (format parquet)")
        con.execute("create schema gold")
        con.execute(f"create view gold.macro as select * from read_parquet('{parquet}')")
    return Settings.from_env({"SME_PULSE_HOME": str(home)})


def refusal(settings: Settings, sql: str) -> str:
    with pytest.raises(WarehouseError) as caught:
        ad_hoc_query(settings, sql)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_query_reads_views_over_parquet(settings: Settings) -> None:
    columns, rows = ad_hoc_query(settings, "select gdp from gold.macro")
    assert columns == ["gdp"] and float(rows[0][0]) == 239258328381.7


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("", "no SQL given"),
        ("   \n ", "no SQL given"),
        ("select 1; select 2", "one statement at a time (got 2)"),
        ("install httpfs", "only queries (SELECT, SHOW, DESCRIBE, EXPLAIN) run here, not LOAD"),
        ("load parquet", "not LOAD"),
        ("attach 'other.duckdb' as other", "not ATTACH"),
        ("export database 'dump'", "not EXPORT"),
        ("set enable_external_access = false", "not SET"),
        ("create table gold.t as select 1", "not CREATE"),
        ("selec 1", 'Parser Error: syntax error at or near "selec"'),
    ],
)
def test_anything_but_one_query_is_refused_in_one_line(
    settings: Settings, sql: str, expected: str
) -> None:
    assert expected in refusal(settings, sql)


def test_copy_to_a_file_writes_nothing(settings: Settings, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    assert "not COPY" in refusal(settings, f"copy (select 1) to '{target}'")
    assert not target.exists()


def test_a_warehouse_held_for_writing_elsewhere_is_one_line(settings: Settings) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
            " sys.stdin.read()",
            str(settings.warehouse_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        message = refusal(settings, "select 1")
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()
    assert message.startswith(f"{settings.warehouse_path} is open for writing in another process")
    assert f"(PID {holder.pid})" in message and "retry when it ends" in message


def test_a_damaged_warehouse_file_is_one_line(settings: Settings) -> None:
    settings.warehouse_path.write_bytes(b"not a database" * 1000)
    assert refusal(settings, "select 1") == (
        f"{settings.warehouse_path} is not a DuckDB database (damaged?); rebuild it with "
        "`make demo`"
    )


def test_no_warehouse_yet_is_one_line(settings: Settings) -> None:
    settings.warehouse_path.unlink()
    assert refusal(settings, "select 1") == f"no warehouse at {settings.warehouse_path}"
