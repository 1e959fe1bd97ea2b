"""JSON Lines in blocks: Arrow's JSON reader, DuckDB's JSON functions, Python's json.

Parsing a million records with Python's `json` costs seconds. A block of uniform
objects (the usual export) is parsed by Arrow's JSON reader. Any other block goes
to DuckDB (in memory, over the Arrow array, no copy) which finds the valid objects, their
key sets and every contract value with its JSON type. A value arrives as text exactly
when it is a JSON string, an integer or null; a record with any other value (a float, a
boolean, a nested object), with a repeated key, or that DuckDB cannot parse is read again
by Python's `json` (`JsonRecords.row`), which is the reference for every record.
Line numbers are physical lines, blank lines skipped, as the row reader counts them.
"""

from __future__ import annotations

import bisect
import io
import itertools
from collections.abc import Iterator
from typing import IO

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from sme_pulse.config import LandingLimits
from sme_pulse.ingestion.blocks import (
    BLOCK_BYTES,
    ROWS_PER_BLOCK,
    Block,
    BytesIterIO,
    block_from_rows,
    line_buffers,
    utf8_chunks,
)
from sme_pulse.ingestion.columns import PY_WHITESPACE
from sme_pulse.ingestion.drift import ColumnSet
from sme_pulse.ingestion.readers import JsonRecords, RawRow, json_lines, too_long_row

TEXT_TYPES = ("VARCHAR", "BIGINT", "UBIGINT", "NULL")
_KEY_SETS = "select keys, min(i) as first from objects group by keys order by first"


def _path(key: str) -> str:
    return "$." + '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class JsonLinesBlocks:
    """One JSON object per line, read a block of lines at a time."""

    def __init__(
        self,
        stream: IO[bytes],
        encoding: str,
        columns: ColumnSet,
        block_bytes: int = BLOCK_BYTES,
        max_row_bytes: int = LandingLimits.max_row_bytes,
    ) -> None:
        self._chunks = utf8_chunks(stream, encoding, block_bytes)
        self._max_row_bytes = max_row_bytes
        self._names = columns.names
        self._columns = columns
        self._records = JsonRecords(columns)
        self.mapper = self._records.mapper
        self.delimiter: str | None = None

    @property
    def header(self) -> list[str]:
        return self.mapper.drift().header

    def blocks(self) -> Iterator[Block]:
        # A block is a few MiB: cap DuckDB so its allocator does not keep hundreds.
        con = duckdb.connect(config={"memory_limit": "128MB", "threads": "2"})
        try:
            line = 1
            buffers = line_buffers(self._chunks)
            for data in buffers:
                if data.count(b"\r") != data.count(b"\r\n"):  # old Mac line ends
                    yield from self._row_by_row(itertools.chain([data], buffers), line)
                    return
                lines = data.split(b"\n")
                if data.endswith(b"\n"):
                    lines.pop()
                block = self._block(con, lines, line)
                line += len(lines)
                if block.read:
                    yield block
        finally:
            con.close()

    def _block(self, con: duckdb.DuckDBPyConnection, lines: list[bytes], first: int) -> Block:
        # A line over the row limit is quarantined unparsed: one huge record would
        # otherwise exhaust the parsers' memory cap and fail the whole file.
        limit = self._max_row_bytes
        too_long = [
            too_long_row(first + n, ln, limit) for n, ln in enumerate(lines) if len(ln) > limit
        ]
        if too_long:
            lines = [b"" if len(line) > limit else line for line in lines]
        text = pc.utf8_trim(pa.array(lines, pa.binary()).cast(pa.string()), PY_WHITESPACE)
        kept = pc.indices_nonzero(pc.not_equal(text, ""))
        table = pa.table({"i": pc.add(kept, first), "line": text.take(kept)})
        block = self._arrow_block(table) or self._duckdb_block(con, table)
        block.extra.extend(too_long)
        return block

    def _arrow_block(self, table: pa.Table) -> Block | None:
        """Arrow's JSON reader, when the block is uniform enough for it to be exact.

        It parses a block in a fraction of DuckDB's time but only where every line is an
        object with distinct keys and each key keeps one JSON type across the block, and
        no two keys of the block name the same contract column. Otherwise: None.
        """
        if not table.num_rows:
            return None
        payload = "\n".join(table["line"].to_pylist()).encode("utf-8")
        try:
            parsed = pj.read_json(io.BytesIO(payload))
        except pa.ArrowInvalid:
            return None
        if parsed.num_rows != table.num_rows:
            return None
        keys = tuple(parsed.column_names)
        canonical = [self._columns.canonical(key) for key in keys]
        named = [c for c in canonical if c is not None]
        if len(named) != len(set(named)):
            return None
        mapped = self._records.columns_of(keys)
        typed = pa.array([False] * parsed.num_rows)
        columns: dict[str, pa.Array] = {}
        for key, column in zip(keys, mapped, strict=True):
            if column is None:
                continue
            values = parsed[key].combine_chunks()
            if (
                pa.types.is_string(values.type)
                or pa.types.is_null(values.type)
                or pa.types.is_int64(values.type)
            ):
                columns[column] = values.cast(pa.string())
            else:
                typed = pc.or_(typed, values.is_valid())
        numbers = table["i"].combine_chunks()
        lines = table["line"]
        exact = pc.invert(typed)
        by_row = pc.indices_nonzero(typed).to_pylist()
        extra = [self._records.row(numbers[i].as_py(), lines[i].as_py()) for i in by_row]
        if by_row:
            columns = {name: values.filter(exact) for name, values in columns.items()}
            numbers, lines = numbers.filter(exact), lines.filter(exact)

        def row(i: int) -> RawRow:
            return self._records.row(numbers[i].as_py(), lines[i].as_py())

        return Block(columns, numbers, row, extra)

    def _duckdb_block(self, con: duckdb.DuckDBPyConnection, table: pa.Table) -> Block:
        con.register("block_lines", table)
        con.execute(
            "create or replace temp table objects as select i, line, json_keys(line) as keys "
            "from (select * from block_lines where json_valid(line)) "
            "where json_type(line) = 'OBJECT'"
        )
        key_sets = [tuple(keys) for keys, _ in con.execute(_KEY_SETS).fetchall()]
        usable = [keys for keys in key_sets if len(set(keys)) == len(keys)]
        mapping = {keys: self._records.columns_of(keys) for keys in usable}
        result = con.sql(self._extraction(mapping)).to_arrow_table() if usable else None
        con.unregister("block_lines")
        numbers = table["i"]
        vector_numbers = pa.array([], pa.int64())
        columns: dict[str, pa.Array] = {}
        if result is not None and result.num_rows:
            vector = result.filter(result["text_only"])
            vector_numbers = vector["i"].combine_chunks()
            present = [n for n in self._names if n in vector.column_names]
            columns = {n: vector[n].combine_chunks() for n in present}
        others = pc.indices_nonzero(pc.invert(pc.is_in(numbers, vector_numbers)))
        extra = [
            self._records.row(number, line)
            for number, line in zip(
                numbers.take(others).to_pylist(),
                table["line"].take(others).to_pylist(),
                strict=True,
            )
        ]
        all_numbers = numbers.to_pylist()
        lines_column = table["line"]

        def row(i: int) -> RawRow:
            number = vector_numbers[i].as_py()
            line = lines_column[bisect.bisect_left(all_numbers, number)].as_py()
            return self._records.row(number, line)

        return Block(columns, vector_numbers, row, extra)

    def _extraction(self, mapping: dict[tuple[str, ...], list[str | None]]) -> str:
        """One query: per contract column, the value and whether it reads as text."""
        key_sets = list(mapping)
        keys = list(dict.fromkeys(k for keys in key_sets for k in keys))
        position = {key: n + 1 for n, key in enumerate(keys)}
        paths = "[" + ", ".join(_quote(_path(k)) for k in keys) + "]"
        set_id = (
            "case "
            + " ".join(
                f"when keys = [{', '.join(_quote(k) for k in ks)}]::varchar[] then {n}"
                for n, ks in enumerate(key_sets)
            )
            + " end"
        )
        values, checks = [], []
        for name in self._names:
            cases = [
                (n, position[key])
                for n, ks in enumerate(key_sets)
                for key, column in zip(ks, mapping[ks], strict=True)
                if column == name
            ]
            if not cases:
                continue
            pick = " ".join(f"when {n} then {{}}[{p}]" for n, p in cases)
            values.append(f"case set_id {pick.format(*['v'] * len(cases))} end as {name}")
            checks.append(
                f"coalesce(case set_id {pick.format(*['t'] * len(cases))} end "
                f"in ({', '.join(_quote(t) for t in TEXT_TYPES)}), true)"
            )
        text_only = " and ".join(["set_id is not null", *checks])
        return f"""
            with parsed as (
                select i, {set_id} as set_id,
                       json_extract_string(line, {paths}) as v, json_type(line, {paths}) as t
                from objects
            )
            select i, {text_only} as text_only{"".join(", " + v for v in values)}
            from parsed order by i
        """

    def _row_by_row(self, buffers: Iterator[bytes], first: int) -> Iterator[Block]:
        text = io.TextIOWrapper(BytesIterIO(buffers), encoding="utf-8", newline=None)
        rows = json_lines(text, self._records, first)
        while batch := list(itertools.islice(rows, ROWS_PER_BLOCK)):
            yield block_from_rows(batch, self._names)
