"""The order-event contract: good events become line rows, every poison a reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest
from sme_pulse.ingestion.admin_units import load_admin_units
from sme_pulse.stream.contract import (
    ORDER_EVENTS_SCHEMA,
    QUARANTINE_SCHEMA,
    REASON_CODES,
    Message,
    Parser,
)

pytestmark = pytest.mark.unit

PUBLISHED = datetime(2025, 11, 2, 3, 0, tzinfo=UTC)
NOT_A_NUMBER = {"line_no": 1, "sku": "X", "quantity": "a", "unit_price_vnd": 1000}
TWICE = [{"line_no": 1, "sku": "X", "quantity": 1, "unit_price_vnd": 1000}] * 2


@pytest.fixture(scope="module")
def parser() -> Parser:
    return Parser(load_admin_units())


def event(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema_version": 1,
        "event_id": "e-1",
        "event_type": "paid",
        "event_ts": "2025-11-01T10:05:00+07:00",
        "order_id": "HD1",
        "order": {
            "order_ts": "2025-11-01 10:00:00",
            "channel": "pos",
            "store_id": "CH01",
            "customer_id": "KH000001",
            "customer_email": " Lan@Gmail.com ",
            "province_code": "79",
            "currency": "VND",
            "payment_method": "cash",
            "lines": [
                {"line_no": 1, "sku": "CF-001", "quantity": 2, "unit_price_vnd": 145000},
                {
                    "line_no": 2,
                    "sku": "BK-001",
                    "quantity": 1,
                    "unit_price_vnd": 120000,
                    "discount_vnd": 20000,
                },
            ],
        },
    }
    return {**base, **changes}


def message(value: bytes | dict[str, Any], key: str | None = "HD1", offset: int = 7) -> Message:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return Message(
        "orders",
        2,
        offset,
        int(PUBLISHED.timestamp() * 1000),
        key.encode() if key is not None else None,
        raw,
    )


def test_an_event_becomes_one_row_per_line_with_its_place_in_the_log(parser: Parser) -> None:
    parsed = parser.parse(message(event()))
    assert parsed.rejected is None
    table = pa.Table.from_pylist(parsed.rows, ORDER_EVENTS_SCHEMA)
    rows = table.to_pylist()
    assert [(r["line_no"], r["line_total_vnd"]) for r in rows] == [(1, 290_000), (2, 100_000)]
    first = rows[0]
    assert first["status"] == "completed"  # paid
    assert first["order_ts_utc"] == datetime(2025, 11, 1, 3, 0, tzinfo=UTC)  # naive = Vietnam
    assert first["event_ts_utc"] == datetime(2025, 11, 1, 3, 5, tzinfo=UTC)
    assert first["admin_version"] == "v2"
    assert first["email_normalized"] == "lan@gmail.com"
    assert (first["kafka_topic"], first["kafka_partition"], first["kafka_offset"]) == (
        "orders",
        2,
        7,
    )
    assert first["loaded_at"] == PUBLISHED


def test_parsing_uses_no_clock(parser: Parser) -> None:
    assert parser.parse(message(event())) == parser.parse(message(event()))


@pytest.mark.parametrize(
    ("value", "key", "reason"),
    [
        (b"{not json", "HD1", "invalid_json"),
        (b"\xff\xfe", "HD1", "invalid_json"),
        (b"[1, 2]", "HD1", "not_an_object"),
        (event(schema_version=2), "HD1", "unsupported_schema_version"),
        (event(schema_version=True), "HD1", "unsupported_schema_version"),
        (event(order_id=None), "HD1", "required_value_missing"),
        (event(event_id=17), "HD1", "required_value_missing"),
        (event(event_type="shipped"), "HD1", "invalid_event_type"),
        (event(event_ts="yesterday"), "HD1", "invalid_event_ts"),
        (event(event_ts="2030-01-01T00:00:00Z"), "HD1", "invalid_event_ts"),
        (event(), "HD2", "key_mismatch"),
        (event(), None, "key_mismatch"),
        (event(order="HD1"), "HD1", "invalid_order"),
        (event(order={**event()["order"], "lines": []}), "HD1", "no_lines"),
        (event(order={**event()["order"], "lines": TWICE}), "HD1", "duplicate_line_no"),
        (event(order={**event()["order"], "lines": [NOT_A_NUMBER]}), "HD1", "invalid_quantity"),
        (event(order={**event()["order"], "province_code": "99"}), "HD1", "unknown_province_code"),
        (event(order={**event()["order"], "channel": "fax"}), "HD1", "unknown_channel"),
    ],
)
def test_every_poison_message_is_quarantined_with_a_reason(
    parser: Parser, value: Any, key: str | None, reason: str
) -> None:
    parsed = parser.parse(message(value, key))
    assert parsed.rows == []
    assert parsed.rejected is not None
    assert parsed.rejected["reason"] == reason, parsed.rejected["reason_detail"]
    assert reason in REASON_CODES
    row = pa.Table.from_pylist([parsed.rejected], QUARANTINE_SCHEMA).to_pylist()[0]
    assert row["kafka_offset"] == 7 and row["reason_detail"]
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    assert row["raw_record"] == raw.decode("utf-8", "replace")


def test_one_bad_line_quarantines_the_whole_event(parser: Parser) -> None:
    order = event()["order"]
    lines = [order["lines"][0], {**order["lines"][1], "quantity": -1}]
    parsed = parser.parse(message(event(order={**order, "lines": lines})))
    assert parsed.rows == []
    assert parsed.rejected is not None
    assert parsed.rejected["reason"] == "quantity_not_positive"
    assert (parsed.rejected["event_id"], parsed.rejected["order_id"]) == ("e-1", "HD1")
