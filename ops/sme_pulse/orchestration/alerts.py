"""One alert per event, through Airflow notifiers and Apprise.

Apprise (`apache-airflow-providers-apprise`) reaches e-mail, Slack, Telegram and plain
webhooks with one URL per receiver, so `ALERT_URLS` is the whole configuration and no
Airflow connection has to exist. The events and who sends them:

- a task failed for good (retries spent, or `RetryTransientOnly` refused one): the task's
  `on_failure_callback`, `TaskFailedAlert`. A failed run is always a failed task's doing,
  so this is also the run's alert: one failing dbt test is one message, not two. A dbt
  task names its failed tests; `bronze_freshness` names the sources past their SLA.
- bronze past its freshness warning, the run going on: `bronze_freshness` sends
  `FreshnessAlert` itself.
- a run that finished past `RUN_DEADLINE_MINUTES`: the DAG's `on_success_callback`,
  `RunPastDeadlineAlert` (a failed run already alerted).

Each message names the DAG, the run and the task or source, and links to the task's log
(or the run) under Airflow's `[api] base_url`. Apprise is imported when a message is
sent, never when a DAG file is parsed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from airflow.sdk import BaseNotifier

from sme_pulse.errors import message_line

log = logging.getLogger(__name__)

TITLE_PREFIX = "SME Pulse"


def send(urls: Sequence[str], title: str, body: str, context: Any) -> None:
    """Deliver one message to every receiver in `urls` with the provider's notifier."""
    from airflow.providers.apprise.notifications.apprise import AppriseNotifier
    from apprise import AppriseConfig, NotifyType

    config = AppriseConfig()
    config.add_config("\n".join(urls), format="text")
    log.info("alert: %s", title)
    AppriseNotifier(
        body=body, title=f"{TITLE_PREFIX}: {title}", notify_type=NotifyType.FAILURE, config=config
    ).notify(context)


def base_url() -> str:
    from airflow.sdk.configuration import conf

    return conf.get("api", "base_url", fallback="http://localhost:8080/").rstrip("/")


def run_url(dag_id: str, run_id: str) -> str:
    return f"{base_url()}/dags/{dag_id}/runs/{quote(run_id)}"


def task_body(context: Mapping[str, Any], what: str) -> str:
    ti = context["ti"]
    return (
        f"DAG: {ti.dag_id}\nRun: {ti.run_id}\nTask: {ti.task_id} (try {ti.try_number})\n"
        f"{what}\nLog: {ti.log_url}"
    )


def failure(exception: BaseException | None) -> tuple[str, str]:
    """The title and the one line that say what a failed task's exception means."""
    from sme_pulse.checks.freshness import StaleBronzeError
    from sme_pulse.orchestration.dbt_groups import failed_data_tests

    if exception is None:
        return "task failed", "Error: none recorded (the task was stopped or lost)"
    if tests := failed_data_tests(exception):
        return "dbt data test failed", f"Failed tests: {', '.join(tests)}"
    stale = exception if isinstance(exception, StaleBronzeError) else exception.__cause__
    if isinstance(stale, StaleBronzeError):
        return "source past its freshness SLA", f"Sources: {message_line(stale)}"
    return "task failed", f"Error: {message_line(exception)}"


class _Alert(BaseNotifier):
    """A notifier whose message is composed from the context it is called with.

    Nothing is templated: one instance serves every task of a DAG (it sits in
    default_args), and rendering templates in place would freeze the first task's text.
    """

    template_fields = ()

    def __init__(self, urls: Sequence[str]) -> None:
        super().__init__()
        self.urls = tuple(urls)

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        """Nothing to render. BaseNotifier would still ask the context's DAG for a Jinja
        environment, which a DAG callback's serialized DAG cannot give (AttributeError)."""

    def message(self, context: Any) -> tuple[str, str] | None:
        raise NotImplementedError

    def notify(self, context: Any) -> None:
        composed = self.message(context)
        if composed is not None:
            send(self.urls, *composed, context)


class TaskFailedAlert(_Alert):
    """`on_failure_callback` of every task: it failed and will not be retried."""

    def message(self, context: Any) -> tuple[str, str]:
        title, what = failure(context.get("exception"))
        return title, task_body(context, what)


class FreshnessAlert(_Alert):
    """Sent by the freshness task when a source is past its SLA but not failing the run."""

    def __init__(self, urls: Sequence[str], report: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(urls)
        self.report = dict(report)

    def message(self, context: Any) -> tuple[str, str] | None:
        late = past_sla(self.report)
        if not late:
            return None
        return "source past its freshness SLA", task_body(context, f"Sources: {', '.join(late)}")


def past_sla(report: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Sources `dbt source freshness` found past their warning threshold (`warn_after`)."""
    return [
        f"{source} ({state['status']}, {state['age_hours']} h)"
        for source, state in sorted(report.items())
        if state.get("status") == "warn"
    ]


class RunPastDeadlineAlert(_Alert):
    """`on_success_callback` of a DAG: the run finished, later than its deadline."""

    def __init__(self, urls: Sequence[str], deadline_minutes: float) -> None:
        super().__init__(urls)
        self.deadline_minutes = deadline_minutes

    def message(self, context: Any) -> tuple[str, str] | None:
        run = context["dag_run"]
        started = run.start_date or run.queued_at
        minutes = ((run.end_date or datetime.now(UTC)) - started).total_seconds() / 60
        if minutes <= self.deadline_minutes:
            return None
        return "run past its deadline", (
            f"DAG: {run.dag_id}\nRun: {run.run_id}\n"
            f"Took {minutes:.1f} min, deadline {self.deadline_minutes:g} min\n"
            f"Log: {run_url(run.dag_id, run.run_id)}"
        )
