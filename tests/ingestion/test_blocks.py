"""`CsvBlocks` numbers and splits rows exactly as Python's csv module does, at any block size."""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata

import pytest
from sme_pulse.ingestion.blocks import CsvBlocks
from sme_pulse.ingestion.drift import Column, ColumnSet

pytestmark = pytest.mark.unit

COLUMNS = ColumnSet([Column("a", True), Column("b", True), Column("c", False)])
ROWS = [
    "1,x,ạ",
    "",
    "2,y,z",
    ",,",
    "3,too,many,fields",
    '4,"quoted, comma",w',
    '5,"two\nlines",v',
    "6,after,u",
    "7,short",
    "8,last,t",
]


def reference(text: str) -> list[tuple[int, list[str]]]:
    """(row number, cells) the way the row-at-a-time reader numbered rows."""
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    start, rows = 2, []
    for cells in reader:
        number, start = start, reader.line_num + 1
        if any(cells):
            rows.append((number, cells))
    return rows


TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258_form(text: str) -> str:
    """Text as Windows-1258 spells it: precomposed letters, tones as combining marks."""
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
        out.append(base + "".join(c for c in parts if c in TONES))
    return "".join(out)


def read(data: bytes, encoding: str, block_bytes: int) -> list[tuple[int, list[str]]]:
    reader = CsvBlocks(io.BytesIO(data), encoding, COLUMNS, block_bytes=block_bytes)
    rows = []
    for block in reader.blocks():
        rows += [(r.number, r.source) for r in (block.row(i) for i in range(len(block)))]
        rows += [(r.number, r.source) for r in block.extra]
    return sorted(rows)


@pytest.mark.parametrize("block_bytes", [16, 64, 1 << 20])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_rows_and_numbers_match_the_csv_module(block_bytes: int, newline: str) -> None:
    text = newline.join(["a,b,c", *ROWS]) + newline
    assert read(text.encode(), "utf-8", block_bytes) == reference(text)


def test_a_file_without_line_breaks_in_values_is_read_in_blocks() -> None:
    text = "\n".join(["a,b,c", *[f"{i},x{i},y" for i in range(500)], "", "7,short"]) + "\n"
    assert read(text.encode(), "utf-8", 256) == reference(text)


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8-sig", codecs.BOM_UTF8), ("utf-16", b""), ("cp1258", b"")],
)
def test_other_encodings_read_as_the_same_rows(encoding: str, prefix: bytes) -> None:
    text = "\n".join(["a,b,c", "1,Đà Nẵng,ư", "2,Cần Thơ,ơ"]) + "\n"
    written = cp1258_form(text) if encoding == "cp1258" else text
    rows = read(prefix + written.encode(encoding), encoding, 8)
    # Windows-1258 writes some tones as combining marks; the contracts' NFC composes them.
    composed = [(n, [unicodedata.normalize("NFC", c) for c in cells]) for n, cells in rows]
    assert composed == reference(text)
