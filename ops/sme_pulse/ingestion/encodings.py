"""Which text encoding a landing export is in, decided from its bytes, never guessed.

Shops send UTF-8 with or without a byte-order mark, UTF-16 from Excel's "Unicode text"
(always with a BOM), and from older Windows tools Windows-1258, the Vietnamese code page.
A BOM decides. Without one, UTF-8 is checked with Arrow's vectorised validator; a file
that is not UTF-8 is read in the configured encoding (`LANDING_ENCODING`), or with `auto`
as Windows-1258 only when its bytes carry that code page's Vietnamese letters or tone
marks. Anything else fails with one line that says what to do: a file is never loaded
with letters silently replaced.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

AUTO = "auto"
FALLBACK = "cp1258"
# Windows-1258 bytes that only Vietnamese text produces: Ă ă Đ đ Ơ ơ Ư ư and the five
# combining tone marks (grave, acute, tilde, hook above, dot below).
_CP1258_EVIDENCE = frozenset(b"\xc3\xe3\xd0\xf0\xd5\xf5\xdd\xfd\xcc\xec\xde\xd2\xf2")
# A well-formed UTF-8 multi-byte sequence: Windows-1258 Vietnamese text practically never
# contains one, a UTF-8 file with a few damaged bytes always does.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def bom_encoding(head: bytes) -> str | None:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    return None


def valid_utf8(data: bytes) -> bool:
    """Arrow's SIMD UTF-8 validation of a whole buffer (cut at a line end by the caller)."""
    offsets = pa.array([0, len(data)], pa.int32()).buffers()[1]
    try:
        pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(data)]).validate(
            full=True
        )
    except pa.ArrowInvalid:
        return False
    return True


def utf8_error_offset(data: bytes) -> int:
    """Byte offset of the first invalid UTF-8 sequence in `data`."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return len(data)


@dataclass(frozen=True)
class DecodeCheck:
    """A full decoding pass: the first problem, and what the bytes looked like."""

    problem: str | None
    cp1258_letters: bool
    utf8_sequences: bool


def decode_check(chunks: Iterable[bytes], encoding: str) -> DecodeCheck:
    """Decode every chunk in `encoding`, noting Windows-1258 and UTF-8 fingerprints."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    letters = sequences = False
    for chunk in chunks:
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            return DecodeCheck(
                f"not valid {encoding} near byte {offset + exc.start}", letters, sequences
            )
        letters = letters or not _CP1258_EVIDENCE.isdisjoint(chunk)
        sequences = sequences or _UTF8_SEQUENCE.search(chunk) is not None
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return DecodeCheck(f"ends in the middle of a {encoding} character", letters, sequences)
    return DecodeCheck(None, letters, sequences)


def fallback_problem(configured: str, check: DecodeCheck) -> str | None:
    """Why a non-UTF-8 file cannot be read in the fallback encoding, or None when it can."""
    if check.problem is not None:
        return f"{check.problem}; set LANDING_ENCODING to the file's encoding or export it as UTF-8"
    if configured == AUTO and check.utf8_sequences:
        return "it is UTF-8 with damaged bytes; export it again"
    if configured == AUTO and not check.cp1258_letters:
        return (
            "nothing in it proves Windows-1258 (Vietnamese letters); "
            "export it as UTF-8 or set LANDING_ENCODING to its encoding"
        )
    return None
