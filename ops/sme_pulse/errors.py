"""The one base class of every error SME Pulse raises on purpose.

Each subclass's message is one line naming what failed and where; the CLI and the DAG
tasks catch `SmePulseError` to print that line, and let anything else (a bug) surface
with its trace.
"""

from __future__ import annotations


class SmePulseError(Exception):
    """An expected failure with a one-line message for the person running SME Pulse."""
