"""Run policy every SME Pulse DAG shares, so retries and alerts behave the same everywhere."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk.definitions.retry_policy import RetryDecision, RetryPolicy

from sme_pulse.config import Settings

MAX_RETRY_DELAY = timedelta(minutes=30)


class RetryTransientOnly(RetryPolicy):
    """Fail at once on what a retry cannot change; let everything else retry with backoff.

    A failed dbt data test, bronze past its SLA, a missing upstream DAG's output and a
    malformed setting give the same answer a minute later, so retrying them only delays
    the alert. Anything else (a source or the lake unreachable, an engine hiccup, a bug we
    have not met) keeps the task's retries. Runs in the worker, where it sees the exception.
    """

    def evaluate(
        self,
        exception: BaseException,
        try_number: int,
        max_tries: int,
        context: Any = None,
    ) -> RetryDecision:
        reason = permanent_reason(exception)
        return RetryDecision.fail(reason) if reason else RetryDecision.default()


def permanent_reason(exception: BaseException) -> str | None:
    """Why retrying `exception` cannot help, or None when it might."""
    from sme_pulse.bronze.tables import BronzeDeclarationError
    from sme_pulse.checks.freshness import StaleBronzeError
    from sme_pulse.checks.preflight import UpstreamMissingError
    from sme_pulse.checks.reconcile import ReconciliationError
    from sme_pulse.config import ConfigError
    from sme_pulse.ingestion.drift import ContractViolationError
    from sme_pulse.orchestration.dbt_groups import failed_data_tests

    permanent = (
        UpstreamMissingError,
        ConfigError,
        BronzeDeclarationError,
        ContractViolationError,
        ReconciliationError,
    )
    if isinstance(exception, StaleBronzeError):
        return "bronze past its freshness SLA: a retry cannot make old data new"
    if isinstance(exception, permanent):
        return f"{type(exception).__name__}: a retry would meet the same"
    if failed_data_tests(exception):
        return "dbt data tests failed: a retry would read the same data"
    return None


def default_args(settings: Settings) -> dict[str, Any]:
    """Retries with exponential backoff from `TASK_RETRY_DELAY_SECONDS`, capped at 30 min,
    for transient failures only (`RetryTransientOnly`), and an alert on each failed task
    when `ALERT_URLS` names a receiver.

    Public APIs rate-limit and the stack's services restart; a short first delay that
    doubles gets past both without hammering anyone (seed 004, lesson 9).
    """
    args: dict[str, Any] = {
        "owner": "sme_pulse",
        "retries": settings.task_retries,
        "retry_delay": timedelta(seconds=settings.task_retry_delay_s),
        "retry_exponential_backoff": True,
        "max_retry_delay": MAX_RETRY_DELAY,
        "retry_policy": RetryTransientOnly(),
    }
    if settings.alerts.enabled:
        from sme_pulse.orchestration.alerts import TaskFailedAlert

        args["on_failure_callback"] = [TaskFailedAlert(settings.alerts.urls)]
    return args


def dag_callbacks(settings: Settings) -> dict[str, Any]:
    """DAG arguments for the run's own alert: finished past `RUN_DEADLINE_MINUTES`."""
    if not (settings.alerts.enabled and settings.alerts.run_deadline_minutes is not None):
        return {}
    from sme_pulse.orchestration.alerts import RunPastDeadlineAlert

    return {
        "on_success_callback": [
            RunPastDeadlineAlert(settings.alerts.urls, settings.alerts.run_deadline_minutes)
        ]
    }
