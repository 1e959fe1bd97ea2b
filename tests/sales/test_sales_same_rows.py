"""Bronze and quarantine are what the row-at-a-time ingestion produced, row for row.

The reference below is the ingestion as it was before blocks and column expressions:
Python's csv and json modules, one `Validator.validate` per row. On the generated shop
(all five channels, 10 % dirty lines) the real ingestion must load the same lines with
the same values and row numbers, and quarantine the same rows with the same reason,
detail and raw record.
"""

from __future__ import annotations

import csv
import io
import itertools
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sme_pulse.config import Settings
from sme_pulse.feeds.generator import GeneratorConfig, generate
from sme_pulse.ingestion.admin_units import load_admin_units
from sme_pulse.ingestion.drift import HeaderMapper
from sme_pulse.ingestion.readers import (
    JsonRecords,
    RawRow,
    header_defect,
    json_lines,
    raw_record,
    tabular_row,
)
from sme_pulse.ingestion.rules import raw_record_json, reason_of
from sme_pulse.sales import ingest_sales
from sme_pulse.sales.contract import COLUMNS, LINE_FIELDS, Validator
from sme_pulse.sources.lineage import RunContext

pytestmark = pytest.mark.integration

Line = tuple[Any, ...]
Reject = tuple[str, int, str, str, str]


def csv_rows(path: Path) -> tuple[list[RawRow], list[str]]:
    text = io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")
    first = text.readline()
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(itertools.chain([first], text), delimiter=delimiter)
    header = [name.replace("\ufeff", "").strip() for name in next(reader)]
    mapper = HeaderMapper(COLUMNS)
    positions = [(c, i) for i, c in enumerate(mapper.observe(header)) if c]
    defect = header_defect(mapper)
    rows, start = [], reader.line_num + 1
    for cells in reader:
        number, start = start, reader.line_num + 1
        if any(cells):
            rows.append(tabular_row(number, cells, positions, len(header), defect))
    return rows, header


def reference(landing: Path, validator: Validator) -> tuple[set[Line], set[Reject]]:
    lines: set[Line] = set()
    rejects: set[Reject] = set()
    for path in sorted(landing.rglob("*")):
        if path.suffix == ".csv":
            rows, header = csv_rows(path)
        elif path.suffix == ".jsonl":
            with path.open(encoding="utf-8") as text:
                rows, header = list(json_lines(text, JsonRecords(COLUMNS))), []
        else:
            continue
        for row in rows:
            check = validator.validate(row.values) if row.defect is None else None
            if check is not None and check.values is not None:
                values = tuple(check.values[f.name] for f in LINE_FIELDS)
                lines.add((path.name, row.number, *values))
            else:
                errors = [row.defect] if check is None else check.violations
                reason, detail = reason_of(errors)
                raw = raw_record_json(raw_record(row, header))
                rejects.add((path.name, row.number, reason, detail, raw))
    return lines, rejects


def test_bronze_and_quarantine_equal_the_row_at_a_time_ingestion(
    settings: Settings, run: RunContext, dataset: Any
) -> None:
    landing = Path(settings.landing_uri)
    generate(landing, GeneratorConfig(customers=300, seed=11, dirty_share=0.1))
    for workbook in landing.rglob("*.xlsx"):  # read by the same row reader either way
        workbook.unlink()
    report = ingest_sales(settings, run)
    assert not report.failed
    validator = Validator(load_admin_units(), run.ingested_at + timedelta(days=1))
    expected_lines, expected_rejects = reference(landing, validator)
    names = [f.name for f in LINE_FIELDS]
    loaded = {
        (Path(r["source_file"]).name, r["source_row_number"], *(r[n] for n in names))
        for r in dataset("bronze/sales/order_lines").to_pylist()
    }
    rejected = {
        (
            Path(r["source_file"]).name,
            r["source_row_number"],
            r["reason"],
            r["reason_detail"],
            r["raw_record"],
        )
        for r in dataset("quarantine/sales/order_lines").to_pylist()
    }
    assert len(expected_lines) > 1000 and len(expected_rejects) > 50
    assert loaded == expected_lines
    assert rejected == expected_rejects
