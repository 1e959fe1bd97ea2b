"""Row-at-a-time readers for JSON Lines and XLSX, and the raw row every reader yields.

CSV is read in Arrow blocks by `ingestion.blocks.CsvBlocks`; these readers cover the
formats whose values arrive typed. A reader knows the file format and nothing about the
contract beyond column names: it maps each row's names to contract columns (through
`HeaderMapper`, which also records schema drift), keeps the row as found for the
quarantine, and flags rows it could not split properly (ragged rows, JSON that does not
parse). Rows with no value at all (spreadsheets leave them at the end) are skipped and
not counted.

JSON Lines is read as a text stream in batches, so memory does not grow with the file.
XLSX is a zip archive that needs random access, so the workbook's bytes are held in
memory while openpyxl streams its rows in read-only mode; only the first sheet is read.

Input limits (`LandingLimits`, from LANDING_MAX_* / XLSX_MAX_* settings) are checked
here, before anything is parsed: `landing_object_problem` refuses a landing key that could
leave its prefix (`..`, an absolute path, a backslash, NUL or another control character)
and a file over the size limit; `xlsx_archive_problem` refuses a workbook whose members
would inflate past the unzipped-size or ratio limit (a zip bomb). Python's `zipfile`,
which openpyxl reads through, never inflates a member past the size its header declares,
so checking the declared sizes bounds what parsing can allocate.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import IO, Any, Protocol

from sme_pulse.config import LandingLimits
from sme_pulse.errors import SmePulseError
from sme_pulse.ingestion.drift import ColumnSet, HeaderMapper
from sme_pulse.ingestion.rules import Violation

DELIMITERS = (",", ";", "\t")
# S3's own limit on a key; a longer name is not a landing export.
MAX_KEY_BYTES = 1024
# Members smaller than this are not judged by ratio: a few KB of repeated XML compress
# far beyond any sane ratio and are harmless.
RATIO_FLOOR_BYTES = 1 << 20
# The parts a workbook has: sheets, styles, shared strings, relationships.
MAX_ZIP_MEMBERS = 10_000


class ReadError(SmePulseError, ValueError):
    """The file cannot be parsed at all (empty, corrupt workbook, broken quoting)."""


def unsafe_key_reason(key: str) -> str | None:
    """Why a landing key could escape its prefix or confuse a path, or None when safe."""
    if not key:
        return "the file name is empty"
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        return f"the file name is longer than {MAX_KEY_BYTES} bytes"
    bad = next((ch for ch in key if ord(ch) < 0x20 or ord(ch) == 0x7F), None)
    if bad is not None:
        return f"the file name contains the control character U+{ord(bad):04X}"
    if "\\" in key:
        return "the file name contains a backslash"
    if key.startswith("/") or (len(key) > 1 and key[1] == ":" and key[0].isalpha()):
        return "the file name is an absolute path"
    if any(part in ("..", ".") for part in key.split("/")):
        return "the file name has a '.' or '..' path segment"
    if "//" in key:
        return "the file name has an empty path segment"
    return None


def landing_object_problem(key: str, size: int, limits: LandingLimits) -> str | None:
    """Why a landing object is refused unread (unsafe name, too large), or None."""
    reason = unsafe_key_reason(key)
    if reason is None and size > limits.max_file_bytes:
        reason = (
            f"the file is {size} bytes, over the limit of {limits.max_file_bytes} "
            "(LANDING_MAX_FILE_MB)"
        )
    return reason


def xlsx_archive_problem(payload: bytes, limits: LandingLimits) -> str | None:
    """Why a workbook's zip archive is refused before it is opened, or None."""
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return f"not a readable XLSX workbook: {exc}"
    if len(members) > MAX_ZIP_MEMBERS:
        return f"the workbook has {len(members)} parts, over {MAX_ZIP_MEMBERS}"
    for member in members:
        if member.file_size < RATIO_FLOOR_BYTES:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > limits.max_zip_ratio:
            return (
                f"the workbook part {member.filename} inflates {ratio:.0f} times, over the "
                f"limit of {limits.max_zip_ratio} (XLSX_MAX_ZIP_RATIO): a zip bomb"
            )
    total = sum(member.file_size for member in members)
    if total > limits.max_unzipped_bytes:
        return (
            f"the workbook unzips to {total} bytes, over the limit of "
            f"{limits.max_unzipped_bytes} (XLSX_MAX_UNZIPPED_MB)"
        )
    return None


class RawRow:
    """One row as read: its position, values by contract column, and the original."""

    __slots__ = ("defect", "number", "source", "values")

    def __init__(
        self,
        number: int,
        values: dict[str, object],
        source: list[Any] | dict[str, Any] | str,
        defect: Violation | None = None,
    ) -> None:
        self.number = number
        self.values = values
        self.source = source
        self.defect = defect


class RowReader(Protocol):
    mapper: HeaderMapper
    header: list[str]
    delimiter: str | None

    def batches(self, size: int) -> Iterator[list[RawRow]]: ...


def header_defect(mapper: HeaderMapper) -> Violation | None:
    missing = mapper.drift().missing_required
    if not missing:
        return None
    return Violation(
        "missing_required_column",
        missing[0],
        f"the file has no {', '.join(missing)} column; every row is quarantined",
    )


def too_long_row(number: int, line: bytes, limit: int) -> RawRow:
    """A line over `limit` bytes, never parsed: quarantined with its start and its size
    (the whole line stays in the landing file, whose SHA-256 the manifest keeps)."""
    head = line[:200].decode("utf-8", "replace")
    return RawRow(
        number,
        {},
        head + "...",
        Violation(
            "row_too_long", "", f"{len(line)} bytes, over the limit of {limit} (LANDING_MAX_ROW_KB)"
        ),
    )


def tabular_row(
    number: int,
    cells: list[Any],
    positions: list[tuple[str, int]],
    width: int,
    defect: Violation | None,
) -> RawRow:
    if defect is None and len(cells) != width:
        defect = Violation(
            "field_count_mismatch", "", f"{len(cells)} fields where the header has {width}"
        )
    values = {column: cells[i] for column, i in positions if i < len(cells)}
    return RawRow(number, values, cells, defect)


class JsonRecords:
    """Turns one JSON Lines line into a raw row; each record may carry its own keys."""

    def __init__(self, columns: ColumnSet) -> None:
        self.mapper = HeaderMapper(columns)
        self._mapped: dict[tuple[str, ...], list[str | None]] = {}

    def columns_of(self, keys: tuple[str, ...]) -> list[str | None]:
        """Contract column per key; records of one export share a handful of key sets."""
        columns = self._mapped.get(keys)
        if columns is None:
            columns = self._mapped[keys] = self.mapper.observe(keys)
        return columns

    def row(self, number: int, line: str) -> RawRow:
        try:
            record = json.loads(line)
        except ValueError as exc:
            return RawRow(number, {}, line, Violation("invalid_json", "", f"not JSON: {exc}"))
        if not isinstance(record, dict):
            kind = type(record).__name__
            defect = Violation("not_an_object", "", f"a JSON {kind}, not an object")
            return RawRow(number, {}, line, defect)
        keys = tuple(record)
        columns = self.columns_of(keys)
        values = {column: record[key] for key, column in zip(keys, columns, strict=True) if column}
        return RawRow(number, values, record)


def json_lines(text: IO[str], records: JsonRecords, first: int = 1) -> Iterator[RawRow]:
    """Every non-blank line of `text` as a raw row, numbered from `first`."""
    for number, line in enumerate(text, start=first):
        stripped = line.strip()
        if stripped:
            yield records.row(number, stripped)


class XlsxReader:
    """The first worksheet of a workbook; the first non-empty row is the header."""

    def __init__(
        self, payload: bytes, columns: ColumnSet, limits: LandingLimits | None = None
    ) -> None:
        self._payload = payload
        self._limits = limits or LandingLimits()
        self.mapper = HeaderMapper(columns)
        self.header: list[str] = []
        self.delimiter: str | None = None

    def batches(self, size: int) -> Iterator[list[RawRow]]:
        # openpyxl takes a fifth of a second to import; only workbooks need it.
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        problem = xlsx_archive_problem(self._payload, self._limits)
        if problem:
            raise ReadError(problem)
        try:
            workbook = openpyxl.load_workbook(
                io.BytesIO(self._payload), read_only=True, data_only=True
            )
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
            raise ReadError(f"not a readable XLSX workbook: {exc}") from exc
        try:
            yield from self._rows(workbook.worksheets[0], size)
        finally:
            workbook.close()

    def _rows(self, sheet: Any, size: int) -> Iterator[list[RawRow]]:
        rows = enumerate(sheet.iter_rows(values_only=True), start=1)
        for _, cells in rows:
            if any(cell is not None for cell in cells):
                header = list(cells)
                break
        else:
            raise ReadError("the workbook's first sheet is empty: no header row")
        while header and header[-1] is None:
            header.pop()
        self.header = [
            f"column_{i + 1}" if name is None else str(name).strip()
            for i, name in enumerate(header)
        ]
        columns = self.mapper.observe(self.header)
        positions = [(column, i) for i, column in enumerate(columns) if column]
        defect = header_defect(self.mapper)
        width = len(self.header)
        batch: list[RawRow] = []
        for number, cells in rows:
            row = list(cells)
            while len(row) > width and row[-1] is None:
                row.pop()
            if all(cell is None or cell == "" for cell in row):
                continue
            row.extend([None] * (width - len(row)))
            batch.append(tabular_row(number, row, positions, width, defect))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


def raw_record(row: RawRow, header: list[str]) -> dict[str, Any] | str:
    """The row keyed by the file's own column names; extra cells as `_extra_<n>`."""
    if not isinstance(row.source, list):
        return row.source
    record: dict[str, Any] = {}
    for i, cell in enumerate(row.source):
        name = header[i] if i < len(header) else f"_extra_{i + 1}"
        record[name if name not in record else f"{name}_{i + 1}"] = cell
    return record
