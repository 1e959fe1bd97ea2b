"""The run policy: which failures are retried, and what is attached when alerts are on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from airflow.exceptions import AirflowException
from airflow.sdk.definitions.retry_policy import RetryAction
from cosmos.exceptions import CosmosDbtRunError
from sme_pulse.checks.freshness import StaleBronzeError
from sme_pulse.checks.preflight import UpstreamMissingError
from sme_pulse.checks.reconcile import ReconciliationError
from sme_pulse.config import ConfigError, Settings
from sme_pulse.ingestion.drift import ContractViolationError
from sme_pulse.orchestration.alerts import RunPastDeadlineAlert, TaskFailedAlert
from sme_pulse.orchestration.dbt_groups import failed_data_tests
from sme_pulse.orchestration.defaults import RetryTransientOnly, dag_callbacks, default_args
from sme_pulse.sources.http import SourceError

pytestmark = pytest.mark.unit

TEST_FAILED = CosmosDbtRunError(
    "dbt invocation completed with errors: "
    "accepted_values_stg_customers_loyalty_tier__member: Got 1 result, configured to fail if != 0\n"
    "unique_stg_customers_customer_id: Got 2 results, configured to fail if != 0"
)
MODEL_ERROR = CosmosDbtRunError(
    "dbt invocation completed with errors: stg_customers: Runtime Error in model stg_customers\n"
    "  IO Error: Could not set lock on file"
)


def test_failed_data_tests_are_named_only_when_tests_are_all_that_failed() -> None:
    assert failed_data_tests(TEST_FAILED) == [
        "accepted_values_stg_customers_loyalty_tier__member",
        "unique_stg_customers_customer_id",
    ]
    assert failed_data_tests(MODEL_ERROR) == []
    assert failed_data_tests(CosmosDbtRunError("dbt invocation did not complete")) == []
    assert failed_data_tests(ValueError(str(TEST_FAILED))) == []


def test_a_watcher_layers_failed_tests_are_named_by_model() -> None:
    model = "model.sme_pulse.stg_customers"
    for message in (
        f"Tests for model '{model}' finished with status 'fail'",
        f"dbt tests for model '{model}' failed. Review the producer task 'p' logs for details.",
    ):
        assert failed_data_tests(AirflowException(message)) == [f"tests of {model}"]
    model_error = AirflowException(f"Model '{model}' finished with status 'error'")
    assert failed_data_tests(model_error) == []


@pytest.mark.parametrize(
    ("error", "action"),
    [
        (TEST_FAILED, RetryAction.FAIL),
        (StaleBronzeError("bronze_sales.order_lines (error, 200 h)"), RetryAction.FAIL),
        (UpstreamMissingError("external gold missing"), RetryAction.FAIL),
        (ContractViolationError("world_bank: field 'value' missing"), RetryAction.FAIL),
        (ReconciliationError("sales loaded = bronze: 13 vs 11"), RetryAction.FAIL),
        (MODEL_ERROR, RetryAction.DEFAULT),
        (SourceError("customer API: 503"), RetryAction.DEFAULT),
        (ConnectionResetError("peer reset"), RetryAction.DEFAULT),
    ],
)
def test_only_what_a_retry_can_change_is_retried(error: BaseException, action: RetryAction) -> None:
    decision = RetryTransientOnly().evaluate(error, try_number=1, max_tries=4)
    assert decision.action is action
    assert (decision.reason is not None) is (action is RetryAction.FAIL)


def test_backoff_and_policy_without_alerts() -> None:
    args = default_args(Settings.from_env({}))
    assert args["retries"] == 3 and args["retry_exponential_backoff"] is True
    assert args["retry_delay"] == timedelta(seconds=60)
    assert isinstance(args["retry_policy"], RetryTransientOnly)
    assert "on_failure_callback" not in args
    assert dag_callbacks(Settings.from_env({"RUN_DEADLINE_MINUTES": "90"})) == {}


def test_alerts_attach_one_notifier_per_event_kind() -> None:
    settings = Settings.from_env(
        {"ALERT_URLS": "json://127.0.0.1:9/hook  tgram://t/c", "RUN_DEADLINE_MINUTES": "90"}
    )
    [task_alert] = default_args(settings)["on_failure_callback"]
    assert isinstance(task_alert, TaskFailedAlert)
    assert task_alert.urls == ("json://127.0.0.1:9/hook", "tgram://t/c")
    [run_alert] = dag_callbacks(settings)["on_success_callback"]
    assert isinstance(run_alert, RunPastDeadlineAlert) and run_alert.deadline_minutes == 90
    no_deadline = Settings.from_env({"ALERT_URLS": "json://127.0.0.1:9/hook"})
    assert dag_callbacks(no_deadline) == {}


@pytest.mark.parametrize(
    ("name", "value"),
    [("RUN_DEADLINE_MINUTES", "-5"), ("RUN_DEADLINE_MINUTES", "soon"),
     ("AIRFLOW_DB_RETENTION_DAYS", "0")],
)  # fmt: skip
def test_malformed_alert_and_retention_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_retention_defaults_to_thirty_days() -> None:
    assert Settings.from_env({}).retention.airflow_db_days == 30
    assert Settings.from_env({"AIRFLOW_DB_RETENTION_DAYS": "7"}).retention.airflow_db_days == 7
