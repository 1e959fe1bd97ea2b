"""The dbt documentation in the Airflow UI of `make airflow`: the dbt docs site behind the
Browse menu (Cosmos's plugin) and a dbt task's model description in its Docs.

No DAG run needed: both come from the parsed DAG and files, so this adds a few page loads
to the Airflow the browser tests already share.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sme_pulse.config import Settings
from sme_pulse.orchestration import dbt_docs, ui

REPO = Path(__file__).resolve().parents[2]
DAG_ID = "sme_pulse_external_data_sync"
TASK_ID = "dbt_gold_external.dim_location_model_build"
MODELS_YML = REPO / "dbt" / "models" / "marts" / "external" / "_external__models.yml"


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site `make dbt-docs` writes; made here when missing, from the manifest alone (no
    warehouse: a developer's own is neither read nor locked)."""
    index = dbt_docs.docs_dir(REPO / "dbt") / "index.html"
    if not index.is_file():
        no_warehouse = tmp_path_factory.mktemp("dbt-docs") / "absent.duckdb"
        env = {"DBT_PROJECT_DIR": str(REPO / "dbt"), "WAREHOUSE_PATH": str(no_warehouse)}
        dbt_docs.generate_site(Settings.from_env(env))
    return index


def _description_start(model: str) -> str:
    """The model's YAML description up to its first parenthesis (Markdown renders the rest)."""
    models = {m["name"]: m for m in yaml.safe_load(MODELS_YML.read_text())["models"]}
    return " ".join(models[model]["description"].split()).split(" (")[0]


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.timeout(300)
def test_dbt_docs_from_the_browse_menu(
    page: Any, airflow_ui: ui.AirflowUi, docs_site: Path, log_in: Any
) -> None:
    from playwright.sync_api import expect

    log_in(page, airflow_ui)
    # Cosmos's menu entry opens the site in a new tab.
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="Browse").click()
        page.get_by_role("menuitem", name=dbt_docs.DOCS_MENU_NAME).click()
    docs = opened.value
    expect(docs).to_have_url(re.compile(r"/cosmos/sme_pulse/dbt_docs_index\.html"))
    # The site's own app renders a model's page from the manifest Cosmos serves next to it.
    docs.goto(f"{docs.url.split('#')[0]}#!/model/model.sme_pulse.fct_sales")
    expect(docs.locator("h1").first).to_contain_text("fct_sales")


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.timeout(300)
def test_dbt_task_docs_show_the_model_description(
    page: Any, airflow_ui: ui.AirflowUi, log_in: Any
) -> None:
    from playwright.sync_api import expect

    ui.wait_for_dags(airflow_ui, REPO / "airflow" / "dags")
    log_in(page, airflow_ui)
    page.goto(f"{airflow_ui.url}/dags/{DAG_ID}/tasks/{TASK_ID}")
    page.get_by_role("button", name="Documentation").click()
    expect(page.get_by_role("dialog")).to_contain_text(_description_start("dim_location"))
