"""`sales check`: a dry run that reports exactly what `ingest sales` then does, writing nothing."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from sme_pulse.cli import app
from sme_pulse.config import Settings
from sme_pulse.feeds.generator import GeneratorConfig, generate
from sme_pulse.sales import ingest_sales
from sme_pulse.sales.check import check_export
from sme_pulse.sources.lineage import RunContext
from typer.testing import CliRunner

from .test_sales_ingest import _cp1258

pytestmark = pytest.mark.unit

Dataset = Callable[[str], pa.Table]
QUARANTINE = "quarantine/sales/order_lines"


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generator's shop: Vietnamese POS headers (CSV), a marketplace JSONL, an XLSX."""
    out = tmp_path_factory.mktemp("shop")
    generate(out, GeneratorConfig(customers=40))
    landing = out / "landing"
    pos = (landing / "pos_sales_2024.csv").read_text("utf-8-sig")
    first = pos.splitlines()[1].split(",")
    pos += ",".join([first[0], "0", *first[2:]]) + "\n"  # line_no 0: quarantined
    (landing / "pos_sales_2024.csv").write_text(pos, encoding="utf-8-sig", newline="")
    (landing / "pos_cp1258.csv").write_bytes(_cp1258(pos))
    (landing / "pos_utf16.csv").write_bytes(pos.encode("utf-16"))
    return landing


@pytest.mark.parametrize(
    ("name", "fmt", "encoding"),
    [
        ("pos_sales_2024.csv", "csv", "utf-8-sig"),
        ("pos_cp1258.csv", "csv", "cp1258"),
        ("pos_utf16.csv", "csv", "utf-16"),
        ("website_orders.xlsx", "xlsx", None),
        ("tiktok_shop_orders.jsonl", "jsonl", "utf-8"),
    ],
)
def test_the_check_counts_what_the_load_then_loads(
    exports: Path,
    settings: Settings,
    run: RunContext,
    dataset: Dataset,
    name: str,
    fmt: str,
    encoding: str | None,
) -> None:
    export = Path(settings.landing_uri) / name
    shutil.copyfile(exports / name, export)

    check = check_export(settings, export)
    assert not Path(settings.lake_uri).exists(), "a check wrote to the lake"
    assert (check.file_format, check.encoding, check.would_load) == (fmt, encoding, True)

    [loaded] = ingest_sales(settings, run).files
    assert loaded.status == "loaded"
    assert (check.rows_read, check.rows_loaded, check.rows_quarantined) == (
        loaded.rows_read,
        loaded.rows_loaded,
        loaded.rows_quarantined,
    )
    quarantined = dataset(QUARANTINE).to_pylist()
    assert quarantined, "each export carries rows to quarantine"
    assert check.reasons == dict(Counter(row["reason"] for row in quarantined))
    assert check.sample == [
        {k: row[k] for k in ("source_row_number", "reason", "reason_detail", "raw_record")}
        for row in quarantined[: len(check.sample)]
    ]


def test_vietnamese_headers_map_to_the_contract_without_drift_notes(
    exports: Path, settings: Settings
) -> None:
    check = check_export(settings, exports / "pos_sales_2024.csv")
    mapping = dict(check.mapping())
    assert mapping["Mã hóa đơn"] == "order_id" and mapping["Số lượng"] == "quantity"
    assert None not in mapping.values()
    assert check.drift is not None and check.drift.renamed  # recorded, not reported
    assert "  schema: matches the contract" in check.lines()


def test_a_file_without_required_columns_would_be_rejected_exit_1(
    tmp_path: Path, settings: Settings, set_env: Callable[..., None]
) -> None:
    set_env(SME_PULSE_HOME=str(settings.home))
    export = tmp_path / "wrong.csv"
    export.write_text("Mã hóa đơn,ghi chú\nHD1,x\nHD2,y\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["sales", "check", str(export)])
    assert result.exit_code == 1, result.output
    assert "would NOT load: the header lacks required column(s) line_no" in result.stdout
    assert "       2  missing_required_column" in result.stdout
    assert "'Mã hóa đơn' -> order_id" in result.stdout
    assert not Path(settings.lake_uri).exists()


def test_quarantined_rows_still_load_exit_0_and_a_header_only_file_warns(
    exports: Path, tmp_path: Path, settings: Settings, set_env: Callable[..., None]
) -> None:
    set_env(SME_PULSE_HOME=str(settings.home))
    runner = CliRunner()
    result = runner.invoke(app, ["sales", "check", str(exports / "website_orders.xlsx")])
    assert result.exit_code == 0, result.output
    assert "would load " in result.stdout and "  row " in result.stdout
    header = (exports / "pos_sales_2024.csv").read_text("utf-8-sig").splitlines()[0]
    empty = tmp_path / "empty.csv"
    empty.write_text(header + "\n", encoding="utf-8")
    result = runner.invoke(app, ["sales", "check", str(empty)])
    assert result.exit_code == 0, result.output
    assert "warning: no data rows" in result.stdout


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert CliRunner().invoke(app, ["sales", "check"]).exit_code == 2
    missing = CliRunner().invoke(app, ["sales", "check", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2


GUIDE = Path(__file__).parents[2] / "docs" / "your-data.md"


def test_the_guide_lists_every_column_alias_and_reason_the_contract_declares() -> None:
    from sme_pulse.sales.contract import COLUMNS, REASON_CODES

    rows = {
        cells[0].strip("` "): cells
        for line in GUIDE.read_text("utf-8").splitlines()
        if line.startswith("| `") and len(cells := line.strip("|").split("|")) >= 2
    }
    for column in COLUMNS.columns:
        name, required, header, aliases = (cell.strip() for cell in rows[column.name])
        assert required == ("yes" if column.required else "no"), column.name
        assert COLUMNS.canonical(header) == column.name, header
        assert [a.strip("` ") for a in aliases.split(",")] == list(column.aliases), name
    for reason, meaning in REASON_CODES.items():
        assert rows[reason][1].strip() == meaning


def test_the_guides_queries_run_on_a_loaded_lake(
    exports: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: RunContext
) -> None:
    """The SQL the guide shows, verbatim, from the repository folder's default layout."""
    import duckdb
    from sme_pulse.warehouse import ad_hoc_query

    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({"SME_PULSE_HOME": ".local"})
    shutil.copytree(exports, settings.landing_uri)
    ingest_sales(settings, run)
    duckdb.connect(str(settings.warehouse_path)).close()
    queries = [
        line.split('query "', 1)[1].rsplit('"', 1)[0]
        for line in GUIDE.read_text("utf-8").splitlines()
        if line.startswith('.venv/bin/sme-pulse query "')
    ]
    assert len(queries) == 3
    results = [ad_hoc_query(settings, sql)[1] for sql in queries]
    by_reason, rows, manifest = results
    assert sum(count for _, _, count in by_reason) == len(rows) > 0
    assert len(manifest) == len(list(exports.iterdir()))
