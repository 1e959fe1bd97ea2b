"""Every bronze table, declared once: its name, its folder in the lake, its partition key
and the Arrow schema its writer uses. The quarantine datasets (the rows each writer
rejected, under `quarantine/`) are declared the same way, so both engines read them too.

The Parquet files are written with the Arrow schemas, so the schemas are the source of
truth: the Trino DDL (`trino_ddl`) is generated from this list, and the DuckDB sources'
yml (`dbt/models/staging/*/_*__sources.yml`) is checked against it by
tests/dbt/test_bronze_contract.py. Adding a column to bronze is one edit, in the writer's
schema; adding a table is one entry here, plus its source in the yml.

Nothing here repeats a string the writers own: the folders and schemas are imported from
the modules that write them.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

import pyarrow as pa

from sme_pulse.crm import commits as crm_commits
from sme_pulse.crm import contract as crm_contract
from sme_pulse.crm import ingest as crm_ingest
from sme_pulse.errors import SmePulseError
from sme_pulse.sales import contract as sales_contract
from sme_pulse.sales import layout as sales_layout
from sme_pulse.sales import manifest as sales_manifest
from sme_pulse.sources import provinces, world_bank
from sme_pulse.sources import quarantine as api_quarantine
from sme_pulse.stream import contract as stream_contract
from sme_pulse.stream import layout as stream_layout

BRONZE_ROOT = "bronze"
"""The lake folder every bronze table lives under (Trino's `hive.bronze` location)."""
QUARANTINE_ROOT = "quarantine"
"""The lake folder the rejected rows live under; their tables are in `hive.bronze` too."""
ROOTS = (BRONZE_ROOT, QUARANTINE_ROOT)

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


class BronzeDeclarationError(SmePulseError, ValueError):
    """A bronze table is declared so that the warehouse could not read it as written."""


@dataclass(frozen=True)
class BronzeTable:
    """One bronze dataset as both engines read it."""

    name: str
    """`hive.bronze.<name>` on Trino, and the dbt source's `identifier`."""
    path: str
    """Folder under the lake root, as the writer spells it: `bronze/<source>/<dataset>`
    (or `quarantine/<source>/<dataset>` for the rows a writer rejected)."""
    schema: pa.Schema
    """The Arrow schema the writer writes every Parquet file with."""
    partition: str = "ingest_date"
    """The Hive folder key (`<path>/<partition>=<value>/*.parquet`): a string on both engines.

    A partition key that is also a column inside the files (the sales manifest's
    `file_slug`) is declared once, as the partition: both hold the same value, and the
    folder's value is the one both engines return.
    """

    def __post_init__(self) -> None:
        # Hive lower-cases names and Trino matches Parquet columns by name: a name
        # that is not plain lower snake case would read as NULL, so refuse it here.
        for kind, value in [("table", self.name), ("partition", self.partition)] + [
            ("column", field.name) for field in self.schema
        ]:
            if not _IDENTIFIER.fullmatch(value):
                raise BronzeDeclarationError(
                    f"bronze {self.name}: {kind} name {value!r} is not lower snake case"
                )
        if not self.path.startswith(tuple(f"{root}/" for root in ROOTS)) or self.path.endswith("/"):
            raise BronzeDeclarationError(
                f"bronze {self.name}: path {self.path!r} must be a folder under "
                + " or ".join(f"{root}/" for root in ROOTS)
            )
        if self.partition in self.schema.names:
            inside = self.schema.field(self.partition).type
            if not pa.types.is_string(inside):
                raise BronzeDeclarationError(
                    f"bronze {self.name}: partition {self.partition!r} is {inside} in the files "
                    "but a string in the folder names"
                )

    @property
    def columns(self) -> tuple[pa.Field, ...]:
        """The columns read from the files, in schema order, without the partition key."""
        return tuple(field for field in self.schema if field.name != self.partition)

    @property
    def column_names(self) -> frozenset[str]:
        """Every name a query can use: the file columns and the partition key."""
        return frozenset([*self.schema.names, self.partition])

    def location(self, lake_uri: str) -> str:
        """The table's folder on a lake (`s3://bucket`, or a local folder)."""
        return f"{lake_uri.rstrip('/')}/{self.path}"


def _api_quarantine_prefix(source: str, dataset: str) -> str:
    """The folder `sources.quarantine` writes an API dataset's rejected records to: its
    key without the `ingest_date=<d>/part-0.parquet` tail, so the layout stays the writer's."""
    return posixpath.dirname(posixpath.dirname(api_quarantine.quarantine_key(source, dataset, "d")))


def _api_quarantine(name: str, source: str, dataset: str) -> BronzeTable:
    return BronzeTable(
        name, _api_quarantine_prefix(source, dataset), api_quarantine.QUARANTINE_SCHEMA
    )


BRONZE_TABLES: tuple[BronzeTable, ...] = (
    BronzeTable("wb_indicators", world_bank.INDICATORS_PREFIX, world_bank.SCHEMA),
    BronzeTable("vn_provinces", provinces.PROVINCES_PREFIX, provinces.PROVINCE_SCHEMA),
    BronzeTable("vn_districts", provinces.DISTRICTS_PREFIX, provinces.DISTRICT_SCHEMA),
    BronzeTable(
        "sales_order_lines",
        sales_layout.ORDER_LINES_PREFIX,
        sales_contract.ORDER_LINES_SCHEMA,
        partition="file_slug",
    ),
    BronzeTable(
        "sales_load_manifest",
        sales_layout.MANIFEST_PREFIX,
        sales_manifest.MANIFEST_SCHEMA,
        partition="file_slug",
    ),
    BronzeTable("crm_customers", crm_ingest.CUSTOMERS_PREFIX, crm_contract.CUSTOMERS_SCHEMA),
    BronzeTable("crm_load_manifest", crm_ingest.MANIFEST_PREFIX, crm_ingest.MANIFEST_SCHEMA),
    BronzeTable(
        "stream_order_events",
        stream_layout.ORDER_EVENTS_PREFIX,
        stream_contract.ORDER_EVENTS_SCHEMA,
        partition=stream_layout.PARTITION_KEY,
    ),
    BronzeTable(
        "sales_order_lines_quarantine",
        sales_layout.QUARANTINE_PREFIX,
        sales_contract.QUARANTINE_SCHEMA,
        partition="file_slug",
    ),
    BronzeTable(
        "crm_customers_quarantine", crm_commits.QUARANTINE_PREFIX, crm_contract.QUARANTINE_SCHEMA
    ),
    _api_quarantine("wb_indicators_quarantine", world_bank.SOURCE, world_bank.DATASET),
    _api_quarantine("vn_provinces_quarantine", provinces.SOURCE, provinces.PROVINCES),
    _api_quarantine("vn_districts_quarantine", provinces.SOURCE, provinces.DISTRICTS),
    BronzeTable(
        "stream_order_events_quarantine",
        stream_layout.QUARANTINE_PREFIX,
        stream_contract.QUARANTINE_SCHEMA,
        partition=stream_layout.PARTITION_KEY,
    ),
)


def bronze_table(name: str) -> BronzeTable:
    """The declared table called `name`; KeyError names the ones that exist."""
    for table in BRONZE_TABLES:
        if table.name == name:
            return table
    raise KeyError(f"no bronze table {name!r}: {', '.join(t.name for t in BRONZE_TABLES)}")
