"""Where customer extractions live in the lake, and which of their parts count.

    bronze/crm/customers/ingest_date=<d>/part-<window>-00000.parquet
    quarantine/crm/customers/ingest_date=<d>/part-<window>-00000.parquet
    bronze/crm/load_manifest/ingest_date=<d>/<window>.parquet

A window's parts count only once its manifest is written (the commit), and only on the
ingest date of its newest commit. A load killed between its parts and its manifest
leaves parts no manifest names; the watermark did not move, so the next run (maybe on
another date) extracts the same window again. Those orphans, and the parts and manifest
of a window committed again on another date, are deleted here, so bronze (and dbt, which
reads every part) holds each extracted record once.
"""

from __future__ import annotations

import re
from datetime import datetime

from sme_pulse.storage import Lake

CUSTOMERS_PREFIX = "bronze/crm/customers"
QUARANTINE_PREFIX = "quarantine/crm/customers"
MANIFEST_PREFIX = "bronze/crm/load_manifest"

_PART = re.compile(r"/ingest_date=(?P<date>[^/]+)/part-(?P<window>.+)-\d{5}\.parquet$")
_MANIFEST = re.compile(r"/ingest_date=(?P<date>[^/]+)/(?P<window>[^/]+)\.parquet$")


def partition(ingest_date: str) -> str:
    return f"ingest_date={ingest_date}"


def manifest_key(ingest_date: str, window: str) -> str:
    return f"{MANIFEST_PREFIX}/{partition(ingest_date)}/{window}.parquet"


def _commits(lake: Lake, winner: tuple[str, str] | None) -> tuple[dict[str, str], list[str]]:
    """The counting ingest date per window, and the manifests of superseded commits.

    `winner` is the (date, window) just committed; otherwise the newest manifest object
    of a window wins (dates alone would not do: a backfill commits an older date later).
    """
    newest: dict[str, tuple[tuple[bool, datetime, str], str, str]] = {}
    superseded: list[str] = []
    for info in lake.list(MANIFEST_PREFIX):
        match = _MANIFEST.search(info.key)
        if not match:
            continue
        window, date = match["window"], match["date"]
        rank = (winner == (date, window), info.modified, date)
        best = newest.get(window)
        if best is None or rank > best[0]:
            if best is not None:
                superseded.append(best[2])
            newest[window] = (rank, date, info.key)
        else:
            superseded.append(info.key)
    return {window: date for window, (_, date, _) in newest.items()}, superseded


def drop_uncounted(lake: Lake, winner: tuple[str, str] | None = None) -> list[str]:
    """Delete parts no counting manifest commits and superseded manifests; return keys."""
    counting, stale = _commits(lake, winner)
    for prefix in (CUSTOMERS_PREFIX, QUARANTINE_PREFIX):
        for info in lake.list(prefix):
            match = _PART.search(info.key)
            if match is not None and counting.get(match["window"]) != match["date"]:
                stale.append(info.key)
    for key in stale:
        lake.delete(key)
    return stale
