"""Task docs from the dbt manifest, and the Cosmos plugin setting for the docs site."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sme_pulse.orchestration import dbt_docs, ui

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "dbt" / "target" / "manifest.json"


def test_markdown_has_description_then_every_column() -> None:
    node = {
        "resource_type": "model",
        "name": "fct_sales",
        "description": "One row per completed line.\n",
        "columns": {
            "order_id": {"description": "The shop's order number."},
            "line_no": {"description": ""},
        },
    }
    assert dbt_docs.node_markdown(node).splitlines() == [
        "**dbt model** `fct_sales`",
        "",
        "One row per completed line.",
        "",
        "**Columns**",
        "",
        "- `order_id`: The shop's order number.",
        "- `line_no`",
    ]


def test_every_model_seed_and_snapshot_of_the_manifest_is_documented() -> None:
    if not MANIFEST.is_file():
        pytest.fail(f"{MANIFEST.relative_to(REPO)} is missing: run `make manifest` first")
    nodes = json.loads(MANIFEST.read_text())["nodes"]
    expected = {k for k, n in nodes.items() if n["resource_type"] in ("model", "seed", "snapshot")}
    docs = dbt_docs.task_docs(MANIFEST)
    assert set(docs) == expected
    assert "`fct_sales`" in docs["model.sme_pulse.fct_sales"]


def test_a_changed_manifest_is_read_again(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    node = {"resource_type": "seed", "name": "s", "description": "first"}
    manifest.write_text(json.dumps({"nodes": {"seed.p.s": node}}))
    assert "first" in dbt_docs.task_docs(manifest)["seed.p.s"]
    manifest.write_text(json.dumps({"nodes": {"seed.p.s": {**node, "description": "second"}}}))
    stat = manifest.stat()
    os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert "second" in dbt_docs.task_docs(manifest)["seed.p.s"]


def test_docs_projects_points_cosmos_at_the_docs_folder(tmp_path: Path) -> None:
    projects = json.loads(dbt_docs.docs_projects(tmp_path))
    assert projects == {"sme_pulse": {"dir": str(tmp_path / "target" / "docs"), "name": "dbt Docs"}}


def test_make_airflow_serves_the_projects_docs_folder(tmp_path: Path) -> None:
    env = ui.standalone_env(8080, {"DBT_PROJECT_DIR": str(tmp_path)})
    assert env["AIRFLOW__COSMOS__DBT_DOCS_PROJECTS"] == dbt_docs.docs_projects(tmp_path)
