"""The one base class of every error SME Pulse raises on purpose, and the report of the rest.

Each subclass's message is one line naming what failed and where; the CLI and the DAG
tasks catch `SmePulseError` to print that line. Anything else is a bug: the person sees
one line saying what failed and which file holds the full trace (`unexpected_error_line`),
never the trace itself.
"""

from __future__ import annotations

import re
import traceback
from datetime import UTC, datetime
from pathlib import Path

TRACE_DIR = Path("logs") / "errors"
"""Where full traces of unexpected errors go, below SME_PULSE_HOME."""


class SmePulseError(Exception):
    """An expected failure with a one-line message for the person running SME Pulse."""


def message_line(exc: BaseException) -> str:
    """The first non-empty line of the exception's message, else its type's name."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def first_line(exc: BaseException) -> str:
    """The exception's type and the first non-empty line of its message."""
    line = message_line(exc)
    return line if line == type(exc).__name__ else f"{type(exc).__name__}: {line}"


def write_trace(exc: BaseException, what: str, home: Path, now: datetime | None = None) -> Path:
    """File the full trace of `exc` under `home` and return the file's path."""
    now = now or datetime.now(UTC)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", what).strip("-").lower() or "error"
    path = home / TRACE_DIR / f"{now:%Y%m%dT%H%M%S.%fZ}-{slug}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    return path


def unexpected_error_line(what: str, exc: BaseException, trace: Path | None) -> str:
    """One line for a failure nobody anticipated: what failed, the cause, where the trace is."""
    where = f"full trace in {trace}" if trace else "the trace could not be written"
    return (
        f"{what} failed unexpectedly ({first_line(exc)}); {where}. "
        "Fix the cause it names if it is yours (a file, a disk, a setting), "
        "otherwise report it with that file."
    )
