"""Sales exports from the landing area to bronze order lines, with quarantine and manifest."""

from sme_pulse.ingestion.report import (
    CustomerIngestError,
    FileReport,
    IngestError,
    IngestReport,
    SalesIngestError,
)
from sme_pulse.sales.ingest import ingest_sales

__all__ = [
    "CustomerIngestError",
    "FileReport",
    "IngestError",
    "IngestReport",
    "SalesIngestError",
    "ingest_sales",
]
