"""Part names come from the log: the same batch always has the same name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sme_pulse.stream.layout import ORDER_EVENTS_PREFIX, PartName, parse_part

pytestmark = pytest.mark.unit


def test_a_part_is_named_by_topic_partition_offsets_and_publish_date() -> None:
    part = PartName.of("sme_pulse.order_events", 2, 0, 4999, datetime(2025, 11, 1, 23, tzinfo=UTC))
    key = part.key(ORDER_EVENTS_PREFIX)
    assert key == (
        "bronze/stream/order_events/ingest_date=2025-11-01/"
        "sme_pulse.order_events-p2-0000000000000000000-0000000000000004999.parquet"
    )
    assert parse_part(key) == part


def test_names_sort_in_log_order() -> None:
    published = datetime(2025, 11, 1, tzinfo=UTC)
    names = [PartName.of("t", 0, first, first + 9, published).file_name for first in (0, 10, 100)]
    assert sorted(names) == names


def test_other_objects_are_not_parts() -> None:
    assert parse_part("bronze/stream/order_events/ingest_date=2025-11-01/part-0.parquet") is None
