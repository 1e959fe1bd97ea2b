"""Headless Chromium (Debian's, driven by Playwright) and a throwaway `airflow standalone`.

Playwright's own browser download is not used: CI and the dev machines install Debian's
`chromium` (.ci/install-debian.sh), and the tests skip, saying why, when it is missing or
does not start. Airflow runs the way `make airflow` runs it (sme_pulse.orchestration.ui),
but in a temporary SME_PULSE_HOME and AIRFLOW_HOME on free ports, so the developer's
.local and a running `make airflow` are never touched.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from sme_pulse.orchestration import ui

REPO = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPO / "airflow" / "dags"
MANIFEST = REPO / "dbt" / "target" / "manifest.json"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Where the developer's environment could point the test's Airflow or DAG runs elsewhere.
_LEAKY_PREFIXES = ("AIRFLOW_", "SME_PULSE_")
_LEAKY_VARS = {
    "LAKE_URI", "LANDING_URI", "WAREHOUSE_PATH", "DBT_TARGET", "SOURCE_MODE", "S3_ENDPOINT_URL",
    "TASK_RETRIES", "TASK_RETRY_DELAY_SECONDS", "WB_YEARS", "WB_INDICATORS", "WB_COUNTRY",
}  # fmt: skip


def chromium_path() -> str | None:
    """Debian's Chromium: /usr/bin/chromium, else `chromium` on PATH."""
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def _unavailable(reason: str) -> NoReturn:
    """Skip, or fail where the browser is required (CI sets SME_PULSE_REQUIRE_BROWSER=1)."""
    if os.environ.get("SME_PULSE_REQUIRE_BROWSER", "").strip() == "1":
        pytest.fail(f"{reason} (and SME_PULSE_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


def _summary(exc: Exception) -> str:
    """Playwright's first line, plus the browser's last log line, which names the cause."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return repr(exc)
    summary = lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"
    return summary if len(summary) <= 300 else summary[:297] + "..."


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session; skips when it is absent or will not start."""
    executable = chromium_path()
    if executable is None:
        _unavailable(
            "Chromium not found (/usr/bin/chromium or chromium on PATH): run "
            ".ci/install-debian.sh /usr/bin/chromium chromium fonts-liberation"
        )
    try:
        from playwright import sync_api
    except ImportError:
        _unavailable("the playwright package is not installed (uv sync installs it)")
    with sync_api.sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except sync_api.Error as exc:
            _unavailable(f"Playwright cannot launch {executable}: {_summary(exc)}")
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    from playwright.sync_api import expect

    # Two slow cores run Airflow's four components next to the browser in CI.
    expect.set_options(timeout=20_000)
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def standalone_test_env(home: Path) -> dict[str, str]:
    """The developer's environment minus anything naming their Airflow, lake or warehouse."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_LEAKY_PREFIXES) and name not in _LEAKY_VARS
    }
    env.update(
        {
            "SME_PULSE_HOME": str(home / "sme"),
            "AIRFLOW_HOME": str(home / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "DBT_PROJECT_DIR": str(REPO / "dbt"),
            "DBT_PROFILES_DIR": str(REPO / "dbt"),
            "SOURCE_MODE": "replay",
            "TASK_RETRY_DELAY_SECONDS": "2",
            # The test triggers the one run it waits for: DAGs arrive switched on, and the
            # scheduler creates no scheduled run that would queue ahead of it
            # (max_active_runs=1).
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        }
    )
    return env


@pytest.fixture(scope="session")
def airflow_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ui.AirflowUi]:
    """`airflow standalone`, healthy, on a migrated SQLite home with the duckdb_writer pool."""
    if not MANIFEST.is_file():
        pytest.fail(f"{MANIFEST.relative_to(REPO)} is missing: run `make manifest` first")
    env = standalone_test_env(tmp_path_factory.mktemp("airflow-ui"))
    ui.init_home(env)
    server = ui.start_ui(env=env, isolated_ports=True)
    try:
        yield server
    finally:
        server.stop(timeout_s=20.0)


def _log_in(page: Any, server: ui.AirflowUi) -> None:
    """Through the simple auth manager's form, as an operator does."""
    from playwright.sync_api import expect

    assert server.login is not None, "standalone wrote no simple auth manager passwords file"
    page.goto(f"{server.url}/")
    expect(page).to_have_url(re.compile(r"/auth/login"))
    page.get_by_label("Username").fill(server.login.username)
    page.get_by_label("Password").fill(server.login.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/auth/login"))


@pytest.fixture
def log_in() -> Any:
    """`log_in(page, airflow_ui)`: sign in on a fresh page."""
    return _log_in
