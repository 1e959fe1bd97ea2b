"""Sales ingestion on a lake folder: accounting, idempotency, superseding, drift, encodings."""

from __future__ import annotations

import io
import json
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest
from sme_pulse.config import Settings
from sme_pulse.feeds.generator import GeneratorConfig, generate
from sme_pulse.sales import SalesIngestError, ingest_sales
from sme_pulse.sales.contract import ORDER_LINES_SCHEMA, QUARANTINE_SCHEMA, REASON_CODES
from sme_pulse.sales.layout import file_slug
from sme_pulse.sales.manifest import MANIFEST_SCHEMA
from sme_pulse.sources.lineage import RunContext

pytestmark = pytest.mark.unit

Land = Callable[[str, str | bytes], Path]
Dataset = Callable[[str], pa.Table]

HEADER = (
    "order_id,line_no,order_ts,channel,status,customer_name,customer_email,customer_phone,"
    "province_code,district_code,sku,quantity,unit_price_vnd,discount_vnd,line_total_vnd"
)
GOOD = (
    "HD1,1,2024-02-03 10:15:00,pos,completed,Lê Văn Tám,tam@x.vn,0912345678,79,760,CF-001,2,"
    '"145,000",0,"290,000"'
)
BAD_QTY = "HD1,2,2024-02-03 10:15:00,pos,completed,,,,79,760,CF-002,-1,89000,0,89000"
BAD_DATE = "HD2,1,2024-02-30 09:00:00,pos,completed,,,,79,760,CF-002,1,89000,0,89000"

LINES = "bronze/sales/order_lines"
QUARANTINE = "quarantine/sales/order_lines"
MANIFEST = "bronze/sales/load_manifest"


def csv_text(*rows: str, newline: str = "\n", header: str = HEADER) -> str:
    return newline.join([header, *rows]) + newline


def lake_files(settings: Settings) -> dict[str, bytes]:
    root = Path(settings.lake_uri)
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_every_row_is_loaded_or_quarantined_with_a_reason(
    settings: Settings, run: RunContext, land: Land, dataset: Dataset
) -> None:
    land("pos.csv", csv_text(GOOD, BAD_QTY, BAD_DATE))
    report = ingest_sales(settings, run)
    [result] = report.files
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "loaded",
        3,
        1,
        2,
    )
    assert not report.failed
    lines, quarantine = dataset(LINES), dataset(QUARANTINE)
    assert lines.schema.equals(ORDER_LINES_SCHEMA)
    assert quarantine.schema.equals(QUARANTINE_SCHEMA)
    assert lines.num_rows == 1
    row = lines.to_pylist()[0]
    assert row["unit_price_vnd"] == 145_000 and row["customer_name"] == "Lê Văn Tám"
    assert row["source_file"] == "pos.csv" and row["source_row_number"] == 2
    assert row["loaded_at"] == run.ingested_at and row["run_id"] == run.run_id
    assert row["source"] == "sales" and row["request_url"].endswith("/landing/pos.csv")
    rejects = {r["source_row_number"]: r for r in quarantine.to_pylist()}
    assert rejects[3]["reason"] == "quantity_not_positive"
    assert rejects[4]["reason"] == "invalid_order_ts"
    assert json.loads(rejects[4]["raw_record"])["order_ts"] == "2024-02-30 09:00:00"
    assert rejects[4]["order_id"] == "HD2"


def test_generated_exports_balance_and_quarantine_exactly_the_planted_defects(
    settings: Settings, run: RunContext, tmp_path: Path, dataset: Dataset
) -> None:
    summary = generate(tmp_path, GeneratorConfig(customers=150, seed=7, dirty_share=0.05))
    report = ingest_sales(settings, run)
    assert {f.name for f in report.files} == set(summary.files)
    for result in report.files:
        planted = summary.files[result.name]
        assert result.balanced, result.line()
        assert result.rows_read == planted.rows
        assert result.rows_quarantined == planted.expected_quarantined, result.name
    assert dataset(LINES).num_rows == report.rows_loaded
    reasons = set(dataset(QUARANTINE).column("reason").to_pylist())
    expected = {"invalid_order_ts", "quantity_not_positive", "unknown_province_code"}
    assert expected | {"invalid_amount"} >= reasons >= expected
    assert reasons <= set(REASON_CODES)
    manifest = dataset(MANIFEST)
    assert manifest.schema.equals(MANIFEST_SCHEMA)
    assert sum(manifest.column("rows_read").to_pylist()) == report.rows_read


def test_loading_the_same_files_again_changes_nothing(
    settings: Settings, run: RunContext, land: Land
) -> None:
    land("pos.csv", csv_text(GOOD, BAD_QTY))
    land("more/web.csv", csv_text(GOOD))
    ingest_sales(settings, run)
    before = lake_files(settings)
    again = ingest_sales(settings, RunContext("second", "2026-01-16", datetime.now(UTC)))
    assert [f.status for f in again.files] == ["unchanged", "unchanged"]
    assert again.rows_read == 0
    assert again.files[1].rows_quarantined == 1
    assert lake_files(settings) == before


def test_a_corrected_file_supersedes_the_old_load(
    settings: Settings, run: RunContext, land: Land, dataset: Dataset
) -> None:
    land("pos.csv", csv_text(GOOD, BAD_QTY, BAD_DATE))
    first = ingest_sales(settings, run).files[0]
    fixed = BAD_QTY.replace(",-1,", ",1,")
    land("pos.csv", csv_text(GOOD, fixed))
    second = ingest_sales(settings, run).files[0]
    assert second.status == "loaded"
    assert second.superseded_sha256 == first.sha256
    assert (second.rows_read, second.rows_loaded, second.rows_quarantined) == (2, 2, 0)
    lines = dataset(LINES)
    assert set(lines.column("source_file_sha256").to_pylist()) == {second.sha256}
    assert lines.num_rows == 2
    assert dataset(QUARANTINE).num_rows == 0
    [manifest] = dataset(MANIFEST).to_pylist()
    assert manifest["version"] == 2 and manifest["supersedes_sha256"] == first.sha256


def test_parts_stream_in_batches_and_a_smaller_version_leaves_no_stale_parts(
    settings: Settings, run: RunContext, land: Land, dataset: Dataset
) -> None:
    rows = [GOOD.replace("HD1,1,", f"HD{i},1,") for i in range(23)]
    land("big.csv", csv_text(*rows))
    result = ingest_sales(settings, run, rows_per_part=10).files[0]
    assert result.rows_loaded == 23
    part_dir = Path(settings.lake_uri) / LINES / "file_slug=big.csv"
    assert len(list(part_dir.glob("*.parquet"))) == 3
    land("big.csv", csv_text(*rows[:5]))
    ingest_sales(settings, run, rows_per_part=10)
    assert len(list(part_dir.glob("*.parquet"))) == 1
    assert dataset(LINES).num_rows == 5


def test_schema_drift_is_reported_and_handled_per_column_policy(
    settings: Settings, run: RunContext, land: Land, dataset: Dataset
) -> None:
    header = "Số lượng,sku,Mã hóa đơn,STT,created_at,channel,status,unit_price,voucher"
    land(
        "drift.csv",
        csv_text("3,CF-001,HD9,1,2024-05-01 08:00,web,completed,10.000,X", header=header),
    )
    result = ingest_sales(settings, run).files[0]
    assert result.status == "loaded" and result.rows_loaded == 1
    assert result.drift is not None
    assert result.drift.extra == ["voucher"]
    assert "Số lượng->quantity" in result.drift.renamed
    assert result.drift.reordered
    [manifest] = dataset(MANIFEST).to_pylist()
    assert manifest["extra_columns"] == ["voucher"]
    assert manifest["missing_required_columns"] == []
    assert "province_code" in manifest["missing_optional_columns"]
    assert manifest["columns_reordered"] is True
    [row] = dataset(LINES).to_pylist()
    assert (row["quantity"], row["line_total_vnd"], row["province_code"]) == (3, 30_000, None)
    assert "voucher" not in row


def test_vietnamese_headers_in_any_order_are_not_schema_drift(
    settings: Settings, run: RunContext, land: Land
) -> None:
    """Documented aliases and another column order are how exports come; the manifest
    keeps the mapping, the result line does not call it drift."""
    header = (  # the POS export's own header (feeds/exports.py)
        "Mã hóa đơn,STT,Thời gian,Kênh bán,Trạng thái,Mã cửa hàng,Mã khách hàng,Tên khách hàng,"
        "Điện thoại,Email,Mã tỉnh,Mã huyện,Mã hàng,Tên hàng,Nhóm hàng,Số lượng,Đơn giá,Giảm giá,"
        "Thành tiền,Tiền tệ,Phương thức thanh toán"
    )
    row = (
        "HD9,1,01/01/2024 07:00:35,Tại cửa hàng,Hoàn thành,CH03,KH000962,Nguyễn Ngọc Oanh,"
        "+84 979 846 204,oanh@gmail.com,79,760,MP-006,Nước hoa hồng,Mỹ phẩm,1,175000,0,175000,"
        "VND,Tiền mặt"
    )
    land("pos_vi.csv", csv_text(row, header=header))
    [result] = ingest_sales(settings, run).files
    assert result.drift is not None and result.drift.renamed
    assert not result.drift.drifted, result.drift
    assert "schema drift" not in result.line()


def test_a_missing_required_column_rejects_the_file_but_keeps_every_row(
    settings: Settings, run: RunContext, land: Land, dataset: Dataset
) -> None:
    header = HEADER.replace(",sku,", ",product,")
    land("nosku.csv", csv_text(GOOD, BAD_QTY, header=header))
    report = ingest_sales(settings, run)
    [result] = report.files
    assert result.status == "rejected" and report.failed
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 0, 2)
    assert "missing required: sku" in (result.error or "")
    assert set(dataset(QUARANTINE).column("reason").to_pylist()) == {"missing_required_column"}
    assert dataset(LINES).num_rows == 0
    assert ingest_sales(settings, run).files[0].status == "unchanged"


def test_bom_crlf_diacritics_separators_and_semicolons(
    settings: Settings, run: RunContext, land: Land, dataset: Dataset
) -> None:
    name = unicodedata.normalize("NFD", "Huỳnh Thị Ánh")
    header = "order_id;line_no;order_ts;channel;status;customer_name;sku;quantity;unit_price_vnd"
    rows = [
        f'HD1;1;03/02/2024 10:15:00;POS;Hoàn thành;{name};CF-001;1;"1.250.000"',
        'HD1;2;03/02/2024 10:15:00;POS;Hoàn thành;"Ánh\r\nghi chú";CF-002;2;1 250 000 ₫',
    ]
    land("kiot.csv", b"\xef\xbb\xbf" + csv_text(*rows, newline="\r\n", header=header).encode())
    result = ingest_sales(settings, run).files[0]
    assert result.rows_loaded == 2, result.line()
    lines = dataset(LINES).to_pylist()
    assert lines[0]["customer_name"] == "Huỳnh Thị Ánh"
    assert unicodedata.is_normalized("NFC", lines[0]["customer_name"])
    assert [r["unit_price_vnd"] for r in lines] == [1_250_000, 1_250_000]
    assert lines[1]["customer_name"] == "Ánh\r\nghi chú"
    assert lines[0]["order_ts_utc"] == datetime(2024, 2, 3, 3, 15, tzinfo=UTC)
    [manifest] = dataset(MANIFEST).to_pylist()
    assert (manifest["encoding"], manifest["line_terminator"], manifest["delimiter"]) == (
        "utf-8-sig",
        "crlf",
        ";",
    )


def test_ragged_rows_are_quarantined(
    settings: Settings, run: RunContext, land: Land, dataset: Dataset
) -> None:
    land("ragged.csv", csv_text(GOOD, GOOD.replace("HD1,1", "HD3,1") + ",surplus"))
    result = ingest_sales(settings, run).files[0]
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    [reject] = dataset(QUARANTINE).to_pylist()
    assert reject["reason"] == "field_count_mismatch"
    assert json.loads(reject["raw_record"])["_extra_16"] == "surplus"


def test_json_lines_keep_bad_lines_in_quarantine(
    settings: Settings, run: RunContext, land: Land, dataset: Dataset
) -> None:
    good = {
        "order_id": "576460752303423585",
        "line_no": 1,
        "order_ts": "2025-08-01T03:15:00Z",
        "channel": "TikTok Shop",
        "status": "COMPLETED",
        "province_code": "79",
        "sku": "CF-001",
        "quantity": 2,
        "unit_price_vnd": 145000,
        "creator_handle": "@an.review1",
    }
    no_sku = {k: v for k, v in good.items() if k != "sku"} | {"line_no": 2}
    text = "\n".join([json.dumps(good), "{not json", "[1, 2]", "", json.dumps(no_sku)]) + "\n"
    land("tiktok.jsonl", text)
    result = ingest_sales(settings, run).files[0]
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 1, 3)
    assert result.drift is not None and result.drift.extra == ["creator_handle"]
    rejects = {r["source_row_number"]: r for r in dataset(QUARANTINE).to_pylist()}
    assert rejects[2]["reason"] == "invalid_json"
    assert json.loads(rejects[2]["raw_record"]) == {"_line": "{not json"}
    assert rejects[3]["reason"] == "not_an_object"
    assert rejects[5]["reason"] == "required_value_missing"
    [row] = dataset(LINES).to_pylist()
    assert row["order_date_local"] == date(2025, 8, 1) and row["admin_version"] == "v2"


def test_xlsx_typed_cells_and_excel_mangled_codes(
    settings: Settings, run: RunContext, land: Land, dataset: Dataset
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["order_id", "line_no", "order_ts", "channel", "status", "customer_phone"])
    sheet["G1"], sheet["H1"], sheet["I1"], sheet["J1"] = "province_code", "sku", "quantity", "price"
    sheet.append(["WEB-1", 1, datetime(2025, 7, 1, 0, 5), "Website", "completed", 912345678, 1])
    sheet["H2"], sheet["I2"], sheet["J2"] = "CF-001", 2.0, 145000
    sheet.append(["WEB-2", 1, "30/02/2025", "website", "completed", None, 1, "CF-001", 1, 1000])
    sheet.append([None] * 10)
    buffer = io.BytesIO()
    workbook.save(buffer)
    land("web.xlsx", buffer.getvalue())
    result = ingest_sales(settings, run).files[0]
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    [row] = dataset(LINES).to_pylist()
    assert row["province_code"] == "01" and row["phone_normalized"] == "+84912345678"
    assert row["order_ts_utc"] == datetime(2025, 6, 30, 17, 5, tzinfo=UTC)
    assert row["admin_version"] == "v2" and row["quantity"] == 2
    [reject] = dataset(QUARANTINE).to_pylist()
    assert reject["reason"] == "invalid_order_ts" and reject["source_row_number"] == 3


def test_unreadable_files_fail_without_touching_bronze(
    settings: Settings, run: RunContext, land: Land
) -> None:
    land("latin1.csv", csv_text(GOOD).encode("utf-8").replace("ê".encode(), b"\xea"))
    land("broken.xlsx", b"PK\x03\x04 not really a workbook")
    land("empty.csv", b"")
    land("notes.txt", "not an export")
    report = ingest_sales(settings, run)
    status = {f.name: f for f in report.files}
    assert status["latin1.csv"].status == "failed"
    assert "not valid UTF-8" in (status["latin1.csv"].error or "")
    assert status["broken.xlsx"].status == "failed"
    assert status["empty.csv"].status == "failed"
    assert status["notes.txt"].status == "unsupported"
    assert report.failed
    assert not (Path(settings.lake_uri) / "bronze").exists()


def test_unsafe_file_names_get_distinct_slugs() -> None:
    assert file_slug("pos_2024.csv") == "pos_2024.csv"
    assert file_slug("Đơn hàng T1.csv") != file_slug("Don hang T1.csv")
    assert file_slug("a/b.csv").startswith("a_b.csv-")


def test_a_missing_landing_area_is_a_clear_error(tmp_path: Path, run: RunContext) -> None:
    settings = Settings.from_env({"SME_PULSE_HOME": str(tmp_path)})
    with pytest.raises(SalesIngestError, match="does not exist"):
        ingest_sales(settings, run)


def test_report_lines_and_dict_are_printable(
    settings: Settings, run: RunContext, land: Land
) -> None:
    land("pos.csv", csv_text(GOOD, BAD_QTY))
    report = ingest_sales(settings, run)
    assert report.lines()[0].startswith("pos.csv: loaded, read 2, loaded 1, quarantined 1")
    document = json.loads(json.dumps(report.to_dict(), default=str))
    assert document["rows_read"] == 2 and document["failed"] is False


def _cp1258(text: str) -> bytes:
    """Windows-1258 bytes: precomposed letters where the code page has them, tones as
    combining marks (how Vietnamese Windows tools write it)."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out).encode("cp1258")


def test_windows_1258_and_utf16_exports_load_with_their_letters_intact(
    settings: Settings, run: RunContext, land: Land, dataset: Dataset
) -> None:
    vietnamese = GOOD.replace("Lê Văn Tám", "Nguyễn Thị Hằng")
    land("old_pos.csv", _cp1258(csv_text(vietnamese, newline="\r\n")))
    tabbed = vietnamese.replace(",", "\t").replace('"145\t000"', "145000")
    excel = csv_text(tabbed, header=HEADER.replace(",", "\t"))
    land("excel_unicode.tsv", excel.replace('"290\t000"', "290000").encode("utf-16"))
    report = ingest_sales(settings, run)
    status = {f.name: (f.status, f.rows_loaded, f.rows_quarantined) for f in report.files}
    assert status == {"old_pos.csv": ("loaded", 1, 0), "excel_unicode.tsv": ("loaded", 1, 0)}
    names = set(dataset(LINES).column("customer_name").to_pylist())
    assert names == {unicodedata.normalize("NFC", "Nguyễn Thị Hằng")}
    encodings = set(dataset(MANIFEST).column("encoding").to_pylist())
    assert encodings == {"cp1258", "utf-16"}


def test_a_non_utf8_file_without_vietnamese_evidence_fails_unless_configured(
    tmp_path: Path, run: RunContext, land: Land
) -> None:
    latin = csv_text(GOOD.replace("Lê Văn Tám", "Renée")).encode("cp1252")
    land("latin.csv", latin)
    auto = Settings.from_env({"SME_PULSE_HOME": str(tmp_path)})
    [result] = ingest_sales(auto, run).files
    assert result.status == "failed" and "LANDING_ENCODING" in (result.error or "")
    configured = Settings.from_env({"SME_PULSE_HOME": str(tmp_path), "LANDING_ENCODING": "cp1252"})
    [result] = ingest_sales(configured, run).files
    assert (result.status, result.rows_loaded) == ("loaded", 1)
