"""The producer's events and faults, planned without a broker (publishing: test_consumer)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest
from sme_pulse.feeds.generator import GeneratorConfig
from sme_pulse.stream.producer import Faults, ProducerError, events_of, plan, shop_orders

pytestmark = pytest.mark.unit

SHOP = GeneratorConfig(
    customers=30, orders_per_customer=2, start=date(2025, 11, 1), end=date(2025, 11, 30)
)


@pytest.fixture(scope="module")
def orders() -> list[dict]:
    return list(shop_orders(SHOP))


def test_orders_are_the_generators_with_their_lines(orders: list[dict]) -> None:
    assert len({o["order_id"] for o in orders}) == len(orders) > 20
    assert all(o["lines"] and o["status"] for o in orders)
    assert all(isinstance(line["unit_price_vnd"], int) for o in orders for line in o["lines"])


def test_events_follow_the_status_and_carry_the_order(orders: list[dict]) -> None:
    for order in orders:
        events = events_of(order)
        kinds = [e["event_type"] for e in events]
        expected = {
            "pending": ["created"],
            "completed": ["created", "paid"],
            "cancelled": ["created", "cancelled"],
            "refunded": ["created", "paid", "refunded"],
        }[order["status"]]
        assert kinds == expected
        assert [e["event_ts"] for e in events] == sorted(e["event_ts"] for e in events)
        assert all(e["order"]["lines"] == order["lines"] for e in events)
    # Ids are derived, not drawn: publishing the shop again repeats them.
    assert events_of(orders[0]) == events_of(orders[0])


def test_faults_are_applied_and_seeded(orders: list[dict]) -> None:
    faults = Faults(duplicate_share=0.2, out_of_order_share=0.3, late_share=0.1, poison=4)
    planned = plan(orders, faults, seed=7)
    assert planned == plan(orders, faults, seed=7)
    kinds = Counter(m.kind for m in planned.messages)
    assert kinds["poison"] == 4 and kinds["duplicate"] > 0 and kinds["late"] > 0
    assert planned.out_of_order_orders > 0
    events = {e["event_id"] for o in orders for e in events_of(o)}
    published = [m.event_id for m in planned.messages if m.event_id is not None]
    assert set(published) == events
    assert len(published) == len(events) + kinds["duplicate"]
    late = [i for i, m in enumerate(planned.messages) if m.kind == "late"]
    assert late == list(range(len(planned.messages) - len(late), len(planned.messages)))
    assert all(json.loads(m.value)["order_id"] == m.key for m in planned.messages if m.event_id)


def test_impossible_faults_are_refused(orders: list[dict]) -> None:
    with pytest.raises(ProducerError, match="duplicate_share"):
        plan(orders, Faults(duplicate_share=1.5), seed=1)
