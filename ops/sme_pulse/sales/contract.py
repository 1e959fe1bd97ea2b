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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from sme_pulse.sales.admin_units import REFORM_DATE, AdminUnits, admin_version
from sme_pulse.sales.values import (
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
CURRENCIES = ("VND",)
PAYMENT_METHODS = ("cash", "card", "bank_transfer", "e_wallet", "cod")

EARLIEST_ORDER = datetime(2000, 1, 1, tzinfo=UTC)
MAX_LINE_NO = 10_000
MAX_QUANTITY = 100_000
MAX_AMOUNT_VND = 10**13
MAX_TEXT = 500


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
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
COLUMN_NAMES = tuple(c.name for c in COLUMNS)
REQUIRED = frozenset(c.name for c in COLUMNS if c.required)
HEADER_KEYS: dict[str, str] = {
    key: c.name for c in COLUMNS for key in (ascii_key(c.name), *c.aliases)
}

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
        pa.field("loaded_at", pa.timestamp("us", tz="UTC"), nullable=False),
        *LINEAGE_FIELDS,
    ]
)

Violation = tuple[str, str, str]
"""(reason code, column, message)."""

REASON_CODES: dict[str, str] = {
    "missing_required_column": "the file's header lacks a required column (whole file)",
    "field_count_mismatch": "the row has more or fewer fields than the header",
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


@dataclass
class SchemaDrift:
    """How one file's columns differ from the contract; stored in the load manifest."""

    header: list[str]
    missing_required: list[str] = field(default_factory=list)
    missing_optional: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    reordered: bool = False

    @property
    def drifted(self) -> bool:
        return bool(
            self.missing_required
            or self.missing_optional
            or self.extra
            or self.renamed
            or self.reordered
        )

    def describe(self) -> str:
        parts = []
        for label, names in (
            ("missing required", self.missing_required),
            ("missing optional", self.missing_optional),
            ("extra", self.extra),
            ("renamed", self.renamed),
        ):
            if names:
                parts.append(f"{label}: {', '.join(names)}")
        if self.reordered:
            parts.append("columns reordered")
        return "; ".join(parts) or "matches the contract"


def canonical_column(raw_name: str) -> str | None:
    """The contract column a header names, or None for an unknown column."""
    return HEADER_KEYS.get(ascii_key(raw_name.replace("\ufeff", "")))


class HeaderMapper:
    """Maps the names a file uses to contract columns and records the drift it sees.

    CSV and XLSX call `observe` once with the header row; JSON Lines calls it with each
    record's keys, so the drift of a JSONL file is the union over its records. A second
    name for a column already present in the same row (say 'qty' next to 'quantity') is
    treated as an extra column.
    """

    def __init__(self) -> None:
        self._header: list[str] = []
        self._seen: dict[str, str | None] = {}
        self._repeated: list[str] = []

    def observe(self, names: Sequence[str]) -> list[str | None]:
        """Contract column per position (None for unknown or repeated columns)."""
        mapped: list[str | None] = []
        taken: set[str] = set()
        first_call = not self._header
        for name in names:
            if name not in self._seen:
                self._seen[name] = canonical_column(name)
                if not first_call:
                    self._header.append(name)
            if first_call:
                self._header.append(name)
            canonical = self._seen[name]
            if canonical is not None and canonical in taken:
                if name not in self._repeated:
                    self._repeated.append(name)
                canonical = None
            elif canonical is not None:
                taken.add(canonical)
            mapped.append(canonical)
        return mapped

    def drift(self) -> SchemaDrift:
        present = list(dict.fromkeys(c for c in self._seen.values() if c is not None))
        order = [c for c in COLUMN_NAMES if c in present]
        return SchemaDrift(
            header=list(self._header),
            missing_required=[c for c in COLUMN_NAMES if c in REQUIRED and c not in present],
            missing_optional=[c for c in COLUMN_NAMES if c not in REQUIRED and c not in present],
            extra=[name for name, c in self._seen.items() if c is None] + self._repeated,
            renamed=[
                f"{name}->{c}"
                for name, c in self._seen.items()
                if c is not None and name != c and name not in self._repeated
            ],
            reordered=present != order,
        )


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_text(
    values: Mapping[str, object], name: str, errors: list[Violation], required: bool = False
) -> str | None:
    """Clean text of `name`, recording a violation when required and empty or too long."""
    value = clean_text(values.get(name))
    if value is None:
        if required:
            errors.append(("required_value_missing", name, "is empty"))
        return None
    if len(value) > MAX_TEXT:
        errors.append(("value_too_long", name, f"is longer than {MAX_TEXT} characters"))
        return None
    return value


def _choice(
    values: Mapping[str, object],
    name: str,
    aliases: Mapping[str, str],
    code: str,
    errors: list[Violation],
) -> str | None:
    raw = clean_text(values.get(name))
    if raw is None:
        errors.append(("required_value_missing", name, "is empty"))
        return None
    value = aliases.get(ascii_key(raw))
    if value is None:
        allowed = ", ".join(sorted(set(aliases.values())))
        errors.append((code, name, f"{raw!r} is not one of {allowed}"))
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
    if _blank(raw):
        errors.append(("required_value_missing", name, "is empty"))
        return None
    try:
        return parse_vnd(raw) if amount else parse_integer(raw)
    except ValueError as exc:
        errors.append((code, name, str(exc)))
        return None


def _amount(values: Mapping[str, object], name: str, errors: list[Violation]) -> int | None:
    number = _whole(values, name, "invalid_amount", errors, amount=True)
    if number is None:
        return None
    if number < 0:
        errors.append(("negative_amount", name, f"{number} is below zero"))
        return None
    if number > MAX_AMOUNT_VND:
        errors.append(("amount_out_of_range", name, f"{number} exceeds {MAX_AMOUNT_VND}"))
        return None
    return number


def read_code(raw: object, width: int) -> str | None:
    """A numeric code zero-padded to its width (Excel turns '01' into 1)."""
    text = clean_text(raw)
    if text is None:
        return None
    return text.zfill(width) if text.isdigit() and len(text) <= width else text


def read_address(
    values: Mapping[str, object], day: date | None, units: AdminUnits, errors: list[Violation]
) -> tuple[str | None, str | None]:
    """(province_code, district_code), checked against the units valid on `day`.

    Sales lines and CRM customers carry the same codes under the same reform rules, so
    both contracts check them here. Without a `day` (its timestamp did not parse, and
    that is reported on its own) the codes are checked against the old units, so a bad
    code is still reported.
    """
    version = admin_version(day) if day is not None else None
    province = read_code(values.get("province_code"), 2)
    if province is not None and province not in units.provinces(version or "v1"):
        era = "from" if version == "v2" else "before"
        errors.append(
            (
                "unknown_province_code",
                "province_code",
                f"{province!r} is not a province code {era} {REFORM_DATE}",
            )
        )
    district = read_code(values.get("district_code"), 3)
    if district is not None:
        if version == "v2":
            errors.append(
                (
                    "district_after_reform",
                    "district_code",
                    f"{district!r} given for {day}; districts ended {REFORM_DATE}",
                )
            )
        elif units.old_districts.get(district) != province:
            errors.append(
                (
                    "unknown_district_code",
                    "district_code",
                    f"{district!r} is not a district of province {province!r}",
                )
            )
    return province, district


@dataclass(frozen=True)
class Validator:
    """Checks one line against the contract; `latest` bounds order times from above."""

    units: AdminUnits
    latest: datetime

    def validate(
        self, values: Mapping[str, object]
    ) -> tuple[tuple[Any, ...] | None, list[Violation]]:
        """The bronze values in `LINE_FIELDS` order, or None and every rule it breaks."""
        errors: list[Violation] = []
        order_id = read_text(values, "order_id", errors, required=True)
        line_no = _whole(values, "line_no", "invalid_line_no", errors)
        if line_no is not None and not 1 <= line_no <= MAX_LINE_NO:
            errors.append(("invalid_line_no", "line_no", f"{line_no} is not 1..{MAX_LINE_NO}"))

        order_ts: datetime | None = None
        day: date | None = None
        raw_ts = values.get("order_ts")
        if _blank(raw_ts):
            errors.append(("required_value_missing", "order_ts", "is empty"))
        else:
            try:
                order_ts = parse_timestamp(raw_ts)
            except ValueError as exc:
                errors.append(("invalid_order_ts", "order_ts", str(exc)))
            else:
                if not EARLIEST_ORDER <= order_ts <= self.latest:
                    errors.append(
                        (
                            "order_ts_out_of_range",
                            "order_ts",
                            f"{order_ts.isoformat()} is not between "
                            f"{EARLIEST_ORDER.date()} and {self.latest.isoformat()}",
                        )
                    )
                    order_ts = None
                else:
                    day = local_date(order_ts)
        version = admin_version(day) if day is not None else None

        channel = _choice(values, "channel", CHANNEL_ALIASES, "unknown_channel", errors)
        status = _choice(values, "status", STATUS_ALIASES, "unknown_status", errors)
        store_id = read_text(values, "store_id", errors)
        customer_id = read_text(values, "customer_id", errors)
        customer_name = read_text(values, "customer_name", errors)
        email = read_text(values, "customer_email", errors)
        phone = read_text(values, "customer_phone", errors)

        province, district = read_address(values, day, self.units, errors)

        sku = read_text(values, "sku", errors, required=True)
        product_name = read_text(values, "product_name", errors)
        category = read_text(values, "category", errors)
        quantity = _whole(values, "quantity", "invalid_quantity", errors)
        if quantity is not None and not 0 < quantity <= MAX_QUANTITY:
            code = "quantity_not_positive" if quantity <= 0 else "quantity_out_of_range"
            errors.append((code, "quantity", f"{quantity} is not 1..{MAX_QUANTITY}"))
            quantity = None
        unit_price = _amount(values, "unit_price_vnd", errors)
        discount = (
            0 if _blank(values.get("discount_vnd")) else _amount(values, "discount_vnd", errors)
        )
        line_total = (
            None
            if _blank(values.get("line_total_vnd"))
            else _amount(values, "line_total_vnd", errors)
        )
        if quantity is not None and unit_price is not None and discount is not None:
            gross = quantity * unit_price
            if discount > gross:
                errors.append(
                    ("discount_exceeds_gross", "discount_vnd", f"{discount} exceeds {gross}")
                )
            elif line_total is None:
                line_total = gross - discount
            elif line_total != gross - discount:
                errors.append(
                    (
                        "line_total_mismatch",
                        "line_total_vnd",
                        f"{line_total} != {quantity} x {unit_price} - {discount}",
                    )
                )

        raw_currency = clean_text(values.get("currency"))
        currency = (
            "VND"
            if raw_currency is None or raw_currency == "₫"
            else CURRENCY_ALIASES.get(ascii_key(raw_currency))
        )
        if currency is None:
            errors.append(("unsupported_currency", "currency", f"{raw_currency!r} is not VND"))
        payment = read_text(values, "payment_method", errors)
        if payment is not None:
            payment = PAYMENT_ALIASES.get(ascii_key(payment), ascii_key(payment) or payment)

        if errors:
            return None, errors
        return (
            order_id,
            line_no,
            order_ts,
            day,
            version,
            channel,
            status,
            store_id,
            customer_id,
            customer_name,
            email,
            phone,
            normalize_email(email),
            normalize_phone(phone),
            province,
            district,
            sku,
            product_name,
            category,
            quantity,
            unit_price,
            discount,
            line_total,
            currency,
            payment,
        ), errors


def reason_of(errors: Sequence[Violation]) -> tuple[str, str]:
    """(first reason code, every violation as 'column: message' joined by '; ')."""
    return errors[0][0], "; ".join(f"{column}: {message}" for _, column, message in errors)


def raw_record_json(values: Mapping[str, object] | str) -> str:
    """The row exactly as read (names as in the file), as JSON text for the quarantine."""
    if isinstance(values, str):
        return json.dumps({"_line": values}, ensure_ascii=False)
    return json.dumps(values, ensure_ascii=False, default=str)
