"""Where sales data lives in the lake, keyed by landing file so a new version replaces the old.

    bronze/sales/order_lines/file_slug=<slug>/part-<sha12>-00000.parquet
    quarantine/sales/order_lines/file_slug=<slug>/part-<sha12>-00000.parquet
    bronze/sales/load_manifest/file_slug=<slug>/manifest.parquet

`<slug>` names the landing file; `<sha12>` is the start of the file's SHA-256, so parts
of two versions of a file never share a key. The manifest object is written last and is
the commit: it names the version (`source_file_sha256`) whose parts count, and parts of
any other version are deleted right after it. A reader that joins parts to the manifest
on `(source_file, source_file_sha256)` sees only committed loads, even mid-load.

The partition key is `file_slug`, not `source_file`: DuckDB turns `key=value` folders
into columns that win over same-named columns inside the files, and the slug differs
from the original name, which is kept in the `source_file` column.
"""

from __future__ import annotations

import hashlib
import re

ORDER_LINES_PREFIX = "bronze/sales/order_lines"
QUARANTINE_PREFIX = "quarantine/sales/order_lines"
MANIFEST_PREFIX = "bronze/sales/load_manifest"
MANIFEST_OBJECT = "manifest.parquet"

_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def file_slug(name: str) -> str:
    """A key-safe name for a landing file; unsafe names get a hash suffix to stay unique."""
    safe = _UNSAFE.sub("_", name.lower()).strip("_.") or "file"
    if safe == name:
        return safe
    return f"{safe}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"


def part_stem(sha256: str) -> str:
    return f"part-{sha256[:12]}"


def lines_prefix(slug: str) -> str:
    return f"{ORDER_LINES_PREFIX}/file_slug={slug}"


def quarantine_prefix(slug: str) -> str:
    return f"{QUARANTINE_PREFIX}/file_slug={slug}"


def manifest_key(slug: str) -> str:
    return f"{MANIFEST_PREFIX}/file_slug={slug}/{MANIFEST_OBJECT}"
