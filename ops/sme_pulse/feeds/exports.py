"""How each sales channel's export looks on disk, and the writers that stream them.

Every channel's back office writes its own flavour of the same order lines, and the
ingestion has to take them all:

* POS (KiotViet-style): CSV, UTF-8 with BOM, CRLF, Vietnamese headers and labels,
  day-first times ('03/02/2024 10:15:00'), one file per year.
* Shopee: CSV, UTF-8 without BOM, LF, columns reordered, no customer id or email,
  extra `shipping_carrier` and `voucher_code`, amounts grouped with dots ('1.250.000').
* Lazada: CSV, BOM + LF, some headers under other names (`qty`, `unit_price`,
  `created_at`), no discount, category or payment columns, an extra `lazada_item_id`,
  ISO times with +07:00, amounts grouped with commas ('"1,250,000"').
* TikTok Shop: one JSON Lines file, UTC times ('...Z'), numbers as JSON numbers, an
  extra `creator_handle` on affiliate orders.
* Website: one XLSX workbook with typed cells (Excel dates, integers).
"""

from __future__ import annotations

import csv
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import openpyxl

from sme_pulse.ingestion.values import VN_TZ

Format = Literal["csv", "jsonl", "xlsx"]
TsStyle = Literal["day_first", "iso_naive", "iso_offset", "utc_z", "native"]
AmountStyle = Literal["plain", "dot", "comma", "native"]

AMOUNT_FIELDS = frozenset({"unit_price_vnd", "discount_vnd", "line_total_vnd"})
XLSX_EPOCH = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Dialect:
    key: str
    fmt: Format
    columns: tuple[tuple[str, str], ...]
    """(name written in the file, field of the generated line)."""
    ts_style: TsStyle
    amount_style: AmountStyle
    encoding: str = "utf-8"
    newline: str = "\n"
    per_year: bool = False
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per field, generated value -> label written (channel, status, payment)."""

    def file_name(self, year: int | None) -> str:
        ext = {"csv": "csv", "jsonl": "jsonl", "xlsx": "xlsx"}[self.fmt]
        return f"{self.key}_{year}.{ext}" if self.per_year and year else f"{self.key}.{ext}"

    def has(self, field_name: str) -> bool:
        return any(f == field_name for _, f in self.columns)

    def format_ts(self, local: datetime) -> Any:
        if self.ts_style == "day_first":
            return f"{local:%d/%m/%Y %H:%M:%S}"
        if self.ts_style == "iso_naive":
            return f"{local:%Y-%m-%d %H:%M:%S}"
        if self.ts_style == "iso_offset":
            return local.replace(tzinfo=VN_TZ).isoformat(timespec="seconds")
        if self.ts_style == "utc_z":
            return f"{local - timedelta(hours=7):%Y-%m-%dT%H:%M:%SZ}"
        return local

    def format_amount(self, amount: int) -> Any:
        if self.amount_style == "dot":
            return f"{amount:,}".replace(",", ".")
        if self.amount_style == "comma":
            return f"{amount:,}"
        if self.amount_style == "plain":
            return str(amount)
        return amount

    def cells(self, line: dict[str, Any]) -> list[Any]:
        """The line as this export writes it; strings planted as dirt pass through."""
        row = []
        for _, name in self.columns:
            value = line.get(name)
            if value is None or isinstance(value, str):
                value = self.labels.get(name, {}).get(value, value) if value else value
            elif name == "order_ts":
                value = self.format_ts(value)
            elif name in AMOUNT_FIELDS:
                value = self.format_amount(value)
            elif self.fmt == "csv":
                value = str(value)
            row.append(value)
        return row


CANONICAL = (
    "order_id",
    "line_no",
    "order_ts",
    "channel",
    "status",
    "store_id",
    "customer_id",
    "customer_name",
    "customer_email",
    "customer_phone",
    "province_code",
    "district_code",
    "sku",
    "product_name",
    "category",
    "quantity",
    "unit_price_vnd",
    "discount_vnd",
    "line_total_vnd",
    "currency",
    "payment_method",
)

POS = Dialect(
    key="pos_sales",
    fmt="csv",
    columns=(
        ("Mã hóa đơn", "order_id"),
        ("STT", "line_no"),
        ("Thời gian", "order_ts"),
        ("Kênh bán", "channel"),
        ("Trạng thái", "status"),
        ("Mã cửa hàng", "store_id"),
        ("Mã khách hàng", "customer_id"),
        ("Tên khách hàng", "customer_name"),
        ("Điện thoại", "customer_phone"),
        ("Email", "customer_email"),
        ("Mã tỉnh", "province_code"),
        ("Mã huyện", "district_code"),
        ("Mã hàng", "sku"),
        ("Tên hàng", "product_name"),
        ("Nhóm hàng", "category"),
        ("Số lượng", "quantity"),
        ("Đơn giá", "unit_price_vnd"),
        ("Giảm giá", "discount_vnd"),
        ("Thành tiền", "line_total_vnd"),
        ("Tiền tệ", "currency"),
        ("Phương thức thanh toán", "payment_method"),
    ),
    ts_style="day_first",
    amount_style="plain",
    encoding="utf-8-sig",
    newline="\r\n",
    per_year=True,
    labels={
        "channel": {"pos": "Tại cửa hàng"},
        "status": {
            "completed": "Hoàn thành",
            "cancelled": "Đã hủy",
            "refunded": "Trả hàng",
            "pending": "Đang xử lý",
        },
        "payment_method": {
            "cash": "Tiền mặt",
            "card": "Thẻ",
            "e_wallet": "Ví điện tử",
            "bank_transfer": "Chuyển khoản",
        },
    },
)

SHOPEE = Dialect(
    key="shopee_orders",
    fmt="csv",
    columns=(
        ("order_id", "order_id"),
        ("order_ts", "order_ts"),
        ("status", "status"),
        ("line_no", "line_no"),
        ("sku", "sku"),
        ("product_name", "product_name"),
        ("category", "category"),
        ("quantity", "quantity"),
        ("unit_price_vnd", "unit_price_vnd"),
        ("discount_vnd", "discount_vnd"),
        ("line_total_vnd", "line_total_vnd"),
        ("voucher_code", "voucher_code"),
        ("customer_name", "customer_name"),
        ("customer_phone", "customer_phone"),
        ("province_code", "province_code"),
        ("district_code", "district_code"),
        ("shipping_carrier", "shipping_carrier"),
        ("payment_method", "payment_method"),
        ("channel", "channel"),
        ("currency", "currency"),
    ),
    ts_style="iso_naive",
    amount_style="dot",
    per_year=True,
    labels={
        "channel": {"shopee": "Shopee"},
        "status": {
            "completed": "Hoàn thành",
            "cancelled": "Đã hủy",
            "refunded": "Trả hàng/Hoàn tiền",
            "pending": "Chờ xác nhận",
        },
        "payment_method": {
            "cod": "Thanh toán khi nhận hàng",
            "e_wallet": "ShopeePay",
            "card": "Thẻ tín dụng",
        },
    },
)

LAZADA = Dialect(
    key="lazada_orders",
    fmt="csv",
    columns=(
        ("order_number", "order_id"),
        ("item_no", "line_no"),
        ("created_at", "order_ts"),
        ("sales_channel", "channel"),
        ("order_status", "status"),
        ("lazada_item_id", "lazada_item_id"),
        ("seller_sku", "sku"),
        ("product_name", "product_name"),
        ("qty", "quantity"),
        ("unit_price", "unit_price_vnd"),
        ("line_total", "line_total_vnd"),
        ("buyer_name", "customer_name"),
        ("buyer_email", "customer_email"),
        ("phone", "customer_phone"),
        ("province_code", "province_code"),
        ("district_code", "district_code"),
        ("currency", "currency"),
    ),
    ts_style="iso_offset",
    amount_style="comma",
    encoding="utf-8-sig",
    per_year=True,
    labels={
        "channel": {"lazada": "Lazada"},
        "status": {
            "completed": "Delivered",
            "cancelled": "Canceled",
            "refunded": "Returned",
            "pending": "Pending",
        },
    },
)

TIKTOK = Dialect(
    key="tiktok_shop_orders",
    fmt="jsonl",
    columns=(
        ("order_id", "order_id"),
        ("line_no", "line_no"),
        ("order_ts", "order_ts"),
        ("channel", "channel"),
        ("status", "status"),
        ("customer_name", "customer_name"),
        ("customer_phone", "customer_phone"),
        ("province_code", "province_code"),
        ("district_code", "district_code"),
        ("sku", "sku"),
        ("product_name", "product_name"),
        ("category", "category"),
        ("quantity", "quantity"),
        ("unit_price_vnd", "unit_price_vnd"),
        ("discount_vnd", "discount_vnd"),
        ("line_total_vnd", "line_total_vnd"),
        ("currency", "currency"),
        ("payment_method", "payment_method"),
        ("creator_handle", "creator_handle"),
    ),
    ts_style="utc_z",
    amount_style="native",
    labels={
        "channel": {"tiktok_shop": "TikTok Shop"},
        "status": {
            "completed": "COMPLETED",
            "cancelled": "CANCELLED",
            "refunded": "REFUNDED",
            "pending": "AWAITING_SHIPMENT",
        },
    },
)

WEBSITE = Dialect(
    key="website_orders",
    fmt="xlsx",
    columns=tuple((name, name) for name in CANONICAL if name != "store_id"),
    ts_style="native",
    amount_style="native",
    labels={"channel": {"website": "Website"}},
)

CHANNEL_DIALECTS: dict[str, Dialect] = {
    "pos": POS,
    "shopee": SHOPEE,
    "lazada": LAZADA,
    "tiktok_shop": TIKTOK,
    "website": WEBSITE,
}

SINGLE_CSV = Dialect(
    key="sales_export_all",
    fmt="csv",
    columns=tuple((name, name) for name in CANONICAL),
    ts_style="iso_naive",
    amount_style="dot",
    encoding="utf-8-sig",
    newline="\r\n",
)
"""Every channel in one canonical CSV; what the benchmark ingests."""


class Sink:
    """An open export file; `write` takes the cells of one row."""

    def __init__(self, path: Path, dialect: Dialect) -> None:
        self.path = path
        self.dialect = dialect
        self.rows = 0
        self._write: Callable[[list[Any]], None]
        self._close: Callable[[], None]
        header = [name for name, _ in dialect.columns]
        if dialect.fmt == "csv":
            handle = path.open("w", encoding=dialect.encoding, newline="")
            writer = csv.writer(handle, lineterminator=dialect.newline)
            writer.writerow(header)
            self._write, self._close = writer.writerow, handle.close
        elif dialect.fmt == "jsonl":
            handle = path.open("w", encoding="utf-8", newline="\n")

            def write_json(cells: list[Any]) -> None:
                record = {k: v for k, v in zip(header, cells, strict=True) if v is not None}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")

            self._write, self._close = write_json, handle.close
        else:
            workbook = openpyxl.Workbook(write_only=True)
            sheet = workbook.create_sheet("Orders")
            sheet.append(header)

            def close_workbook() -> None:
                workbook.save(path)
                freeze_xlsx(path)

            self._write, self._close = sheet.append, close_workbook

    def write(self, cells: list[Any]) -> None:
        self._write(cells)
        self.rows += 1

    def close(self) -> None:
        self._close()


_CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def freeze_xlsx(path: Path) -> None:
    """Rewrite a workbook with fixed zip and document times, so equal data gives equal bytes.

    openpyxl stamps the save time into the archive and `docProps/core.xml`; without this
    every generation would produce a 'new version' of an unchanged workbook.
    """
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, payload in entries:
            if name == "docProps/core.xml":
                payload = _CORE_TIMES.sub(rb"\g<1>2020-01-01T00:00:00Z\g<2>", payload)
            target.writestr(zipfile.ZipInfo(name, XLSX_EPOCH), payload, zipfile.ZIP_DEFLATED)
