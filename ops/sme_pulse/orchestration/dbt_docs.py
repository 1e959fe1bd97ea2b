"""The dbt documentation, where an operator looks: each dbt task's "Docs" and the dbt docs site.

* Task docs: Cosmos gives its tasks no documentation, so `attach_task_docs` sets each
  dbt task's `doc_md` from the model's (seed's, snapshot's) YAML description and columns in
  the manifest Cosmos renders from. The manifest is read once per process and file version
  (a DAG has several layers), with orjson as Cosmos does: a few milliseconds per DAG parse.
* The site: `dbt docs generate` into `docs_dir` (`make dbt-docs`, and `make airflow` makes
  sure it exists), served by Cosmos's Airflow 3 plugin under `/cosmos/sme_pulse/` with a
  "dbt Docs" entry in the UI's Browse menu. That plugin reads `[cosmos] dbt_docs_projects`
  (a JSON mapping; the older `dbt_docs_dir` is Airflow 2 only), which `docs_projects` builds.

This module imports neither Airflow nor Cosmos at load time: `make airflow` imports it.
"""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from cosmos import DbtTaskGroup

    from sme_pulse.config import Settings

DOCS_SLUG = "sme_pulse"
DOCS_MENU_NAME = "dbt Docs"
DOCUMENTED = ("model", "seed", "snapshot")


def docs_dir(dbt_project_dir: Path) -> Path:
    """Where `dbt docs generate` writes the site (index.html, manifest.json, catalog.json)."""
    return dbt_project_dir / "target" / "docs"


def docs_projects(dbt_project_dir: Path) -> str:
    """The value of AIRFLOW__COSMOS__DBT_DOCS_PROJECTS for this project."""
    return json.dumps({DOCS_SLUG: {"dir": str(docs_dir(dbt_project_dir)), "name": DOCS_MENU_NAME}})


def node_markdown(node: dict[str, Any]) -> str:
    """A node's description, then its columns as the YAML lists them, one line each."""
    lines = [f"**dbt {node['resource_type']}** `{node['name']}`", ""]
    lines.append(node.get("description", "").strip() or "*No description in the YAML.*")
    columns = node.get("columns") or {}
    if columns:
        lines += ["", "**Columns**", ""]
        for name, column in columns.items():
            text = " ".join(str(column.get("description", "")).split())
            lines.append(f"- `{name}`: {text}" if text else f"- `{name}`")
    return "\n".join(lines)


@functools.lru_cache(maxsize=4)
def _docs_by_node(manifest_path: Path, mtime_ns: int) -> dict[str, str]:
    nodes = orjson.loads(manifest_path.read_bytes())["nodes"]
    return {
        unique_id: node_markdown(node)
        for unique_id, node in nodes.items()
        if node.get("resource_type") in DOCUMENTED
    }


def task_docs(manifest_path: Path) -> dict[str, str]:
    """Markdown per dbt unique_id; re-read only when the manifest file changed."""
    return _docs_by_node(manifest_path, manifest_path.stat().st_mtime_ns)


def attach_task_docs(group: DbtTaskGroup, manifest_path: Path) -> None:
    """Set `doc_md` on every task of a Cosmos group that renders one dbt node."""
    docs = task_docs(manifest_path)
    for task in group.iter_tasks():
        node = (getattr(task, "extra_context", None) or {}).get("dbt_node_config") or {}
        text = docs.get(str(node.get("unique_id")))
        if text is not None and not task.doc_md:
            task.doc_md = text


def generate_site(settings: Settings, *, catalog: bool | None = None) -> Path:
    """`dbt docs generate` into `docs_dir`; returns its index.html.

    The catalog (column types, row counts) and compiled SQL need the built warehouse.
    Without them (`catalog=False`; by default on DuckDB when the warehouse file is missing)
    the site is made from the parsed manifest alone (`--no-compile --empty-catalog`, which
    read manifest.json from the target folder, so it is copied there first) and needs no
    connection; `make demo` makes the site again once gold is built.
    """
    from sme_pulse.orchestration.dbt_invoke import run_dbt

    if catalog is None:
        catalog = settings.dbt_target != "duckdb" or settings.warehouse_path.is_file()
    target = docs_dir(settings.dbt_project_dir)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(settings.dbt_manifest_path, target / "manifest.json")
    args = ["docs", "generate", "--quiet"]
    if not catalog:
        args += ["--no-compile", "--empty-catalog"]
    run_dbt(settings, args, target, settings.dbt_project_dir / "logs")
    return target / "index.html"


def main(argv: list[str] | None = None) -> int:
    """`python -m sme_pulse.orchestration.dbt_docs`, what `make dbt-docs` runs."""
    import argparse

    from sme_pulse.config import Settings

    parser = argparse.ArgumentParser(description=generate_site.__doc__)
    parser.add_argument(
        "--no-catalog",
        action="store_true",
        help="from the manifest alone, no warehouse connection (e.g. building an image)",
    )
    args = parser.parse_args(argv)
    site = generate_site(Settings.from_env(), catalog=False if args.no_catalog else None)
    print(f"dbt docs: {site}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
