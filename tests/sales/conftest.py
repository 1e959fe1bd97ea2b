"""Fixtures for the sales ingestion tests: a throwaway home with a landing folder and lake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sme_pulse.config import Settings
from sme_pulse.sources.lineage import RunContext

INGESTED_AT = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "landing").mkdir()
    return Settings.from_env({"SME_PULSE_HOME": str(tmp_path)})


@pytest.fixture
def run() -> RunContext:
    return RunContext(run_id="test_run", ingest_date="2026-01-15", ingested_at=INGESTED_AT)


@pytest.fixture
def land(settings: Settings) -> Callable[[str, str | bytes], Path]:
    """Write a landing file; text is written as UTF-8 exactly as given (no newline mapping)."""

    def write(name: str, content: str | bytes) -> Path:
        path = Path(settings.landing_uri) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write


@pytest.fixture
def dataset(settings: Settings) -> Callable[[str], pa.Table]:
    """Every Parquet object under a lake prefix, concatenated (empty table when none)."""

    def read(prefix: str) -> pa.Table:
        files = sorted((Path(settings.lake_uri) / prefix).rglob("*.parquet"))
        tables = [pq.read_table(f, partitioning=None) for f in files]
        return pa.concat_tables(tables) if tables else pa.table({})

    return read
