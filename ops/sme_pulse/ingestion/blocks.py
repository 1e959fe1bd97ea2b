"""Rows in blocks: what every reader hands the contracts, and the fast CSV reader.

A `Block` holds a batch of rows as Arrow text columns (one per contract column, exactly
as read) so a contract checks them with column expressions, plus the rows only the
row-at-a-time rules may decide (`extra`: ragged CSV rows, JSON that does not parse,
values that are not text). `row(i)` gives any row back as a `RawRow` for the quarantine.

`CsvBlocks` reads CSV at the speed of Arrow's multi-threaded parser. It cuts the byte
stream at line ends into blocks of a few MiB and parses each with every column as text;
a block whose physical lines and parsed rows agree one to one and whose quotes pair up
(the usual case) gets its row numbers by counting. When they do not (a quoted value
spanning lines), the rest of the file is read by Python's csv module, row by row, which
numbers rows the same way.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from sme_pulse.ingestion.drift import ColumnSet, HeaderMapper
from sme_pulse.ingestion.readers import (
    DELIMITERS,
    RawRow,
    ReadError,
    RowReader,
    header_defect,
    tabular_row,
)

BLOCK_BYTES = 4 << 20
ROWS_PER_BLOCK = 20_000


@dataclass
class Block:
    """One batch of rows; `text` columns and `numbers` cover the vectorised rows."""

    text: dict[str, pa.Array]
    numbers: pa.Array
    row: Callable[[int], RawRow]
    extra: list[RawRow] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.numbers)

    @property
    def read(self) -> int:
        return len(self.numbers) + len(self.extra)

    def column(self, name: str) -> pa.Array:
        """The column as read; all null when the file does not carry it."""
        found = self.text.get(name)
        return found if found is not None else pa.nulls(len(self.numbers), pa.string())


def _as_text(value: object) -> tuple[str | None, bool]:
    """A value as the text the column expressions read, and whether that is exact.

    JSON numbers and Excel cells arrive typed; integers and naive datetimes read the same
    as their text, anything else (floats, dates, booleans, nested JSON) is left to the
    row rules, which know every type.
    """
    if value is None or type(value) is str:
        return value, True  # type: ignore[return-value]
    if type(value) is int:
        return str(value), True
    if type(value) is datetime and value.tzinfo is None and not value.microsecond:
        return str(value), True
    return None, False


def block_from_rows(rows: list[RawRow], names: Iterable[str]) -> Block:
    """A block from rows a Python reader produced (JSON Lines, XLSX, awkward CSV).

    Built column by column: a column of text (the usual case) goes to Arrow as it is;
    a row with a value that does not read exactly as text goes to `extra`.
    """
    vector = [row for row in rows if row.defect is None]
    extra = [row for row in rows if row.defect is not None]
    columns: dict[str, list[str | None]] = {}
    typed: set[int] = set()
    for name in names:
        values = [row.values.get(name) for row in vector]
        kinds = set(map(type, values))
        if kinds <= {str, type(None)}:
            if kinds != {type(None)}:
                columns[name] = values  # type: ignore[assignment]
            continue
        texts = []
        for i, value in enumerate(values):
            text, exact = _as_text(value)
            if not exact:
                typed.add(i)
            texts.append(text)
        columns[name] = texts
    if typed:
        keep = [i for i in range(len(vector)) if i not in typed]
        extra += [vector[i] for i in sorted(typed)]
        vector = [vector[i] for i in keep]
        columns = {name: [values[i] for i in keep] for name, values in columns.items()}
    return Block(
        text={name: pa.array(values, pa.string()) for name, values in columns.items()},
        numbers=pa.array([row.number for row in vector], pa.int64()),
        row=vector.__getitem__,
        extra=extra,
    )


def utf8_chunks(stream: IO[bytes], encoding: str, size: int) -> Iterator[bytes]:
    """The stream re-encoded as UTF-8 (no BOM), in chunks of about `size` bytes."""
    if encoding in ("utf-8", "utf-8-sig"):
        first = True
        while chunk := stream.read(size):
            if first and chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[len(codecs.BOM_UTF8) :]
            first = False
            yield chunk
        return
    decoder = codecs.getincrementaldecoder(encoding)()
    while chunk := stream.read(size):
        yield decoder.decode(chunk).encode("utf-8")
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail.encode("utf-8")


def line_buffers(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """UTF-8 buffers that end at a line end (the last one at the end of the file)."""
    rest = b""
    for chunk in chunks:
        buffer = rest + chunk
        cut = buffer.rfind(b"\n") + 1
        if cut == 0:
            rest = buffer
            continue
        yield buffer[:cut]
        rest = buffer[cut:]
    if rest:
        yield rest


def _line_end(data: bytes) -> int:
    """Length of the first line including its terminator ('\\n', '\\r' or '\\r\\n')."""
    ends = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
    if not ends:
        return len(data)
    end = min(ends)
    return end + 2 if data[end : end + 2] == b"\r\n" else end + 1


def _physical_lines(data: bytes) -> int:
    crlf = data.count(b"\r\n")
    ends = data.count(b"\n") + data.count(b"\r") - crlf
    return ends + (0 if data.endswith((b"\n", b"\r")) else 1)


class CsvBlocks:
    """Comma, semicolon or tab separated text; the separator is taken from the header line."""

    def __init__(
        self, stream: IO[bytes], encoding: str, columns: ColumnSet, block_bytes: int = BLOCK_BYTES
    ) -> None:
        self._chunks = utf8_chunks(stream, encoding, block_bytes)
        self.mapper = HeaderMapper(columns)
        self.header: list[str] = []
        self.delimiter: str | None = None

    def blocks(self) -> Iterator[Block]:
        buffers = line_buffers(self._chunks)
        first = next(buffers, b"")
        head = _line_end(first)
        first_line = first[:head].decode("utf-8")
        if not first_line.strip():
            raise ReadError("the file is empty: no header line")
        self.delimiter = max(DELIMITERS, key=first_line.count)
        self.header = [
            name.replace("\ufeff", "").strip()
            for name in next(csv.reader([first_line.rstrip("\r\n")], delimiter=self.delimiter))
        ]
        mapped = self.mapper.observe(self.header)
        self._positions = [(column, i) for i, column in enumerate(mapped) if column]
        self._defect = header_defect(self.mapper)
        self._width = len(self.header)
        line = 2
        rest = itertools.chain([first[head:]], buffers)
        for data in rest:
            if not data:
                continue
            parsed = self._parse(data, line)
            if parsed is None:
                yield from self._row_by_row(itertools.chain([data], rest), line)
                return
            block, lines = parsed
            line += lines
            if block.read:
                yield block

    def _read(self, data: bytes, threads: bool) -> tuple[pa.Table, list[tuple[int, str]]]:
        invalid: list[tuple[int, str]] = []

        def handler(row: Any) -> str:
            invalid.append((row.number, row.text))
            return "skip"

        names = [f"f{i}" for i in range(self._width)]
        table = pcsv.read_csv(
            io.BytesIO(data),
            read_options=pcsv.ReadOptions(column_names=names, use_threads=threads),
            parse_options=pcsv.ParseOptions(
                delimiter=self.delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=handler,
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        return table, invalid

    def _parse(self, data: bytes, first_line: int) -> tuple[Block, int] | None:
        """The block and its physical line count, or None when lines and rows disagree."""
        if self._defect is not None or data.count(b'"') % 2:
            return None  # a rejected header, or cut inside a quoted value
        lines = _physical_lines(data)
        try:
            table, invalid = self._read(data, threads=True)
            if invalid:
                table, invalid = self._read(data, threads=False)
        except pa.ArrowInvalid:
            return None
        if table.num_rows + len(invalid) != lines or any(n is None for n, _ in invalid):
            return None
        skipped = {number - 1 for number, _ in invalid}
        kept = [i for i in range(lines) if i not in skipped] if skipped else None
        offsets = pa.array(kept, pa.int64()) if kept is not None else pa.arange(0, lines)
        numbers = pc.add(offsets, first_line)
        blank = pc.equal(table.column(0), "")
        if pc.any(blank).as_py():
            blank = functools.reduce(pc.and_, [pc.equal(c, "") for c in table.columns])
        if pc.any(blank).as_py():
            keep = pc.invert(blank)
            table = table.filter(keep)
            numbers = numbers.filter(keep)
        extra = [
            tabular_row(first_line + number - 1, cells, self._positions, self._width, None)
            for number, text in invalid
            if any(cells := next(csv.reader([text], delimiter=self.delimiter), []))
        ]
        columns = [c.combine_chunks() for c in table.columns]

        def row(i: int) -> RawRow:
            cells = [c[i].as_py() for c in columns]
            return tabular_row(numbers[i].as_py(), cells, self._positions, self._width, None)

        text = {column: columns[i] for column, i in self._positions}
        return Block(text, numbers, row, extra), lines

    def _row_by_row(self, buffers: Iterator[bytes], first_line: int) -> Iterator[Block]:
        """The rest of the file through Python's csv module (quoted line breaks)."""
        stream = io.TextIOWrapper(BytesIterIO(buffers), encoding="utf-8", newline="")
        reader = csv.reader(stream, delimiter=self.delimiter)
        names = [c for c, _ in self._positions]
        start = first_line
        batch: list[RawRow] = []
        for cells in reader:
            number, start = start, first_line + reader.line_num
            if not any(cells):
                continue
            batch.append(tabular_row(number, cells, self._positions, self._width, self._defect))
            if len(batch) >= ROWS_PER_BLOCK:
                yield block_from_rows(batch, names)
                batch = []
        if batch:
            yield block_from_rows(batch, names)


class RowBlocks:
    """Blocks from a row-at-a-time reader (JSON Lines, XLSX)."""

    def __init__(self, reader: RowReader, columns: ColumnSet) -> None:
        self._reader = reader
        self._names = columns.names
        self.mapper = reader.mapper

    @property
    def header(self) -> list[str]:
        return self._reader.header

    @property
    def delimiter(self) -> str | None:
        return self._reader.delimiter

    def blocks(self) -> Iterator[Block]:
        for batch in self._reader.batches(ROWS_PER_BLOCK):
            yield block_from_rows(batch, self._names)


class BytesIterIO(io.RawIOBase):
    """A readable raw stream over an iterator of byte strings."""

    def __init__(self, parts: Iterator[bytes]) -> None:
        self._parts = parts
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._pending:
            self._pending = next(self._parts, b"")
            if not self._pending:
                return 0
        size = min(len(target), len(self._pending))
        target[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
