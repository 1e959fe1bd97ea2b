"""Where a micro-batch of order events lands, named by its place in the Kafka log.

    bronze/stream/order_events/ingest_date=<d>/<topic>-p<partition>-<first>-<last>.parquet
    quarantine/stream/order_events/ingest_date=<d>/<topic>-p<partition>-<first>-<last>.parquet

`first` and `last` are the offsets of the batch's first and last message (zero padded,
so names sort in log order), whether each message went to bronze or to quarantine; `d`
is the UTC date the batch's first message was published. Both come from the log, not
from the clock, so a batch read again after a crash has the same name: writing it again
replaces the object with the same rows instead of adding a second copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sme_pulse.sources.lineage import bronze_prefix

ORDER_EVENTS_PREFIX = bronze_prefix("stream", "order_events")
QUARANTINE_PREFIX = "quarantine/stream/order_events"
PARTITION_KEY = "ingest_date"
OFFSET_WIDTH = 19
"""Digits of a Kafka offset (a signed 64-bit number)."""

_PART = re.compile(r"^(?P<topic>.+)-p(?P<partition>\d+)-(?P<first>\d+)-(?P<last>\d+)\.parquet$")


@dataclass(frozen=True)
class PartName:
    """One batch of one topic partition: the offsets it covers and its publish date."""

    topic: str
    partition: int
    first: int
    last: int
    ingest_date: str

    @classmethod
    def of(cls, topic: str, partition: int, first: int, last: int, published: datetime) -> PartName:
        return cls(topic, partition, first, last, published.date().isoformat())

    @property
    def file_name(self) -> str:
        return (
            f"{self.topic}-p{self.partition}-"
            f"{self.first:0{OFFSET_WIDTH}d}-{self.last:0{OFFSET_WIDTH}d}.parquet"
        )

    def key(self, prefix: str) -> str:
        return f"{date_folder(prefix, self.ingest_date)}/{self.file_name}"


def date_folder(prefix: str, ingest_date: str) -> str:
    return f"{prefix}/{PARTITION_KEY}={ingest_date}"


def parse_part(key: str) -> PartName | None:
    """The batch a bronze or quarantine key names; None for any other object."""
    folder, _, name = key.rpartition("/")
    match = _PART.match(name)
    date = folder.rpartition("/")[2].removeprefix(f"{PARTITION_KEY}=")
    if not match:
        return None
    return PartName(
        match["topic"], int(match["partition"]), int(match["first"]), int(match["last"]), date
    )
