"""Lineage columns every bronze table carries, so any row can be traced to its request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

LINEAGE_FIELDS = [
    pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("request_url", pa.string(), nullable=False),
    pa.field("run_id", pa.string(), nullable=False),
]


@dataclass(frozen=True)
class RunContext:
    """Who is ingesting: the run id and the date that names the bronze partition.

    Airflow passes its run id and logical date, so re-running a task rewrites the same
    partition instead of adding a second copy.
    """

    run_id: str
    ingest_date: str
    ingested_at: datetime

    def lineage(self, source: str, request_url: str) -> dict[str, object]:
        return {
            "ingested_at": self.ingested_at,
            "source": source,
            "request_url": request_url,
            "run_id": self.run_id,
        }


def bronze_prefix(source: str, dataset: str) -> str:
    """A dataset's folder under the lake root: what the warehouse's bronze table reads."""
    return f"bronze/{source}/{dataset}"


def bronze_key(source: str, dataset: str, ingest_date: str) -> str:
    """The one key layout of bronze, identical on a folder and on S3."""
    return f"{bronze_prefix(source, dataset)}/ingest_date={ingest_date}/part-0.parquet"
