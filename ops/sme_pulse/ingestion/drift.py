"""Which columns a source may carry, how its own names map to them, and how it drifted.

Files: sources name columns their own way (Vietnamese POS headers such as 'Mã hóa đơn',
marketplace names such as 'qty'), so a `ColumnSet` matches names regardless of case,
accents, spacing and punctuation and through each column's aliases; `HeaderMapper`
records what it saw as a `SchemaDrift`, which the load manifest keeps.

JSON APIs: a `RecordContract` reads each record's fields into their bronze types under
one policy (docs/sources.md). A value whose JSON type changed but converts without loss
(`"1.5"` for a number, `2020` for the text year) is converted and counted in a
`RecordDrift`; a value that does not convert sends its record to quarantine with the
reason; a field that no record of a response carries was renamed or removed upstream,
and that is a `ContractViolationError`: one line, and nothing is written.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sme_pulse.errors import SmePulseError
from sme_pulse.ingestion.rules import Violation
from sme_pulse.ingestion.values import ascii_key


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    aliases: tuple[str, ...] = ()


class ColumnSet:
    """A contract's columns in order, with the lookup from any accepted name to a column."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)
        self.names = tuple(c.name for c in columns)
        self.required = frozenset(c.name for c in columns if c.required)
        self._keys = {key: c.name for c in columns for key in (ascii_key(c.name), *c.aliases)}

    def canonical(self, raw_name: str) -> str | None:
        """The contract column a name stands for, or None for an unknown column."""
        return self._keys.get(ascii_key(raw_name.replace("\ufeff", "")))


@dataclass
class SchemaDrift:
    """How one file's columns differ from the contract; stored in the load manifest."""

    header: list[str]
    missing_required: list[str] = field(default_factory=list)
    missing_optional: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    reordered: bool = False

    @property
    def drifted(self) -> bool:
        """Columns missing or unknown. A documented alias (a Vietnamese header) and another
        column order are how exports are written, not drift: the manifest keeps them."""
        return bool(self.missing_required or self.missing_optional or self.extra)

    def describe(self) -> str:
        """Drift in an owner's words. Aliases and column order are not listed (see `drifted`)."""
        parts = []
        for label, names in (
            ("missing required", self.missing_required),
            ("missing optional (read as empty)", self.missing_optional),
            ("extra, dropped", self.extra),
        ):
            if names:
                parts.append(f"{label}: {', '.join(names)}")
        return "; ".join(parts) or "matches the contract"


class HeaderMapper:
    """Maps the names a file uses to contract columns and records the drift it sees.

    CSV and XLSX call `observe` once with the header row; JSON Lines calls it with each
    record's keys, so the drift of a JSONL file is the union over its records. A second
    name for a column already present in the same row (say 'qty' next to 'quantity') is
    treated as an extra column.
    """

    def __init__(self, columns: ColumnSet) -> None:
        self._columns = columns
        self._header: list[str] = []
        self._seen: dict[str, str | None] = {}
        self._repeated: list[str] = []

    def observe(self, names: Sequence[str]) -> list[str | None]:
        """Contract column per position (None for unknown or repeated columns)."""
        mapped: list[str | None] = []
        taken: set[str] = set()
        first_call = not self._header
        for name in names:
            if name not in self._seen:
                self._seen[name] = self._columns.canonical(name)
                if not first_call:
                    self._header.append(name)
            if first_call:
                self._header.append(name)
            canonical = self._seen[name]
            if canonical is not None and canonical in taken:
                if name not in self._repeated:
                    self._repeated.append(name)
                canonical = None
            elif canonical is not None:
                taken.add(canonical)
            mapped.append(canonical)
        return mapped

    def drift(self) -> SchemaDrift:
        names = self._columns.names
        present = list(dict.fromkeys(c for c in self._seen.values() if c is not None))
        order = [c for c in names if c in present]
        required = self._columns.required
        return SchemaDrift(
            header=list(self._header),
            missing_required=[c for c in names if c in required and c not in present],
            missing_optional=[c for c in names if c not in required and c not in present],
            extra=[name for name, c in self._seen.items() if c is None] + self._repeated,
            renamed=[
                f"{name}->{c}"
                for name, c in self._seen.items()
                if c is not None and name != c and name not in self._repeated
            ],
            reordered=present != order,
        )


# --- JSON API records ------------------------------------------------------------------

JsonKind = Literal["text", "integer", "number", "array"]
INT32 = (-(2**31), 2**31 - 1)
_INTEGER_TEXT = re.compile(r"[+-]?\d+")
_JSON_TYPES = {str: "text", bool: "boolean", int: "integer", float: "number", dict: "object"}
_AS = {"text": "text", "integer": "an integer", "number": "a number", "array": "an array"}


class ContractViolationError(SmePulseError, RuntimeError):
    """A required field is absent from every record of a response: renamed or removed."""


def json_type(value: object) -> str:
    """The JSON type a parsed value had: text, integer, number, boolean, object, array, null."""
    if value is None:
        return "null"
    return _JSON_TYPES.get(type(value), "array" if isinstance(value, list) else "other")


def coerce(raw: object, kind: JsonKind) -> Any:
    """`raw` as `kind` when nothing is lost, else `ValueError` with a short reason.

    Blank text and null read as null. Numeric text becomes a number, a whole number
    becomes text or an integer; integers must fit bronze's int32. Booleans, objects,
    arrays, fractions as integers and non-finite numbers never convert; an `array` (a
    nested level) must be one.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if kind == "array" or isinstance(raw, bool | dict | list):
        if kind == "array" and isinstance(raw, list):
            return raw
        raise ValueError(f"{json_type(raw)} {str(raw)[:40]!r} is not {_AS[kind]}")
    if kind == "text":
        if isinstance(raw, str | int):
            return str(raw)
        raise ValueError(f"{raw!r} is not text without loss")
    value: Any = raw
    if isinstance(raw, str):
        text = raw.strip()
        if kind == "integer" and _INTEGER_TEXT.fullmatch(text):
            value = int(text)
        else:
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"{raw[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{raw!r} is not a finite number")
    if kind == "number":
        return float(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{raw!r} is not a whole number")
        value = int(value)
    if not INT32[0] <= value <= INT32[1]:
        raise ValueError(f"{raw!r} is out of range for a 32-bit integer")
    return value


@dataclass(frozen=True)
class JsonField:
    """One bronze column read from `path` in a record.

    `sent_as` is the JSON type the API documents; any other type that converts is a
    coercion, counted. `present`: the key must be there (null is fine). `required`: the
    value must not be null either. A record breaking either goes to quarantine; a field
    with either flag that no record of a response carries is a `ContractViolationError`.
    """

    column: str
    path: tuple[str, ...]
    kind: JsonKind
    sent_as: JsonKind | None = None
    present: bool = False
    required: bool = False

    @property
    def name(self) -> str:
        return ".".join(self.path)

    def lookup(self, record: Mapping[str, Any]) -> tuple[bool, Any]:
        """(whether the key is there, its value)."""
        node: Any = record
        for key in self.path:
            if not isinstance(node, Mapping) or key not in node:
                return False, None
            node = node[key]
        return True, node


@dataclass
class RecordDrift:
    """How one run's records differed from the contract; logged with the run's counts."""

    coerced: Counter[str] = field(default_factory=Counter)
    extra: dict[str, None] = field(default_factory=dict)

    @property
    def drifted(self) -> bool:
        return bool(self.coerced or self.extra)

    def describe(self) -> str:
        parts = [f"{what} ({n} record(s))" for what, n in sorted(self.coerced.items())]
        if self.extra:
            parts.append(f"ignored unknown field(s): {', '.join(self.extra)}")
        return "; ".join(parts) or "matches the contract"


@dataclass(frozen=True)
class RecordContract:
    """The fields of one API dataset and what to tell the operator when they drift."""

    source: str
    fields: tuple[JsonField, ...]
    remedy: str

    def require_fields(self, records: Sequence[object], where: str) -> None:
        """Raise `ContractViolationError` for a needed field that no record in `records` carries."""
        objects = [r for r in records if isinstance(r, Mapping)]
        if not objects:
            return
        for spec in self.fields:
            if (spec.present or spec.required) and not any(spec.lookup(r)[0] for r in objects):
                raise ContractViolationError(
                    f"{self.source}: field {spec.name!r} is missing from all {len(objects)} "
                    f"record(s) of {where} (renamed or removed by the API); nothing was "
                    f"written - {self.remedy}"
                )

    def read(
        self, record: object, drift: RecordDrift
    ) -> tuple[dict[str, Any] | None, list[Violation]]:
        """(bronze values, []) for a good record, (None, violations) for quarantine."""
        if not isinstance(record, Mapping):
            return None, [Violation("not_an_object", "", f"record is {json_type(record)}")]
        known = {spec.path[0] for spec in self.fields}
        drift.extra.update((k, None) for k in record if k not in known)
        values: dict[str, Any] = {}
        errors: list[Violation] = []
        notes: list[str] = []
        for spec in self.fields:
            found, raw = spec.lookup(record)
            if not found and (spec.present or spec.required):
                errors.append(Violation("field_missing", spec.name, "is not in the record"))
                continue
            try:
                value = coerce(raw, spec.kind)
            except ValueError as exc:
                errors.append(Violation("not_convertible", spec.name, str(exc)))
                continue
            if value is None and spec.required:
                errors.append(Violation("required_value_missing", spec.name, "is empty"))
            sent, documented = json_type(raw), spec.sent_as or spec.kind
            if value is not None and sent != documented:
                notes.append(f"{spec.name} sent as {sent} instead of {documented}")
            values[spec.column] = value
        if errors:
            return None, errors
        drift.coerced.update(notes)
        return values, []
