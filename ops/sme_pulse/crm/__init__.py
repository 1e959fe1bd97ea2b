"""CRM customers from the customer API to bronze, incrementally by `updated_at`."""

from sme_pulse.crm.ingest import ingest_customers
from sme_pulse.ingestion.report import CustomerIngestError

__all__ = ["CustomerIngestError", "ingest_customers"]
