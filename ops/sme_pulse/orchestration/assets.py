"""Assets the DAGs publish and wait for, named in one place."""

from __future__ import annotations

from airflow.sdk import Asset

EXTERNAL_GOLD = Asset(
    "sme_pulse://gold/external",
    extra={"tables": ["gold.dim_macro_indicators", "gold.dim_location"]},
)
