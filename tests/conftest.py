"""Suite-wide isolation: no test reads the developer's .env, lake or Airflow home."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Airflow reads its configuration when first imported, so the session's Airflow home must
# be in the environment before any test module imports it.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="sme-pulse-airflow-")
os.environ.update(
    {
        "AIRFLOW_HOME": _AIRFLOW_HOME,
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "airflow" / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
        "AIRFLOW__COSMOS__ENABLE_ORJSON_PARSER": "True",
        "DO_NOT_TRACK": "1",
        "SCARF_ANALYTICS": "false",
        "DBT_PROJECT_DIR": str(REPO / "dbt"),
        "DBT_PROFILES_DIR": str(REPO / "dbt"),
    }
)

SETTINGS_VARS = (
    "SME_PULSE_HOME", "LAKE_URI", "LANDING_URI", "WAREHOUSE_PATH", "DBT_TARGET", "SOURCE_MODE",
    "WORLD_BANK_API_URL", "WB_COUNTRY", "WB_INDICATORS", "WB_YEARS", "PROVINCES_API_URL",
    "CUSTOMER_API_URL", "CUSTOMER_API_TOKEN", "HTTP_TIMEOUT_SECONDS", "HTTP_BUDGET_SECONDS",
    "HTTP_MAX_ATTEMPTS", "FRESHNESS_MAX_AGE_DAYS", "TASK_RETRIES", "TASK_RETRY_DELAY_SECONDS",
    "S3_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
)  # fmt: skip


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Every test starts from defaults with its own SME_PULSE_HOME."""
    for name in SETTINGS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SME_PULSE_HOME", str(tmp_path / "home"))
    yield


@pytest.fixture
def set_env(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def apply(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return apply
