"""The stack's target, checked without a Trino: compile offline, then parse as Trino SQL."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import sqlglot
from sqlglot.errors import ErrorLevel

from .conftest import DBT, REPO, DbtRunner

pytestmark = pytest.mark.integration

TRINO_ENV = {"DBT_TARGET": "trino", "LAKE_URI": "s3://sme-lake", "TRINO_HOST": "127.0.0.1",
             "TRINO_PORT": "9"}  # fmt: skip
DUCKDB_ONLY = ("read_parquet(", "hive_partitioning", "::")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """Compile every node for Trino once; port 9 guarantees nothing is listening."""
    target = tmp_path_factory.mktemp("trino-target")
    result = subprocess.run(
        [str(DBT), "--no-populate-cache", "compile", "--target", "trino",
         "--vars", "{compile_offline: true}", "--project-dir", str(REPO / "dbt"),
         "--profiles-dir", str(REPO / "dbt"), "--target-path", str(target),
         "--log-path", str(target / "logs")],
        cwd=REPO / "dbt", env={**os.environ, **TRINO_ENV}, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:]
    manifest = json.loads((target / "manifest.json").read_text())
    return target / "compiled" / "sme_pulse", manifest


def compiled_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.sql") if p.stat().st_size)


def test_every_model_is_compiled(compiled: tuple[Path, dict]) -> None:
    root, manifest = compiled
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert models
    for node in models:
        assert (root / node["original_file_path"]).is_file(), node["unique_id"]


def test_every_compiled_statement_parses_as_trino(compiled: tuple[Path, dict]) -> None:
    root, _ = compiled
    files = compiled_files(root)
    assert len(files) > 20
    failures = []
    for path in files:
        sql = path.read_text()
        try:
            statements = sqlglot.parse(sql, read="trino", error_level=ErrorLevel.RAISE)
        except sqlglot.errors.ParseError as exc:
            failures.append(f"{path.relative_to(root)}: {str(exc).splitlines()[0]}")
            continue
        assert all(s is not None for s in statements), path
    assert failures == []


def test_no_duckdb_dialect_leaks_into_trino_sql(compiled: tuple[Path, dict]) -> None:
    root, _ = compiled
    leaks = [
        f"{path.relative_to(root)}: {token}"
        for path in compiled_files(root)
        for token in DUCKDB_ONLY
        if token in path.read_text()
    ]
    assert leaks == []


def test_sources_are_hive_tables_and_models_iceberg(compiled: tuple[Path, dict]) -> None:
    root, manifest = compiled
    sources = list(manifest["sources"].values())
    assert sources and {(s["database"], s["schema"]) for s in sources} == {("hive", "bronze")}
    staged = (root / "models/staging/external/stg_wb_indicators.sql").read_text()
    assert '"hive"."bronze"."wb_indicators"' in staged
    assert '"iceberg"."silver"."stg_wb_indicators"' in staged  # incremental branch compiled


def test_compile_needs_no_trino(dbt: DbtRunner) -> None:
    """The same compile without `compile_offline` would have to ask Trino and fail."""
    result = dbt("--no-populate-cache", "compile", "--target", "trino", "--select",
                 "stg_wb_indicators", env=TRINO_ENV, check=False)  # fmt: skip
    assert result.returncode != 0
    assert "127.0.0.1" in result.stdout or "Connection refused" in result.stdout


def test_numeric_accepted_values_are_not_quoted(compiled: tuple[Path, dict]) -> None:
    """accepted_values quotes its values by default: `x in ('1', '2')` on an integer
    column compiles everywhere but Trino refuses it at run time (no common type)."""
    _, manifest = compiled
    quoted = [
        node["unique_id"]
        for node in manifest["nodes"].values()
        if (meta := node.get("test_metadata") or {}).get("name") == "accepted_values"
        and all(isinstance(v, int | float) for v in meta["kwargs"]["values"])
        and meta["kwargs"].get("quote", True)
    ]
    assert quoted == []
