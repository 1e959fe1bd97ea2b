"""The order-event contract: what one Kafka message about an order carries, and how it
lands in bronze.

A message is one JSON object, keyed by `order_id` (so every event of an order lands in
one partition, in the order the producer sent them):

    {"schema_version": 1, "event_id": "...", "event_type": "created|paid|cancelled|refunded",
     "event_ts": "2026-12-02T03:00:00Z", "order_id": "...",
     "order": {"order_ts", "channel", "store_id", "customer_id", "customer_name",
               "customer_email", "customer_phone", "province_code", "district_code",
               "currency", "payment_method",
               "lines": [{"line_no", "sku", "product_name", "category", "quantity",
                          "unit_price_vnd", "discount_vnd"}, ...]}}

Every event carries the whole order as it stands after the event (event-carried state):
the latest event of an order is its state, so a lost or late `created` never leaves a
paid order without its lines. The event type gives the order's status the way the file
exports spell it (`STATUS_OF`), and each line is then checked by the sales export's own
row rules (`sales.contract.Validator`): a streamed line is valid exactly when the same
line in a file export would be, and bronze reuses the export's line columns.

Bronze is line grain (one row per event and line, the event's columns repeated), plus
where the message sat in Kafka. Every value is derived from the message and its place in
the log, never from the clock, so replaying a batch writes the same rows again.

A message that breaks the contract is quarantined with the first reason (`REASON_CODES`
plus the sales line reasons) and every violation in `reason_detail`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from sme_pulse.ingestion.admin_units import AdminUnits, load_admin_units
from sme_pulse.ingestion.rules import Violation, reason_of
from sme_pulse.ingestion.values import parse_timestamp
from sme_pulse.sales import contract as sales

SCHEMA_VERSION = 1
SOURCE = "order_stream"

EVENT_TYPES = ("created", "paid", "cancelled", "refunded")
STATUS_OF = {
    "created": "pending",
    "paid": "completed",
    "cancelled": "cancelled",
    "refunded": "refunded",
}
"""The status an order has after each event, in the sales exports' vocabulary."""

ORDER_FIELDS = (
    "order_ts",
    "channel",
    "store_id",
    "customer_id",
    "customer_name",
    "customer_email",
    "customer_phone",
    "province_code",
    "district_code",
    "currency",
    "payment_method",
)
LINE_FIELDS = (
    "line_no",
    "sku",
    "product_name",
    "category",
    "quantity",
    "unit_price_vnd",
    "discount_vnd",
)
MAX_LINES = 1_000
LATEST_AFTER_PUBLISH = timedelta(days=1)
"""An event or order time may lie this far after the message was published (clock skew)."""

EVENT_FIELDS = [
    pa.field("event_id", pa.string(), nullable=False),
    pa.field("event_type", pa.string(), nullable=False),
    pa.field("event_ts_utc", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("schema_version", pa.int32(), nullable=False),
]
KAFKA_FIELDS = [
    pa.field("kafka_topic", pa.string(), nullable=False),
    pa.field("kafka_partition", pa.int32(), nullable=False),
    pa.field("kafka_offset", pa.int64(), nullable=False),
    pa.field("kafka_ts_utc", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("loaded_at", pa.timestamp("us", tz="UTC"), nullable=False),
]
"""Where the message sat in the log. `loaded_at` is the time the broker logged it: the
moment the event reached the platform, fixed for every replay."""

ORDER_EVENTS_SCHEMA = pa.schema([*EVENT_FIELDS, *sales.LINE_FIELDS, *KAFKA_FIELDS])
"""One row per event and order line: the bronze table `stream_order_events`."""

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("reason", pa.string(), nullable=False),
        pa.field("reason_detail", pa.string(), nullable=False),
        pa.field("event_id", pa.string()),
        pa.field("order_id", pa.string()),
        pa.field("message_key", pa.string()),
        pa.field("raw_record", pa.string(), nullable=False),
        *KAFKA_FIELDS,
    ]
)

REASON_CODES: dict[str, str] = {
    "invalid_json": "the message is not UTF-8 JSON",
    "not_an_object": "the message is JSON but not an object",
    "unsupported_schema_version": f"schema_version is not {SCHEMA_VERSION}",
    "required_value_missing": "a required value is empty",
    "invalid_event_type": f"event_type is not one of {', '.join(EVENT_TYPES)}",
    "invalid_event_ts": "event_ts is not a date and time, or lies after the publish time",
    "key_mismatch": "the message key is not the event's order_id",
    "invalid_order": "order is not an object, or its lines are not a list of objects",
    "no_lines": f"the order has no lines, or more than {MAX_LINES}",
    "duplicate_line_no": "two lines of the order have the same line_no",
    **{code: text for code, text in sales.REASON_CODES.items() if code != "field_count_mismatch"},
}
"""Every `reason` a quarantined message can carry: the envelope's, then the line rules'."""


@dataclass(frozen=True)
class Message:
    """One Kafka record, as the consumer read it."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None

    @property
    def published_at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC)

    def kafka_columns(self) -> dict[str, Any]:
        return {
            "kafka_topic": self.topic,
            "kafka_partition": self.partition,
            "kafka_offset": self.offset,
            "kafka_ts_utc": self.published_at,
            "loaded_at": self.published_at,
        }


@dataclass(frozen=True)
class Parsed:
    """A message's bronze rows, or its quarantine row; exactly one is set."""

    rows: list[dict[str, Any]]
    rejected: dict[str, Any] | None


def _text(data: Mapping[str, Any], name: str, errors: list[Violation]) -> str | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.append(Violation("required_value_missing", name, "is empty"))
        return None
    if not isinstance(value, str):
        errors.append(Violation("required_value_missing", name, f"{value!r} is not text"))
        return None
    return value.strip()


def _lines(order: Any, errors: list[Violation]) -> list[Mapping[str, Any]]:
    if not isinstance(order, Mapping):
        errors.append(Violation("invalid_order", "order", "is not an object"))
        return []
    lines = order.get("lines")
    if not isinstance(lines, list) or not all(isinstance(line, Mapping) for line in lines):
        errors.append(Violation("invalid_order", "order.lines", "is not a list of objects"))
        return []
    if not 1 <= len(lines) <= MAX_LINES:
        errors.append(Violation("no_lines", "order.lines", f"has {len(lines)} lines"))
        return []
    numbers = [str(line.get("line_no")) for line in lines]
    if len(set(numbers)) != len(numbers):
        errors.append(Violation("duplicate_line_no", "order.lines", "a line_no repeats"))
        return []
    return lines


class Parser:
    """Turns messages into bronze rows or quarantine rows (no I/O, no clock)."""

    def __init__(self, units: AdminUnits | None = None) -> None:
        self.units = units or load_admin_units()

    def _envelope(
        self, message: Message, data: Mapping[str, Any], errors: list[Violation]
    ) -> dict[str, Any]:
        version = data.get("schema_version")
        if version != SCHEMA_VERSION or isinstance(version, bool):
            errors.append(
                Violation(
                    "unsupported_schema_version",
                    "schema_version",
                    f"{version!r} is not {SCHEMA_VERSION}",
                )
            )
        event_id = _text(data, "event_id", errors)
        order_id = _text(data, "order_id", errors)
        event_type = _text(data, "event_type", errors)
        if event_type is not None and event_type not in EVENT_TYPES:
            errors.append(
                Violation("invalid_event_type", "event_type", f"{event_type!r} is not known")
            )
        event_ts = None
        raw_ts = _text(data, "event_ts", errors)
        if raw_ts is not None:
            latest = message.published_at + LATEST_AFTER_PUBLISH
            try:
                event_ts = parse_timestamp(raw_ts)
            except ValueError as exc:
                errors.append(Violation("invalid_event_ts", "event_ts", str(exc)))
            else:
                if event_ts > latest:
                    errors.append(
                        Violation("invalid_event_ts", "event_ts", f"{raw_ts} is after {latest}")
                    )
        key = message.key.decode("utf-8", "replace") if message.key is not None else None
        if order_id is not None and key != order_id:
            errors.append(Violation("key_mismatch", "key", f"{key!r} is not {order_id!r}"))
        return {
            "event_id": event_id,
            "event_type": event_type,
            "event_ts_utc": event_ts,
            "schema_version": SCHEMA_VERSION,
            "order_id": order_id,
        }

    def parse(self, message: Message) -> Parsed:
        """The message's bronze rows (one per line) or the reason it is quarantined."""
        errors: list[Violation] = []
        raw = message.value or b""
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return self._reject(message, None, [Violation("invalid_json", "value", str(exc))])
        if not isinstance(data, dict):
            kind = type(data).__name__
            return self._reject(message, None, [Violation("not_an_object", "value", kind)])
        event = self._envelope(message, data, errors)
        order = data.get("order")
        lines = _lines(order, errors)
        if errors:
            return self._reject(message, data, errors)
        validator = sales.Validator(self.units, message.published_at + LATEST_AFTER_PUBLISH)
        header = {name: order.get(name) for name in ORDER_FIELDS}
        header["order_id"] = event["order_id"]
        header["status"] = STATUS_OF[event["event_type"]]
        rows = []
        for line in lines:
            values = {**header, **{name: line.get(name) for name in LINE_FIELDS}}
            check = validator.validate(values)
            if check.values is None:
                return self._reject(message, data, check.violations)
            rows.append(
                {
                    **{k: v for k, v in event.items() if k != "order_id"},
                    **check.values,
                    **message.kafka_columns(),
                }
            )
        return Parsed(rows, None)

    def _reject(
        self, message: Message, data: Mapping[str, Any] | None, errors: list[Violation]
    ) -> Parsed:
        reason, detail = reason_of(errors)
        raw = (message.value or b"").decode("utf-8", "replace")
        ids = data if data is not None else {}
        return Parsed(
            [],
            {
                "reason": reason,
                "reason_detail": detail,
                "event_id": _id(ids.get("event_id")),
                "order_id": _id(ids.get("order_id")),
                "message_key": message.key.decode("utf-8", "replace") if message.key else None,
                "raw_record": raw,
                **message.kafka_columns(),
            },
        )


def _id(value: object) -> str | None:
    return value if isinstance(value, str) else None
