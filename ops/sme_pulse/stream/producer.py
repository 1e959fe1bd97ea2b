"""The feed simulator's order-event producer: the generated shop's orders as Kafka events.

The orders are the feed generator's (`feeds.generator`, one canonical CSV, no dirty
rows), so a streamed shop looks like an exported one. Each order becomes its events
(`events_of`): `created` at the order time, then `paid` (completed and refunded
orders), `cancelled` or `refunded`. Event ids are derived from the order id and the event
type, so publishing the same shop twice repeats ids rather than inventing new events.

Faults real producers have, each optional and seeded:

* **duplicates** - an event published twice (a retry after a lost acknowledgement);
* **out of order** - an order's events published newest first;
* **late** - an event held back and published after every other event, still carrying
  its own event time;
* **poison** - messages that break the contract (not JSON, an unknown schema version,
  no order id, a quantity that is not a number).
"""

from __future__ import annotations

import csv
import json
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException, Producer

from sme_pulse.errors import SmePulseError
from sme_pulse.feeds.exports import SINGLE_CSV
from sme_pulse.feeds.generator import GeneratorConfig, generate
from sme_pulse.ingestion.values import VN_TZ, parse_vnd
from sme_pulse.stream.contract import LINE_FIELDS, ORDER_FIELDS, SCHEMA_VERSION

EVENT_NAMESPACE = uuid.UUID("6f0e5f1c-3d1a-4f5e-9a57-0b4c2d7e8a11")
AFTER_ORDER = {"paid": timedelta(minutes=5), "cancelled": timedelta(minutes=30)}
REFUND_AFTER = timedelta(days=3)
EVENTS_OF_STATUS = {
    "pending": ("created",),
    "completed": ("created", "paid"),
    "cancelled": ("created", "cancelled"),
    "refunded": ("created", "paid", "refunded"),
}
POISON_KINDS = ("not_json", "schema_version", "missing_order_id", "bad_quantity")


class ProducerError(SmePulseError, RuntimeError):
    """Events could not be published; the message says which broker and why."""


@dataclass(frozen=True)
class Faults:
    duplicate_share: float = 0.0
    out_of_order_share: float = 0.0
    late_share: float = 0.0
    poison: int = 0

    def check(self) -> None:
        for name in ("duplicate_share", "out_of_order_share", "late_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ProducerError(f"{name} must be between 0 and 1")
        if self.poison < 0:
            raise ProducerError("poison must not be negative")


@dataclass
class PublishReport:
    """What was published: the distinct valid events and every fault."""

    event_ids: set[str] = field(default_factory=set)
    order_ids: set[str] = field(default_factory=set)
    messages: int = 0
    duplicates: int = 0
    out_of_order_orders: int = 0
    late: int = 0
    poison: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"published {self.messages} messages: {len(self.event_ids)} events of "
            f"{len(self.order_ids)} orders, {self.duplicates} duplicates, "
            f"{self.out_of_order_orders} orders out of order, {self.late} late, "
            f"{self.poison} poison, in {self.seconds:.1f} s"
        )


def shop_orders(config: GeneratorConfig) -> Iterator[dict[str, Any]]:
    """The generator's orders, one dict per order with its `lines`, in order time.

    Generated clean: a stream's poison is the producer's fault option, not the exports'
    dirty rows."""
    with tempfile.TemporaryDirectory(prefix="sme-pulse-stream-") as tmp:
        clean = {**vars(config), "single_csv": True, "dirty_share": 0.0}
        generate(Path(tmp), GeneratorConfig(**clean))
        order: dict[str, Any] | None = None
        for path in sorted((Path(tmp) / "landing").glob(f"{SINGLE_CSV.key}*.csv")):
            with path.open(encoding=SINGLE_CSV.encoding, newline="") as handle:
                for row in csv.DictReader(handle):
                    if order is None or order["order_id"] != row["order_id"]:
                        if order is not None:
                            yield order
                        order = {
                            "order_id": row["order_id"],
                            "status": row["status"],
                            **{name: row.get(name) or None for name in ORDER_FIELDS},
                            "lines": [],
                        }
                    line = {name: row.get(name) or None for name in LINE_FIELDS}
                    for name in ("line_no", "quantity"):
                        line[name] = int(row[name])
                    for name in ("unit_price_vnd", "discount_vnd"):
                        line[name] = parse_vnd(row[name]) if row.get(name) else 0
                    order["lines"].append(line)
        if order is not None:
            yield order


def event_id(order_id: str, event_type: str) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{order_id}/{event_type}"))


def events_of(order: dict[str, Any]) -> list[dict[str, Any]]:
    """An order's events in the order they happened, each carrying the whole order."""
    placed = datetime.fromisoformat(order["order_ts"])
    if placed.tzinfo is None:
        placed = placed.replace(tzinfo=VN_TZ)
    body = {name: order[name] for name in ORDER_FIELDS} | {"lines": order["lines"]}
    events = []
    for kind in EVENTS_OF_STATUS[order["status"]]:
        at = placed + AFTER_ORDER.get(kind, timedelta(0))
        if kind == "refunded":
            at = placed + REFUND_AFTER
        events.append(
            {
                "schema_version": SCHEMA_VERSION,
                "event_id": event_id(order["order_id"], kind),
                "event_type": kind,
                "event_ts": at.isoformat(),
                "order_id": order["order_id"],
                "order": body,
            }
        )
    return events


def poison_message(kind: str, n: int) -> tuple[str, bytes]:
    """(key, value) of a message that breaks the contract in one way."""
    key = f"POISON-{n}"
    base = {
        "schema_version": SCHEMA_VERSION,
        "event_id": f"poison-{n}",
        "event_type": "created",
        "event_ts": "2026-01-01T00:00:00Z",
        "order_id": key,
        "order": {"order_ts": "2026-01-01T07:00:00", "channel": "pos", "lines": []},
    }
    if kind == "not_json":
        return key, b"{not json"
    if kind == "schema_version":
        base["schema_version"] = 99
    elif kind == "missing_order_id":
        del base["order_id"]
    else:
        base["order"]["lines"] = [
            {"line_no": 1, "sku": "X", "quantity": "abc", "unit_price_vnd": 1000}
        ]
    return key, json.dumps(base).encode()


@dataclass(frozen=True)
class Planned:
    """One message to publish; `kind` is `event` or the fault that produced it."""

    key: str
    value: bytes
    kind: str
    event_id: str | None


@dataclass
class Plan:
    messages: list[Planned]
    out_of_order_orders: int


def plan(orders: list[dict[str, Any]], faults: Faults, seed: int) -> Plan:
    """Every message in publishing order, faults applied (seeded: the same plan each time)."""
    faults.check()
    rng = random.Random(seed)
    out: list[Planned] = []
    held: list[Planned] = []
    reordered_orders = 0
    poison_every = max(1, len(orders) // (faults.poison + 1)) if faults.poison else 0
    poisoned = 0

    def add_poison() -> None:
        nonlocal poisoned
        key, value = poison_message(POISON_KINDS[poisoned % len(POISON_KINDS)], poisoned)
        out.append(Planned(key, value, "poison", None))
        poisoned += 1

    for n, order in enumerate(orders, start=1):
        events = events_of(order)
        if len(events) > 1 and rng.random() < faults.out_of_order_share:
            events.reverse()
            reordered_orders += 1
        for event in events:
            value = json.dumps(event, ensure_ascii=False).encode()
            message = Planned(order["order_id"], value, "event", event["event_id"])
            if rng.random() < faults.late_share:
                held.append(Planned(message.key, value, "late", message.event_id))
                continue
            out.append(message)
            if rng.random() < faults.duplicate_share:
                out.append(Planned(message.key, value, "duplicate", message.event_id))
        if poison_every and n % poison_every == 0 and poisoned < faults.poison:
            add_poison()
    while poisoned < faults.poison:
        add_poison()
    return Plan(out + held, reordered_orders)


def publish(
    bootstrap_servers: str,
    topic: str,
    orders: list[dict[str, Any]],
    *,
    faults: Faults = Faults(),
    rate: float = 0.0,
    seed: int = 42,
) -> PublishReport:
    """Publish the orders' events keyed by order id, `rate` messages/s at most (0: no limit)."""
    producer = Producer(
        {"bootstrap.servers": bootstrap_servers, "enable.idempotence": True, "linger.ms": 5}
    )
    failures: list[str] = []

    def delivered(error: Any, _message: Any) -> None:
        if error is not None:
            failures.append(str(error))

    planned = plan(orders, faults, seed)
    report = PublishReport(out_of_order_orders=planned.out_of_order_orders)
    started = time.monotonic()
    try:
        for message in planned.messages:
            if rate > 0:
                due = started + report.messages / rate
                if (wait := due - time.monotonic()) > 0:
                    time.sleep(wait)
            producer.produce(
                topic, key=message.key.encode(), value=message.value, on_delivery=delivered
            )
            producer.poll(0)
            report.messages += 1
            if message.event_id is None:
                report.poison += 1
                continue
            report.event_ids.add(message.event_id)
            report.order_ids.add(message.key)
            report.duplicates += message.kind == "duplicate"
            report.late += message.kind == "late"
        if producer.flush(60) or failures:
            raise ProducerError(
                f"{bootstrap_servers}: not every message was delivered ({failures[:1]})"
            )
    except (KafkaException, BufferError) as exc:
        raise ProducerError(f"cannot publish to {topic} on {bootstrap_servers}: {exc}") from exc
    report.seconds = time.monotonic() - started
    return report
