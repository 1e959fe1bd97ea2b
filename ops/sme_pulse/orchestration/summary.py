"""The closing task of each DAG: rows per layer, written to the task log and to XCom."""

from __future__ import annotations

import logging

from sme_pulse.config import Settings
from sme_pulse.storage import Lake
from sme_pulse.warehouse import bronze_row_counts, model_row_counts

log = logging.getLogger(__name__)


def log_summary(bronze_prefixes: tuple[str, ...] = ("bronze/",)) -> dict[str, object]:
    settings = Settings.from_env()
    bronze = {
        dataset: counts
        for dataset, counts in bronze_row_counts(Lake.from_settings(settings)).items()
        if dataset.startswith(bronze_prefixes)
    }
    models = model_row_counts(settings)
    for dataset, counts in bronze.items():
        log.info("bronze %-40s %8d rows in %d file(s)", dataset, counts["rows"], counts["files"])
    for table, rows in models.items():
        log.info("%-47s %8d rows", table, rows)
    return {"bronze": bronze, "models": models}
