"""What an ingestion run did, per file: the object the CLI prints and Airflow keeps as XCom.

Shared by the sales and the customer ingestion so both report, and fail, the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from sme_pulse.errors import SmePulseError
from sme_pulse.ingestion.drift import SchemaDrift

FileStatus = Literal["loaded", "unchanged", "rejected", "failed", "unsupported"]


class IngestError(SmePulseError, RuntimeError):
    """The ingestion cannot run at all; `str()` is one line naming what and where."""


class SalesIngestError(IngestError):
    """The landing area is missing or unreachable."""


class CustomerIngestError(IngestError):
    """The customer API is unreachable, refuses our token or answers nonsense."""


@dataclass
class FileReport:
    """One landing file (or one customer extraction window) and what became of its rows.

    `loaded`: valid rows are in bronze, the rest in quarantine. `unchanged`: the same
    bytes were loaded before, nothing was done (counts are those of that load).
    `rejected`: a required column is missing, every row is in quarantine. `failed`:
    the file could not be read (encoding, corrupt workbook), nothing was written.
    `unsupported`: not a CSV, JSON Lines or XLSX file; left alone.
    """

    name: str
    status: FileStatus
    sha256: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    drift: SchemaDrift | None = None
    superseded_sha256: str | None = None
    error: str | None = None
    keys: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Every row read is loaded or quarantined: a report saying otherwise is a bug in
        # the ingestion, caught here before it reaches the manifest or the run summary.
        if not self.balanced:
            raise ValueError(f"{self.name}: rows do not add up ({self.line()})")

    @property
    def balanced(self) -> bool:
        return self.rows_loaded + self.rows_quarantined == self.rows_read

    def line(self) -> str:
        text = (
            f"{self.name}: {self.status}, read {self.rows_read}, loaded {self.rows_loaded}, "
            f"quarantined {self.rows_quarantined}"
        )
        if self.superseded_sha256:
            text += f", supersedes {self.superseded_sha256[:12]}"
        if self.drift is not None and self.drift.drifted:
            text += f" (schema drift: {self.drift.describe()})"
        if self.error:
            text += f" - {self.error}"
        return text


@dataclass
class IngestReport:
    source: str
    files: list[FileReport] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when a file was rejected or could not be read; quarantined rows alone are not."""
        return any(f.status in ("rejected", "failed") for f in self.files)

    def _this_run(self) -> list[FileReport]:
        return [f for f in self.files if f.status in ("loaded", "rejected")]

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self._this_run())

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self._this_run())

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self._this_run())

    def lines(self) -> list[str]:
        """One line per file, then a total; what `sme-pulse ingest` prints."""
        total = (
            f"{self.source}: {len(self.files)} file(s), read {self.rows_read}, "
            f"loaded {self.rows_loaded}, quarantined {self.rows_quarantined} this run"
        )
        return [f.line() for f in self.files] + [total]

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly summary (Airflow XCom)."""
        return {
            "source": self.source,
            "failed": self.failed,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "files": [asdict(f) for f in self.files],
        }
