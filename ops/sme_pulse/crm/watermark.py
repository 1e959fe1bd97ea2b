"""The customer feed's high-water mark, kept in the lake next to the data it describes.

`_state/crm/customers_watermark.json` holds the newest `updated_at` already landed. The
next extraction asks for `updated_since` that value (inclusive: records updated in the
same instant are fetched again rather than missed). `landed_at_mark` lists the ids landed
at exactly that instant, so the next extraction skips those again-fetched records and a
re-run with nothing new in the CRM writes nothing.
It is written only after the bronze parts and the manifest are, so a failed write
leaves it where it was and the next run extracts the same window again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sme_pulse.ingestion.report import CustomerIngestError
from sme_pulse.storage import Lake

WATERMARK_KEY = "_state/crm/customers_watermark.json"


@dataclass(frozen=True)
class Watermark:
    updated_since: datetime
    run_id: str
    written_at: datetime
    landed_at_mark: tuple[str, ...] = ()


def read_watermark(lake: Lake) -> Watermark | None:
    """The stored watermark, or None before the first successful extraction."""
    if not lake.exists(WATERMARK_KEY):
        return None
    try:
        document = json.loads(lake.get_bytes(WATERMARK_KEY))
        return Watermark(
            updated_since=datetime.fromisoformat(document["updated_since"]),
            run_id=str(document["run_id"]),
            written_at=datetime.fromisoformat(document["written_at"]),
            landed_at_mark=tuple(str(i) for i in document.get("landed_at_mark", [])),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CustomerIngestError(
            f"watermark {lake.location(WATERMARK_KEY)} is unreadable ({exc}); "
            "delete it to extract every customer again"
        ) from exc


def write_watermark(lake: Lake, watermark: Watermark) -> None:
    document = {
        "updated_since": watermark.updated_since.isoformat(),
        "run_id": watermark.run_id,
        "written_at": watermark.written_at.isoformat(),
        "landed_at_mark": sorted(watermark.landed_at_mark),
    }
    lake.put_bytes(WATERMARK_KEY, (json.dumps(document, indent=2) + "\n").encode("utf-8"))
