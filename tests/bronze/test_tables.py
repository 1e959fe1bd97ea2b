"""The bronze declaration: one entry per table, and each where its writer puts the files."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sme_pulse import runs
from sme_pulse.bronze import BRONZE_TABLES, BronzeTable, bronze_table
from sme_pulse.bronze.tables import BronzeDeclarationError
from sme_pulse.config import Settings
from sme_pulse.crm.commits import QUARANTINE_PREFIX as CRM_QUARANTINE
from sme_pulse.sales import layout as sales_layout
from sme_pulse.sources import provinces, world_bank
from sme_pulse.sources.lineage import LINEAGE_FIELDS, bronze_key
from sme_pulse.sources.quarantine import quarantine_key
from sme_pulse.stream.contract import KAFKA_FIELDS

SCHEMA = pa.schema([pa.field("id", pa.string()), *LINEAGE_FIELDS])


@pytest.mark.unit
def test_names_and_folders_are_unique() -> None:
    names = [t.name for t in BRONZE_TABLES]
    paths = [t.path for t in BRONZE_TABLES]
    assert len(set(names)) == len(names) and len(set(paths)) == len(paths)
    for path in paths:
        assert not any(other.startswith(f"{path}/") for other in paths), path


@pytest.mark.unit
def test_every_table_carries_the_lineage_columns() -> None:
    """A run's lineage, or for the stream the message's place in the Kafka log, which
    stays the same when a batch is written again after a crash."""
    for table in BRONZE_TABLES:
        lineage = KAFKA_FIELDS if table.name.startswith("stream_") else LINEAGE_FIELDS
        assert {f.name for f in lineage} <= set(table.schema.names), table.name


@pytest.mark.unit
def test_a_partition_key_inside_the_files_is_declared_once_as_the_partition() -> None:
    manifest = bronze_table("sales_load_manifest")
    assert manifest.partition == "file_slug" and "file_slug" in manifest.schema.names
    assert "file_slug" not in [f.name for f in manifest.columns]
    assert "file_slug" in manifest.column_names
    lines = bronze_table("sales_order_lines")
    assert lines.partition == "file_slug" and len(lines.columns) == len(lines.schema)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("wb_indicators", bronze_key(world_bank.SOURCE, world_bank.DATASET, "2026-11-01")),
        ("vn_provinces", bronze_key(provinces.SOURCE, provinces.PROVINCES, "2026-11-01")),
        ("vn_districts", bronze_key(provinces.SOURCE, provinces.DISTRICTS, "2026-11-01")),
        ("sales_order_lines", f"{sales_layout.lines_prefix('pos.csv')}/part-0.parquet"),
        ("sales_load_manifest", sales_layout.manifest_key("pos.csv")),
    ],
)
def test_the_writer_puts_files_in_the_declared_partition_folders(name: str, key: str) -> None:
    table = bronze_table(name)
    assert re.fullmatch(rf"{re.escape(table.path)}/{table.partition}=[^/=]+/[^/]+\.parquet", key)


@pytest.mark.integration
def test_files_written_by_the_ingestion_have_the_declared_schema(tmp_path: Path) -> None:
    """Replay World Bank and provinces into a folder lake: every file is where its table
    reads and has exactly the declared schema."""
    settings = Settings.from_env({"SME_PULSE_HOME": str(tmp_path)})
    run = runs.run_context("replay_1", "2026-11-01")
    runs.ingest_world_bank(settings, run)
    runs.ingest_provinces(settings, run)
    lake = Path(settings.lake_uri)
    for name in ("wb_indicators", "vn_provinces", "vn_districts"):
        table = bronze_table(name)
        files = sorted((lake / table.path).glob("*/*.parquet"))
        assert [f.parent.name for f in files] == [f"{table.partition}=2026-11-01"], name
        assert pq.read_schema(files[0]).remove_metadata() == table.schema.remove_metadata()


@pytest.mark.unit
def test_lookup_by_name_names_the_tables_that_exist() -> None:
    with pytest.raises(KeyError, match="wb_indicators"):
        bronze_table("wb_indicator")


@pytest.mark.unit
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"schema": pa.schema([pa.field("Id", pa.string())])}, "column name 'Id'"),
        ({"schema": pa.schema([pa.field("order id", pa.string())])}, "column name 'order id'"),
        ({"name": "Sales"}, "table name 'Sales'"),
        ({"path": "silver/x"}, "must be a folder under bronze/"),
        ({"path": "bronze/x/"}, "must be a folder under bronze/"),
        ({"path": "quarantine/x/"}, "must be a folder under bronze/ or quarantine/"),
        ({"partition": "id", "schema": pa.schema([pa.field("id", pa.int64())])}, "int64"),
    ],
)
def test_a_declaration_trino_could_not_read_is_refused(kwargs: dict, message: str) -> None:
    spec = {"name": "t", "path": "bronze/x/t", "schema": SCHEMA, **kwargs}
    with pytest.raises(BronzeDeclarationError, match=re.escape(message)):
        BronzeTable(**spec)


@pytest.mark.unit
def test_location_joins_the_lake_root_without_doubling_the_slash() -> None:
    table = BronzeTable("t", "bronze/x/t", SCHEMA)
    assert table.location("s3://lake/") == table.location("s3://lake") == "s3://lake/bronze/x/t"


@pytest.mark.unit
def test_quarantine_tables_read_the_folders_their_writers_write() -> None:
    assert bronze_table("sales_order_lines_quarantine").path == sales_layout.QUARANTINE_PREFIX
    assert bronze_table("crm_customers_quarantine").path == CRM_QUARANTINE
    key = quarantine_key(world_bank.SOURCE, world_bank.DATASET, "2026-01-01")
    assert key.startswith(bronze_table("wb_indicators_quarantine").path + "/ingest_date=")
