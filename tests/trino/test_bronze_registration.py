"""Bronze registration on the real Trino: from nothing, after a writer gained a column, and
after a column changed type, with World Bank files the real ingestion wrote to the lake.

Each test starts from a `hive.bronze` dropped and registered by an older declaration where
it needs one; afterwards its files are deleted and bronze is registered again, so the
catalog matches the lake as a DAG run would leave it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow as pa
import pytest
from sme_pulse import runs
from sme_pulse.bronze import BRONZE_TABLES, BronzeTable, bronze_table, trino_ddl
from sme_pulse.bronze.registration import register_on_trino
from sme_pulse.config import Settings
from sme_pulse.storage import Lake

from .conftest import TrinoLakehouse

pytestmark = [pytest.mark.trino, pytest.mark.integration]

INGEST_DATE = "2000-01-01"
"""A date no DAG run writes, so only this test's files sit in that partition."""
WB = bronze_table("wb_indicators")


@dataclass
class Bronze:
    settings: Settings
    lakehouse: TrinoLakehouse
    written: dict[str, int]
    """Rows per file this test's ingestion wrote."""

    def rows(self, sql: str) -> list[tuple]:
        return self.lakehouse.rows(sql)

    def columns(self, table: str) -> dict[str, str]:
        return dict(
            self.rows(
                "select column_name, data_type from hive.information_schema.columns "
                f"where table_schema = 'bronze' and table_name = '{table}' "
                "order by ordinal_position"
            )
        )

    def count(self, expression: str = "*") -> int:
        return self.rows(
            f"select count({expression}) from hive.bronze.wb_indicators "
            f"where ingest_date = '{INGEST_DATE}'"
        )[0][0]

    def register_older(self, older: BronzeTable) -> None:
        """What a registration from an older declaration of the same table left."""
        self.rows(trino_ddl.drop_table(older))
        self.rows(trino_ddl.create_table(older, self.settings.lake_uri))
        self.rows(trino_ddl.sync_partitions(older))


@pytest.fixture
def bronze(lakehouse: TrinoLakehouse, tmp_path: Path) -> Iterator[Bronze]:
    settings = Settings.from_env({**lakehouse.env, "SME_PULSE_HOME": str(tmp_path)})
    lakehouse.rows("drop schema if exists hive.bronze cascade")
    written = runs.ingest_world_bank(settings, runs.run_context("bronze_test", INGEST_DATE))
    yield Bronze(settings, lakehouse, written)
    lake = Lake.from_settings(settings)
    for key in written:
        lake.delete(key)
    register_on_trino(settings)


def test_from_nothing_every_table_is_its_declaration_over_the_files(bronze: Bronze) -> None:
    plan = register_on_trino(bronze.settings)
    assert {t.action for t in plan.tables} == {"create"}
    lake = bronze.settings.lake_uri
    for table in BRONZE_TABLES:
        assert list(bronze.columns(table.name).items()) == list(
            trino_ddl.column_types(table).items()
        ), table.name
        ddl = bronze.rows(f"show create table hive.bronze.{table.name}")[0][0]
        assert f"external_location = '{table.location(lake)}'" in ddl
        assert f"partitioned_by = ARRAY['{table.partition}']" in ddl
    assert bronze.count() == sum(bronze.written.values()) > 0

    again = register_on_trino(bronze.settings)
    assert {t.action for t in again.tables} == {"keep"}


def test_a_column_the_writer_added_is_added_and_read_from_existing_partitions(
    bronze: Bronze,
) -> None:
    register_on_trino(bronze.settings)
    older = replace(WB, schema=WB.schema.remove(WB.schema.get_field_index("source_last_updated")))
    bronze.register_older(older)
    assert "source_last_updated" not in bronze.columns(WB.name)

    plan = register_on_trino(bronze.settings)
    actions = {t.table: t.action for t in plan.tables}
    assert actions.pop(WB.name) == "add columns"
    assert set(actions.values()) == {"keep"}
    assert bronze.columns(WB.name) == trino_ddl.column_types(WB)
    # The partition was registered before the column existed; its file has the values.
    (key,) = bronze.written
    table = Lake.from_settings(bronze.settings).read_parquet(key)
    non_null = table.num_rows - table.column("source_last_updated").null_count
    assert non_null > 0
    assert bronze.count("source_last_updated") == non_null


def test_a_retyped_column_recreates_the_table_and_the_files_stay(bronze: Bronze) -> None:
    register_on_trino(bronze.settings)
    year = WB.schema.get_field_index("year")
    older = replace(WB, schema=WB.schema.set(year, pa.field("year", pa.int64())))
    bronze.register_older(older)
    assert bronze.columns(WB.name)["year"] == "bigint"

    plan = register_on_trino(bronze.settings)
    (step,) = [t for t in plan.tables if t.table == WB.name]
    assert step.action == "recreate" and "year bigint -> integer" in step.reason
    assert bronze.columns(WB.name)["year"] == "integer"
    # Dropping the external table left its files: the new table reads every row again.
    assert bronze.count() == sum(bronze.written.values())
    lake = Lake.from_settings(bronze.settings)
    assert [lake.read_parquet(key).num_rows for key in bronze.written] == list(
        bronze.written.values()
    )
