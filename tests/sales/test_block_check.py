"""The column expressions agree with the row rules on every row of the generated shop.

`check_block` may only call a row valid when `Validator.validate` does, with the same
bronze values; every row it is unsure of goes to the row rules. Checked on all five
channels' exports (CSV dialects, JSON Lines, XLSX) with the generator's dirty rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from sme_pulse.feeds.generator import GeneratorConfig, generate
from sme_pulse.ingestion.admin_units import load_admin_units
from sme_pulse.ingestion.blocks import CsvBlocks, RowBlocks
from sme_pulse.ingestion.json_blocks import JsonLinesBlocks
from sme_pulse.ingestion.readers import XlsxReader
from sme_pulse.sales.block_check import check_block
from sme_pulse.sales.contract import COLUMNS, LINE_FIELDS, Validator

pytestmark = pytest.mark.unit

LATEST = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("landing")
    generate(folder, GeneratorConfig(customers=400, seed=7, dirty_share=0.1))
    return folder


def _blocks(path: Path):
    if path.suffix == ".xlsx":
        return RowBlocks(XlsxReader(path.read_bytes(), COLUMNS), COLUMNS).blocks()
    stream = path.open("rb")
    if path.suffix == ".jsonl":
        return JsonLinesBlocks(stream, "utf-8", COLUMNS, block_bytes=4096).blocks()
    return CsvBlocks(stream, "utf-8-sig", COLUMNS, block_bytes=4096).blocks()


def test_every_sure_row_is_valid_with_the_row_rules_values(landing: Path) -> None:
    validator = Validator(load_admin_units(), LATEST)
    units = load_admin_units()
    files = sorted(p for p in landing.rglob("*") if p.suffix in (".csv", ".jsonl", ".xlsx"))
    assert {p.suffix for p in files} == {".csv", ".jsonl", ".xlsx"}
    sure_rows = unsure_valid = rejected = 0
    for path in files:
        for block in _blocks(path):
            check = check_block(block, units, LATEST)
            sure = check.sure.to_pylist()
            values = pa.table({f.name: check.values[f.name].cast(f.type) for f in LINE_FIELDS})
            rows = values.to_pylist()
            for i, is_sure in enumerate(sure):
                reference = validator.validate(block.row(i).values)
                if is_sure:
                    assert reference.values == rows[i], (path.name, block.row(i).number)
                    sure_rows += 1
                elif reference.values is not None:
                    unsure_valid += 1
                else:
                    rejected += 1
    # XLSX cells arrive typed (floats, Excel dates): those rows are decided row by row.
    assert sure_rows > 5 * unsure_valid and rejected > 20
