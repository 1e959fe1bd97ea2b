"""docs/benchmarks.md is written by several benchmarks: each owns one marked section.

A benchmark replaces its own section and leaves the others as they were, so one can be
re-run alone without losing the rest of the page.
"""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
TITLE = "# Benchmarks\n\nFigures from `make bench` on the machine each section names.\n"


def _markers(name: str) -> tuple[str, str]:
    return (
        f"<!-- section {name}: written by `make bench`, edits are lost on the next run -->",
        f"<!-- end of section {name} -->",
    )


def write_section(name: str, markdown: str, doc: Path = DOC) -> None:
    """Replace section `name` of `doc` with `markdown`, or append it when it is new."""
    begin, end = _markers(name)
    block = f"{begin}\n\n{markdown.strip()}\n\n{end}"
    text = doc.read_text(encoding="utf-8") if doc.exists() else TITLE
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = f"{text.rstrip()}\n\n{block}\n"
    doc.write_text(text, encoding="utf-8")
