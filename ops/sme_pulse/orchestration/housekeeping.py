"""Task body of `sme_pulse_housekeeping`: keep the Airflow metadata database small.

Every run leaves rows behind (runs, task instances, XComs, audit log, jobs); on the
embedded SQLite home and on the stack's Postgres alike they only grow. `airflow db clean`
deletes those older than `AIRFLOW_DB_RETENTION_DAYS` (Airflow always keeps each DAG's
latest scheduled run, so catch-up logic never loses its place).

It runs as the `airflow` command in a child process, not `airflow.utils.db_cleanup`:
Airflow 3 task code talks to the API server, not to the database, and the CLI is the
supported way to reach the database from a worker. Purged rows are not archived: an
archive table would keep the space the clean-up is there to give back.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sme_pulse.config import Settings
from sme_pulse.errors import SmePulseError

log = logging.getLogger(__name__)

OUTPUT_TAIL_LINES = 5


class HousekeepingError(SmePulseError, RuntimeError):
    """`airflow db clean` did not finish; the message carries its last lines."""


def clean_command(cutoff: datetime) -> list[str]:
    airflow = Path(sys.executable).with_name("airflow")
    return [
        str(airflow), "db", "clean",
        "--clean-before-timestamp", cutoff.isoformat(),
        "--skip-archive", "--error-on-cleanup-failure", "--yes",
    ]  # fmt: skip


def clean_metadata(
    settings: Settings, env: Mapping[str, str] | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Delete Airflow metadata older than the retention; returns the cut-off it used."""
    days = settings.retention.airflow_db_days
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    result = subprocess.run(
        clean_command(cutoff),
        env=dict(os.environ if env is None else env),
        capture_output=True,
        text=True,
        check=False,
    )
    output = (result.stdout + result.stderr).strip().splitlines()
    for line in output:
        log.info("%s", line)
    if result.returncode != 0:
        tail = " | ".join(output[-OUTPUT_TAIL_LINES:]) or "no output"
        raise HousekeepingError(f"airflow db clean exited {result.returncode}: {tail}")
    log.info("Airflow metadata older than %s (%d days) removed", cutoff.isoformat(), days)
    return {"clean_before": cutoff.isoformat(), "retention_days": days}
