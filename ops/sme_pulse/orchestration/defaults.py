"""Run policy every SME Pulse DAG shares, so retries behave the same everywhere."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sme_pulse.config import Settings

MAX_RETRY_DELAY = timedelta(minutes=30)


def default_args(settings: Settings) -> dict[str, Any]:
    """Retries with exponential backoff from `TASK_RETRY_DELAY_SECONDS`, capped at 30 min.

    Public APIs rate-limit and the stack's services restart; a short first delay that
    doubles gets past both without hammering anyone (seed 004, lesson 9).
    """
    return {
        "owner": "sme_pulse",
        "retries": settings.task_retries,
        "retry_delay": timedelta(seconds=settings.task_retry_delay_s),
        "retry_exponential_backoff": True,
        "max_retry_delay": MAX_RETRY_DELAY,
    }
