"""The landing area where SMEs drop exports: a folder or `s3://bucket/landing`.

It is a `Lake` (same URIs, same credentials) that can also stream an object, because
exports can be far larger than memory, and fingerprint it before anything is parsed:
the SHA-256 decides whether the file was loaded before, and the text checks (UTF-8,
no NUL bytes, line endings) decide whether it can be parsed at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

import pyarrow as pa

from sme_pulse.ingestion import encodings
from sme_pulse.ingestion.report import SalesIngestError
from sme_pulse.storage import Lake, LakeError, ObjectInfo

CHUNK = 1 << 20
FORMATS = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}


def file_format(name: str) -> str | None:
    """'csv', 'jsonl' or 'xlsx' from the file extension; None when unsupported."""
    return FORMATS.get(PurePosixPath(name).suffix.lower())


@dataclass(frozen=True)
class FileProfile:
    sha256: str
    size: int
    encoding: str | None = None
    line_terminator: str | None = None
    problem: str | None = None


def _line_terminator(head: bytes) -> str | None:
    crlf = head.count(b"\r\n")
    lf = head.count(b"\n") - crlf
    cr = head.count(b"\r") - crlf
    kinds = [name for name, count in (("crlf", crlf), ("lf", lf), ("cr", cr)) if count]
    if not kinds:
        return None
    return kinds[0] if len(kinds) == 1 else "mixed"


class HashedStream:
    """A landing stream that fingerprints exactly the bytes it hands to the parser.

    The profile hashes a file before it is parsed; if someone rewrites the file in
    between or during the parse, the rows loaded come from other bytes than the hash
    says. Comparing this digest with the profile's catches that, so such a load is never
    recorded under either hash.
    """

    def __init__(self, stream: pa.NativeFile) -> None:
        self._stream = stream
        self._digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self._digest.update(chunk)
        return chunk

    def sha256(self) -> str:
        """Digest of the whole object: what the parser left unread is read and hashed too."""
        while self.read(CHUNK):
            pass
        return self._digest.hexdigest()


class LandingArea(Lake):
    """A lake root holding landing files, read as streams."""

    def require_reachable(self) -> None:
        """Raise `SalesIngestError` when the folder or bucket does not exist."""
        try:
            exists = self.root_exists()
        except LakeError as exc:
            raise SalesIngestError(f"landing area {self.uri} is unreachable: {exc}") from exc
        if not exists:
            raise SalesIngestError(f"landing area {self.uri} does not exist")

    def files(self) -> list[ObjectInfo]:
        """Every visible landing object, sorted by key so runs are repeatable."""
        try:
            return sorted(self.list(""), key=lambda info: info.key)
        except LakeError as exc:
            raise SalesIngestError(str(exc)) from exc

    def open_input(self, key: str) -> pa.NativeFile:
        return self.open_input_stream(key, buffer_size=CHUNK)

    def _read(self, stream: pa.NativeFile, key: str) -> bytes:
        try:
            return stream.read(CHUNK)
        except OSError as exc:
            raise LakeError(f"cannot read {self.location(key)}: {exc}") from exc

    def _chunks(self, key: str) -> Iterator[bytes]:
        with self.open_input(key) as stream:
            while chunk := self._read(stream, key):
                yield chunk

    def profile(self, key: str, text: bool, configured: str = encodings.AUTO) -> FileProfile:
        """SHA-256 and size; for text formats also encoding, line endings and defects.

        One pass hashes the file and checks it as UTF-8 (unless a BOM names another
        encoding); only a file that is not UTF-8 is read a second time, to check it in
        the fallback encoding (see `ingestion.encodings`).
        """
        digest = hashlib.sha256()
        size = 0
        head = b""
        encoding: str | None = None
        problem: str | None = None
        carry = b""
        for chunk in self._chunks(key):
            digest.update(chunk)
            if size == 0:
                head = chunk
                encoding = encodings.bom_encoding(chunk) or "utf-8"
            if text and problem is None and encoding != "utf-16":
                nul = chunk.find(b"\x00")
                if nul >= 0:
                    problem = f"contains NUL bytes near byte {size + nul}"
            if text and problem is None and encoding in ("utf-8", "utf-8-sig"):
                data = carry + chunk
                cut = data.rfind(b"\n") + 1
                if not encodings.valid_utf8(data[:cut]):
                    at = size - len(carry) + encodings.utf8_error_offset(data[:cut])
                    problem = f"not valid UTF-8 near byte {at}"
                carry = data[cut:]
            size += len(chunk)
        if text and problem is None and carry and not encodings.valid_utf8(carry):
            at = size - len(carry) + encodings.utf8_error_offset(carry)
            problem = f"not valid UTF-8 near byte {at}"
        if text and encoding == "utf-16":
            problem = encodings.decode_check(self._chunks(key), "utf-16").problem
        elif text and problem is not None and problem.startswith("not valid UTF-8"):
            fallback = encodings.FALLBACK if configured == encodings.AUTO else configured
            if encoding == "utf-8":
                check = encodings.decode_check(self._chunks(key), fallback)
                reason = encodings.fallback_problem(configured, check)
                problem, encoding = (
                    (None, fallback) if reason is None else (f"{problem}: {reason}", encoding)
                )
            else:
                problem += (
                    "; the file starts with a UTF-8 byte-order mark: export it as UTF-8 again"
                )
        terminator = None
        if text and encoding != "utf-16":
            terminator = _line_terminator(head)
        return FileProfile(
            sha256=digest.hexdigest(),
            size=size,
            encoding=encoding if text else None,
            line_terminator=terminator,
            problem=problem,
        )
