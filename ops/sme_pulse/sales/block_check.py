"""The sales contract's row rules as column expressions over a whole block.

`check_block` returns, for every row of a block, the bronze values and whether the row is
certainly valid with them. The expressions cover the shapes exports really use (see
`ingestion.columns`); a row outside them, or breaking any rule, is not `sure` and goes to
`Validator.validate`, which loads it after all or words its reason. So the rules are
written twice only in the sense of a fast path and its reference: the test suite checks
that both give the same rows on every fixture.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from sme_pulse.ingestion import columns as col
from sme_pulse.ingestion.admin_units import REFORM_DATE, AdminUnits
from sme_pulse.ingestion.blocks import Block
from sme_pulse.ingestion.rules import MAX_TEXT, read_code
from sme_pulse.ingestion.values import ascii_key, clean_text
from sme_pulse.sales.contract import (
    CHANNEL_ALIASES,
    EARLIEST_ORDER,
    MAX_AMOUNT_VND,
    MAX_LINE_NO,
    MAX_QUANTITY,
    STATUS_ALIASES,
    currency_of,
    payment_of,
)

OPTIONAL_TEXT = (
    "store_id",
    "customer_id",
    "customer_name",
    "customer_email",
    "customer_phone",
    "product_name",
    "category",
    "payment_method",
)


@dataclass
class BlockCheck:
    """Bronze values per `LINE_FIELDS` name for every row, and which rows are sure."""

    values: dict[str, pa.Array]
    sure: pa.Array


class _Rules:
    """Accumulates the conditions a row must meet to be certainly valid."""

    def __init__(self, length: int) -> None:
        self.sure = col.const(True, length)

    def need(self, condition: pa.Array) -> None:
        self.sure = pc.and_(self.sure, col.fill(condition))


def _alias(aliases: dict[str, str]) -> object:
    def lookup(raw: str | None) -> tuple[str | None, bool]:
        text = clean_text(raw)
        value = aliases.get(ascii_key(text)) if text is not None else None
        return value, value is not None

    return lookup


def _in_range(values: pa.Array, low: int, high: int) -> pa.Array:
    return pc.and_(pc.greater_equal(values, low), pc.less_equal(values, high))


def check_block(block: Block, units: AdminUnits, latest: datetime) -> BlockCheck:
    rules = _Rules(len(block))
    text = {
        name: col.clean_text(block.column(name)) for name in (*OPTIONAL_TEXT, "order_id", "sku")
    }
    for values in text.values():
        rules.need(pc.invert(col.too_long(values, MAX_TEXT)))
    rules.need(pc.is_valid(text["order_id"]))
    rules.need(pc.is_valid(text["sku"]))

    line_no, sure = col.parse_int(col.empty_to_null(block.column("line_no")))
    rules.need(pc.and_(sure, _in_range(line_no, 1, MAX_LINE_NO)))

    order_ts, sure = col.parse_timestamp(col.empty_to_null(block.column("order_ts")))
    earliest, last = col.instant(EARLIEST_ORDER), col.instant(latest)
    rules.need(
        pc.and_(sure, pc.and_(pc.greater_equal(order_ts, earliest), pc.less_equal(order_ts, last)))
    )
    day = col.local_date(order_ts)
    reformed = col.fill(pc.greater_equal(day, pa.scalar(REFORM_DATE, pa.date32())))
    version = pc.if_else(reformed, "v2", "v1")

    channel, sure = col.map_unique(block.column("channel"), _alias(CHANNEL_ALIASES), pa.string())
    rules.need(sure)
    status, sure = col.map_unique(block.column("status"), _alias(STATUS_ALIASES), pa.string())
    rules.need(sure)

    province, _ = col.map_unique(
        block.column("province_code"),
        lambda v: (read_code(v, 2), True),
        pa.string(),
    )
    old = pc.is_in(province, pa.array(list(units.old_provinces), pa.string()))
    new = pc.is_in(province, pa.array(list(units.new_provinces), pa.string()))
    rules.need(pc.or_(pc.is_null(province), pc.if_else(reformed, new, old)))
    district, _ = col.map_unique(
        block.column("district_code"),
        lambda v: (read_code(v, 3), True),
        pa.string(),
    )
    owner, _ = col.map_unique(
        district, lambda d: (units.old_districts.get(d or ""), True), pa.string()
    )
    district_ok = pc.and_(pc.invert(reformed), col.fill(pc.equal(owner, province)))
    rules.need(pc.or_(pc.is_null(district), district_ok))

    quantity, sure = col.parse_int(col.empty_to_null(block.column("quantity")))
    rules.need(pc.and_(sure, _in_range(quantity, 1, MAX_QUANTITY)))
    amounts = {}
    for name in ("unit_price_vnd", "discount_vnd", "line_total_vnd"):
        raw = col.empty_to_null(block.column(name))
        amounts[name], sure = col.parse_int(raw, grouped=True)
        sure = pc.and_(sure, pc.less_equal(amounts[name], MAX_AMOUNT_VND))
        rules.need(sure if name == "unit_price_vnd" else pc.or_(pc.is_null(raw), sure))
    discount = pc.fill_null(amounts["discount_vnd"], 0)
    gross = pc.multiply(quantity, amounts["unit_price_vnd"])
    rules.need(pc.less_equal(discount, gross))
    net = pc.subtract(gross, discount)
    given = amounts["line_total_vnd"]
    rules.need(pc.or_(pc.is_null(given), pc.equal(given, net)))

    currency, sure = col.map_unique(
        block.column("currency"),
        lambda v: (currency_of(clean_text(v)), currency_of(clean_text(v)) is not None),
        pa.string(),
    )
    rules.need(sure)
    payment, _ = col.map_unique(
        text["payment_method"], lambda v: (payment_of(v) if v else None, True), pa.string()
    )
    email, sure = col.normalize_email(text["customer_email"])
    rules.need(sure)
    phone, sure = col.normalize_phone(text["customer_phone"])
    rules.need(sure)

    values = {
        "order_id": text["order_id"],
        "line_no": line_no,
        "order_ts_utc": order_ts,
        "order_date_local": day,
        "admin_version": version,
        "channel": channel,
        "status": status,
        **{name: text[name] for name in OPTIONAL_TEXT[:5]},
        "email_normalized": email,
        "phone_normalized": phone,
        "province_code": province,
        "district_code": district,
        "sku": text["sku"],
        "product_name": text["product_name"],
        "category": text["category"],
        "quantity": quantity,
        "unit_price_vnd": amounts["unit_price_vnd"],
        "discount_vnd": discount,
        "line_total_vnd": pc.coalesce(given, net),
        "currency": currency,
        "payment_method": payment,
    }
    return BlockCheck(values, rules.sure)
