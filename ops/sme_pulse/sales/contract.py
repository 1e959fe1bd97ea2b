"""The sales export contract: which columns an export may carry and what each value must be.

Grain. An export is line-grain, the way POS and marketplace exports are: one row per
order line, with the order's header columns (id, time, channel, status, customer,
address) repeated on every line. Bronze `sales/order_lines` keeps that grain; silver
derives orders from it.

Column policy (schema drift), decided per file from its header:

* A **required** column missing from a CSV or XLSX header rejects the file: every row
  goes to quarantine with reason `missing_required_column`, nothing reaches bronze,
  and the file's status is `rejected` (the run reports failure). In JSON Lines every
  record carries its own keys, so a missing required key is a missing value and only
  that record is quarantined (`required_value_missing`).
* An **optional** column that is missing reads as empty: null, except `discount_vnd`
  (0), `currency` ('VND') and `line_total_vnd` (computed as quantity x unit price -
  discount).
* An **unknown extra** column is recorded in the load manifest (`extra_columns`) and
  dropped; quarantined rows keep it in `raw_record`.
* Headers match regardless of case, accents, spacing and punctuation, and through the
  aliases below (Vietnamese POS headers such as 'Mã hóa đơn' or 'Số lượng', marketplace
  names such as 'qty'); a renamed or reordered header is reported, never an error.

Row rules (first failing rule is the row's `reason`, one of `REASON_CODES`; all of them
go to `reason_detail`):
the required values are present; `line_no` is 1..10000; `order_ts` parses (naive means
Vietnam local time) and lies between 2000-01-01 and one day after the load; channel,
status and currency are in the allowed sets (after mapping aliases); `quantity` is a
whole number > 0 (a refund is a line whose status is `refunded`, carrying the positive
quantity refunded; a negative quantity is always quarantined); amounts are whole VND
>= 0, with thousands separators and currency marks removed; the discount does not exceed
quantity x unit price and a given line total equals quantity x unit price - discount;
`province_code` is a code valid on the order's date (63 old codes before 1 July 2025,
34 new codes from then; '1' is read as '01'); `district_code` exists only before the
reform and belongs to the province.

Not row defects: exact duplicate lines (bronze keeps them; silver keeps one row per
`(order_id, line_no)`, preferring the latest load), email case and whitespace variants
and phone formats (kept as exported, with `email_normalized` and `phone_normalized`
added for matching).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import pyarrow as pa

from sme_pulse.ingestion.admin_units import AdminUnits, admin_version
from sme_pulse.ingestion.drift import Column, ColumnSet
from sme_pulse.ingestion.rules import (
    MAX_TEXT,
    Violation,
    blank,
    read_address,
    read_text,
)
from sme_pulse.ingestion.values import (
    ascii_key,
    clean_text,
    local_date,
    normalize_email,
    normalize_phone,
    parse_integer,
    parse_timestamp,
    parse_vnd,
)
from sme_pulse.sources.lineage import LINEAGE_FIELDS

SOURCE = "sales"

CHANNELS = ("pos", "shopee", "lazada", "tiktok_shop", "website")
STATUSES = ("completed", "cancelled", "refunded", "pending")
PAYMENT_METHODS = ("cash", "card", "bank_transfer", "e_wallet", "cod")

EARLIEST_ORDER = datetime(2000, 1, 1, tzinfo=UTC)
MAX_LINE_NO = 10_000
MAX_QUANTITY = 100_000
MAX_AMOUNT_VND = 10**13

COLUMNS = ColumnSet(
    (
        Column("order_id", True, ("ma_hoa_don", "ma_don_hang", "order_no", "order_number")),
        Column("line_no", True, ("stt", "line", "line_number", "item_no", "item_seq")),
        Column(
            "order_ts",
            True,
            ("thoi_gian", "ngay_dat_hang", "order_date", "order_time", "created_at", "ngay_tao"),
        ),
        Column("channel", True, ("kenh_ban", "kenh", "sales_channel")),
        Column("status", True, ("trang_thai", "order_status")),
        Column("store_id", False, ("ma_cua_hang", "chi_nhanh", "branch_id")),
        Column("customer_id", False, ("ma_khach_hang", "ma_kh")),
        Column("customer_name", False, ("ten_khach_hang", "ten_kh", "buyer_name")),
        Column("customer_email", False, ("email", "buyer_email")),
        Column("customer_phone", False, ("dien_thoai", "so_dien_thoai", "sdt", "phone")),
        Column("province_code", False, ("ma_tinh", "ma_tinh_thanh")),
        Column("district_code", False, ("ma_huyen", "ma_quan_huyen")),
        Column("sku", True, ("ma_hang", "ma_sku", "seller_sku")),
        Column("product_name", False, ("ten_hang", "ten_san_pham")),
        Column("category", False, ("nhom_hang", "danh_muc")),
        Column("quantity", True, ("so_luong", "qty")),
        Column("unit_price_vnd", True, ("don_gia", "gia_ban", "unit_price", "price")),
        Column("discount_vnd", False, ("giam_gia", "discount")),
        Column("line_total_vnd", False, ("thanh_tien", "line_total", "subtotal")),
        Column("currency", False, ("tien_te",)),
        Column("payment_method", False, ("phuong_thuc_thanh_toan", "hinh_thuc_thanh_toan")),
    )
)

CHANNEL_ALIASES = {
    **{c: c for c in CHANNELS},
    "tai_cua_hang": "pos",
    "cua_hang": "pos",
    "offline": "pos",
    "tiktok": "tiktok_shop",
    "tiktokshop": "tiktok_shop",
    "web": "website",
    "online_store": "website",
}
STATUS_ALIASES = {
    **{s: s for s in STATUSES},
    "complete": "completed",
    "delivered": "completed",
    "hoan_thanh": "completed",
    "da_giao": "completed",
    "canceled": "cancelled",
    "da_huy": "cancelled",
    "huy": "cancelled",
    "returned": "refunded",
    "tra_hang": "refunded",
    "hoan_tien": "refunded",
    "tra_hang_hoan_tien": "refunded",
    "processing": "pending",
    "cho_xac_nhan": "pending",
    "dang_giao": "pending",
    "dang_xu_ly": "pending",
    "awaiting_shipment": "pending",
}
CURRENCY_ALIASES = {"vnd": "VND", "d": "VND"}
PAYMENT_ALIASES = {
    **{p: p for p in PAYMENT_METHODS},
    "tien_mat": "cash",
    "the": "card",
    "credit_card": "card",
    "the_tin_dung": "card",
    "chuyen_khoan": "bank_transfer",
    "vi_dien_tu": "e_wallet",
    "momo": "e_wallet",
    "zalopay": "e_wallet",
    "shopeepay": "e_wallet",
    "thanh_toan_khi_nhan_hang": "cod",
    "cash_on_delivery": "cod",
}

LINE_FIELDS = [
    pa.field("order_id", pa.string(), nullable=False),
    pa.field("line_no", pa.int32(), nullable=False),
    pa.field("order_ts_utc", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("order_date_local", pa.date32(), nullable=False),
    pa.field("admin_version", pa.string(), nullable=False),
    pa.field("channel", pa.string(), nullable=False),
    pa.field("status", pa.string(), nullable=False),
    pa.field("store_id", pa.string()),
    pa.field("customer_id", pa.string()),
    pa.field("customer_name", pa.string()),
    pa.field("customer_email", pa.string()),
    pa.field("customer_phone", pa.string()),
    pa.field("email_normalized", pa.string()),
    pa.field("phone_normalized", pa.string()),
    pa.field("province_code", pa.string()),
    pa.field("district_code", pa.string()),
    pa.field("sku", pa.string(), nullable=False),
    pa.field("product_name", pa.string()),
    pa.field("category", pa.string()),
    pa.field("quantity", pa.int32(), nullable=False),
    pa.field("unit_price_vnd", pa.int64(), nullable=False),
    pa.field("discount_vnd", pa.int64(), nullable=False),
    pa.field("line_total_vnd", pa.int64(), nullable=False),
    pa.field("currency", pa.string(), nullable=False),
    pa.field("payment_method", pa.string()),
]
FILE_FIELDS = [
    pa.field("source_file", pa.string(), nullable=False),
    pa.field("source_file_sha256", pa.string(), nullable=False),
    pa.field("source_row_number", pa.int64(), nullable=False),
    pa.field("loaded_at", pa.timestamp("us", tz="UTC"), nullable=False),
]
ORDER_LINES_SCHEMA = pa.schema([*LINE_FIELDS, *FILE_FIELDS, *LINEAGE_FIELDS])

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_file_sha256", pa.string(), nullable=False),
        pa.field("source_row_number", pa.int64(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("reason_detail", pa.string(), nullable=False),
        pa.field("order_id", pa.string()),
        pa.field("raw_record", pa.string(), nullable=False),
        pa.field("parsed_values", pa.string()),
        pa.field("loaded_at", pa.timestamp("us", tz="UTC"), nullable=False),
        *LINEAGE_FIELDS,
    ]
)
"""`parsed_values` (see `parsed_values_json`) is null for a row never split into fields."""

UNVERIFIED_BY: dict[str, tuple[str, ...]] = {
    "order_ts": (
        "order_ts_utc",
        "order_date_local",
        "admin_version",
        "province_code",
        "district_code",
    ),
    "customer_email": ("customer_email", "email_normalized"),
    "customer_phone": ("customer_phone", "phone_normalized"),
}
"""The `LINE_FIELDS` a broken column leaves unverified (any other column: its own field).

Without a valid time the address cannot be checked against the units of the order's
date, so it is left out of a rejected line's parsed values too. An exported line total
that is itself a valid amount is kept when the quantity, price or discount broke (it is
the amount the shop's books give the line); one that contradicts them is not."""

REQUIRED_FIELDS = frozenset(f.name for f in LINE_FIELDS if not f.nullable)

REASON_CODES: dict[str, str] = {
    "missing_required_column": "the file's header lacks a required column (whole file)",
    "field_count_mismatch": "the row has more or fewer fields than the header",
    "row_too_long": "the line or record is longer than LANDING_MAX_ROW_KB (never parsed)",
    "invalid_json": "the JSON Lines line does not parse",
    "not_an_object": "the JSON Lines line is not a JSON object",
    "required_value_missing": "a required value is empty",
    "value_too_long": f"a text value is longer than {MAX_TEXT} characters",
    "invalid_line_no": f"line_no is not a whole number 1..{MAX_LINE_NO}",
    "invalid_order_ts": "order_ts is not a date and time",
    "order_ts_out_of_range": "order_ts is before 2000 or more than a day after the load",
    "unknown_channel": "channel is not pos, shopee, lazada, tiktok_shop or website",
    "unknown_status": "status is not completed, cancelled, refunded or pending",
    "unsupported_currency": "currency is not VND",
    "unknown_province_code": "province_code is not valid on the order's date",
    "unknown_district_code": "district_code is not a district of the province",
    "district_after_reform": "a district is given for an order from 2025-07-01",
    "invalid_quantity": "quantity is not a whole number",
    "quantity_not_positive": "quantity is zero or negative",
    "quantity_out_of_range": f"quantity exceeds {MAX_QUANTITY}",
    "invalid_amount": "an amount is not whole VND",
    "negative_amount": "an amount is below zero",
    "amount_out_of_range": f"an amount exceeds {MAX_AMOUNT_VND} VND",
    "discount_exceeds_gross": "discount_vnd exceeds quantity x unit_price_vnd",
    "line_total_mismatch": "line_total_vnd differs from quantity x unit_price_vnd - discount_vnd",
}
"""Every `reason` a quarantined sales row can carry."""


def _choice(
    values: Mapping[str, object],
    name: str,
    aliases: Mapping[str, str],
    code: str,
    errors: list[Violation],
) -> str | None:
    raw = clean_text(values.get(name))
    if raw is None:
        errors.append(Violation("required_value_missing", name, "is empty"))
        return None
    value = aliases.get(ascii_key(raw))
    if value is None:
        allowed = ", ".join(sorted(set(aliases.values())))
        errors.append(Violation(code, name, f"{raw!r} is not one of {allowed}"))
    return value


def _whole(
    values: Mapping[str, object],
    name: str,
    code: str,
    errors: list[Violation],
    *,
    amount: bool = False,
) -> int | None:
    raw = values.get(name)
    if blank(raw):
        errors.append(Violation("required_value_missing", name, "is empty"))
        return None
    try:
        return parse_vnd(raw) if amount else parse_integer(raw)
    except ValueError as exc:
        errors.append(Violation(code, name, str(exc)))
        return None


def _amount(values: Mapping[str, object], name: str, errors: list[Violation]) -> int | None:
    number = _whole(values, name, "invalid_amount", errors, amount=True)
    if number is None:
        return None
    if number < 0:
        errors.append(Violation("negative_amount", name, f"{number} is below zero"))
        return None
    if number > MAX_AMOUNT_VND:
        errors.append(Violation("amount_out_of_range", name, f"{number} exceeds {MAX_AMOUNT_VND}"))
        return None
    return number


def currency_of(raw: str | None) -> str | None:
    """'VND' for an empty currency, '₫' or an alias of VND; None for anything else."""
    if raw is None or raw == "₫":
        return "VND"
    return CURRENCY_ALIASES.get(ascii_key(raw))


def payment_of(raw: str) -> str:
    """The payment method's canonical name; unknown methods are kept as their key."""
    return PAYMENT_ALIASES.get(ascii_key(raw), ascii_key(raw) or raw)


class LineCheck(NamedTuple):
    """A line checked by the row rules: its bronze values by field name, or its violations.

    `parsed` holds the fields that are valid by the contract whether or not the line is:
    a rejected line keeps them in quarantine (`parsed_values`), so silver can repair the
    line from its order or say how much revenue its order holds back.
    """

    values: dict[str, Any] | None
    violations: list[Violation]
    parsed: dict[str, Any]


def parsed_values_json(parsed: Mapping[str, Any]) -> str:
    """The valid fields of a line as a JSON object with sorted keys, times in ISO 8601.

    A field that is valid and empty is a JSON null; a field that broke a rule is absent,
    so silver tells the two apart. Microsecond, fixed-width UTC times and sorted keys
    make the text a function of the row alone (replayed loads rewrite parts byte for
    byte).
    """

    def iso(value: object) -> str:
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat(timespec="microseconds")
        if isinstance(value, date):
            return value.isoformat()
        raise TypeError(f"{type(value).__name__} is not a contract value")

    return json.dumps(dict(parsed), sort_keys=True, ensure_ascii=False, default=iso)


@dataclass(frozen=True)
class Validator:
    """Checks one line against the contract; `latest` bounds order times from above."""

    units: AdminUnits
    latest: datetime

    def validate(self, values: Mapping[str, object]) -> LineCheck:
        """The line's bronze values by `LINE_FIELDS` name, or every rule it breaks."""
        errors: list[Violation] = []
        order_id = read_text(values, "order_id", errors, required=True)
        line_no = _whole(values, "line_no", "invalid_line_no", errors)
        if line_no is not None and not 1 <= line_no <= MAX_LINE_NO:
            errors.append(
                Violation("invalid_line_no", "line_no", f"{line_no} is not 1..{MAX_LINE_NO}")
            )

        order_ts: datetime | None = None
        day: date | None = None
        raw_ts = values.get("order_ts")
        if blank(raw_ts):
            errors.append(Violation("required_value_missing", "order_ts", "is empty"))
        else:
            try:
                order_ts = parse_timestamp(raw_ts)
            except ValueError as exc:
                errors.append(Violation("invalid_order_ts", "order_ts", str(exc)))
            else:
                if not EARLIEST_ORDER <= order_ts <= self.latest:
                    errors.append(
                        Violation(
                            "order_ts_out_of_range",
                            "order_ts",
                            f"{order_ts.isoformat()} is not between "
                            f"{EARLIEST_ORDER.date()} and {self.latest.isoformat()}",
                        )
                    )
                    order_ts = None
                else:
                    day = local_date(order_ts)

        channel = _choice(values, "channel", CHANNEL_ALIASES, "unknown_channel", errors)
        status = _choice(values, "status", STATUS_ALIASES, "unknown_status", errors)
        texts = {
            name: read_text(values, name, errors)
            for name in (
                "store_id",
                "customer_id",
                "customer_name",
                "customer_email",
                "customer_phone",
            )
        }
        province, district = read_address(values, day, self.units, errors)
        sku = read_text(values, "sku", errors, required=True)
        product_name = read_text(values, "product_name", errors)
        category = read_text(values, "category", errors)
        quantity = _whole(values, "quantity", "invalid_quantity", errors)
        if quantity is not None and not 0 < quantity <= MAX_QUANTITY:
            code = "quantity_not_positive" if quantity <= 0 else "quantity_out_of_range"
            errors.append(Violation(code, "quantity", f"{quantity} is not 1..{MAX_QUANTITY}"))
            quantity = None
        unit_price = _amount(values, "unit_price_vnd", errors)
        discount = (
            0 if blank(values.get("discount_vnd")) else _amount(values, "discount_vnd", errors)
        )
        line_total = (
            None
            if blank(values.get("line_total_vnd"))
            else _amount(values, "line_total_vnd", errors)
        )
        if quantity is not None and unit_price is not None and discount is not None:
            gross = quantity * unit_price
            if discount > gross:
                errors.append(
                    Violation(
                        "discount_exceeds_gross", "discount_vnd", f"{discount} exceeds {gross}"
                    )
                )
            elif line_total is None:
                line_total = gross - discount
            elif line_total != gross - discount:
                errors.append(
                    Violation(
                        "line_total_mismatch",
                        "line_total_vnd",
                        f"{line_total} != {quantity} x {unit_price} - {discount}",
                    )
                )

        raw_currency = clean_text(values.get("currency"))
        currency = currency_of(raw_currency)
        if currency is None:
            errors.append(
                Violation("unsupported_currency", "currency", f"{raw_currency!r} is not VND")
            )
        payment = read_text(values, "payment_method", errors)
        if payment is not None:
            payment = payment_of(payment)

        values: dict[str, Any] = {
            "order_id": order_id,
            "line_no": line_no,
            "order_ts_utc": order_ts,
            "order_date_local": day,
            "admin_version": admin_version(day) if day is not None else None,
            "channel": channel,
            "status": status,
            **texts,
            "email_normalized": normalize_email(texts["customer_email"]),
            "phone_normalized": normalize_phone(texts["customer_phone"]),
            "province_code": province,
            "district_code": district,
            "sku": sku,
            "product_name": product_name,
            "category": category,
            "quantity": quantity,
            "unit_price_vnd": unit_price,
            "discount_vnd": discount,
            "line_total_vnd": line_total,
            "currency": currency,
            "payment_method": payment,
        }
        if not errors and day is not None:
            return LineCheck(values, errors, values)
        unverified = {name for e in errors for name in UNVERIFIED_BY.get(e.column, (e.column,))}
        parsed = {
            name: value
            for name, value in values.items()
            if name not in unverified and (value is not None or name not in REQUIRED_FIELDS)
        }
        return LineCheck(None, errors, parsed)
