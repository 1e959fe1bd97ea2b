"""Which columns a source may carry, how its own names map to them, and how it drifted.

Sources name columns their own way (Vietnamese POS headers such as 'Mã hóa đơn',
marketplace names such as 'qty'), so a `ColumnSet` matches names regardless of case,
accents, spacing and punctuation and through each column's aliases; `HeaderMapper`
records what it saw as a `SchemaDrift`, which the load manifest keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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
        return bool(
            self.missing_required
            or self.missing_optional
            or self.extra
            or self.renamed
            or self.reordered
        )

    def describe(self) -> str:
        parts = []
        for label, names in (
            ("missing required", self.missing_required),
            ("missing optional", self.missing_optional),
            ("extra", self.extra),
            ("renamed", self.renamed),
        ):
            if names:
                parts.append(f"{label}: {', '.join(names)}")
        if self.reordered:
            parts.append("columns reordered")
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
