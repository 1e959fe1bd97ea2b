"""The landing area where SMEs drop exports: a folder or `s3://bucket/landing`.

It is a `Lake` (same URIs, same credentials) that can also stream an object, because
exports can be far larger than memory, and fingerprint it before anything is parsed:
the SHA-256 decides whether the file was loaded before, and the text checks (UTF-8,
no NUL bytes, line endings) decide whether it can be parsed at all.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

import pyarrow as pa

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

    def profile(self, key: str, text: bool) -> FileProfile:
        """SHA-256 and size; for text formats also encoding, line endings and defects."""
        digest = hashlib.sha256()
        size = 0
        head = b""
        encoding: str | None = None
        decoder: codecs.IncrementalDecoder | None = None
        problem: str | None = None
        with self.open_input(key) as stream:
            while chunk := self._read(stream, key):
                digest.update(chunk)
                if not text:
                    size += len(chunk)
                    continue
                if size == 0:
                    head = chunk
                    if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                        encoding = "utf-16"
                    else:
                        encoding = "utf-8-sig" if chunk.startswith(codecs.BOM_UTF8) else "utf-8"
                    decoder = codecs.getincrementaldecoder(encoding)()
                if problem is None and decoder is not None:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as exc:
                        problem = (
                            f"not valid {encoding.upper()} near byte {size + exc.start}; "
                            "export the file as UTF-8"
                        )
                    nul = chunk.find(b"\x00") if encoding != "utf-16" else -1
                    if problem is None and nul >= 0:
                        problem = f"contains NUL bytes near byte {size + nul}"
                size += len(chunk)
        if text and decoder is not None and problem is None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                problem = f"ends in the middle of a {encoding.upper()} character"
        terminator = None
        if text and encoding != "utf-16":
            terminator = _line_terminator(head)
        return FileProfile(
            sha256=digest.hexdigest(),
            size=size,
            encoding=encoding,
            line_terminator=terminator,
            problem=problem,
        )
