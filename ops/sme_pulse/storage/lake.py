"""The lake: the same keys and the same atomic writes on a local folder and on S3/MinIO.

Everything that lands data goes through `Lake`, so the embedded default and the Docker
stack differ only in `LAKE_URI`. Keys are always forward-slash paths relative to the lake
root (`bronze/world_bank/indicators/ingest_date=2026-11-01/part-0.parquet`).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from sme_pulse.config import S3Settings, Settings
from sme_pulse.errors import SmePulseError


class LakeError(SmePulseError, RuntimeError):
    """The lake cannot be reached or written; the message says which URI and why."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime


class Lake:
    """A bucket or folder addressed by `uri`, with keys relative to it."""

    def __init__(self, uri: str, s3: S3Settings | None = None) -> None:
        self.uri = uri.rstrip("/")
        parsed = urlparse(self.uri)
        if parsed.scheme == "s3":
            s3 = s3 or S3Settings(None, None, None, "us-east-1")
            endpoint = urlparse(s3.endpoint_url) if s3.endpoint_url else None
            self._fs: pafs.FileSystem = pafs.S3FileSystem(
                access_key=s3.access_key,
                secret_key=s3.secret_key,
                region=s3.region,
                endpoint_override=endpoint.netloc if endpoint else None,
                scheme=endpoint.scheme if endpoint else "https",
                allow_bucket_creation=False,
                force_virtual_addressing=False,
            )
            self._root = (parsed.netloc + parsed.path).rstrip("/")
            self.is_local = False
        elif parsed.scheme in ("", "file"):
            self._fs = pafs.LocalFileSystem()
            self._root = parsed.path if parsed.scheme == "file" else self.uri
            self.is_local = True
        else:
            raise LakeError(f"unsupported lake URI {uri!r}: use a folder path or s3://bucket")

    @classmethod
    def from_settings(cls, settings: Settings) -> Lake:
        return cls(settings.lake_uri, settings.s3)

    def path(self, key: str) -> str:
        """Filesystem path (no scheme) of `key` inside the lake."""
        return f"{self._root}/{key.lstrip('/')}"

    def location(self, key: str) -> str:
        """Full URI of `key`, as DuckDB, Trino or a person would address it."""
        return f"{self.uri}/{key.lstrip('/')}"

    def _write_atomically(self, key: str, payload: bytes) -> None:
        target = self.path(key)
        parent = target.rsplit("/", 1)[0]
        try:
            if self.is_local:
                # Readers glob `*.parquet`; a dot-prefixed temp name is never matched,
                # and a rename within one folder is atomic on POSIX.
                self._fs.create_dir(parent, recursive=True)
                tmp = f"{parent}/.{target.rsplit('/', 1)[1]}.{uuid.uuid4().hex}.tmp"
                with self._fs.open_output_stream(tmp) as out:
                    out.write(payload)
                self._fs.move(tmp, target)
            else:
                # An S3 object becomes visible only once its upload completes.
                with self._fs.open_output_stream(target) as out:
                    out.write(payload)
        except OSError as exc:
            raise LakeError(f"cannot write {self.location(key)}: {exc}") from exc

    def write_parquet(self, key: str, table: pa.Table) -> None:
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        self._write_atomically(key, buffer.getvalue())

    def put_bytes(self, key: str, payload: bytes) -> None:
        self._write_atomically(key, payload)

    def get_bytes(self, key: str) -> bytes:
        try:
            with self._fs.open_input_stream(self.path(key)) as stream:
                return stream.read()
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise LakeError(f"cannot read {self.location(key)}: {exc}") from exc

    def open_input_stream(self, key: str, buffer_size: int | None = None) -> pa.NativeFile:
        """A sequential reader over one object, for streaming files larger than memory."""
        try:
            return self._fs.open_input_stream(self.path(key), buffer_size=buffer_size)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise LakeError(f"cannot read {self.location(key)}: {exc}") from exc

    def read_parquet(self, key: str) -> pa.Table:
        return pq.read_table(self.path(key), filesystem=self._fs)

    def parquet_row_count(self, key: str) -> int:
        """Rows in a Parquet object, from its footer alone."""
        with self._fs.open_input_file(self.path(key)) as handle:
            return pq.ParquetFile(handle).metadata.num_rows

    def root_exists(self) -> bool:
        """Whether the lake's folder (local) or bucket (S3) exists at all."""
        root = self._root if self.is_local else self._root.split("/", 1)[0]
        try:
            info = self._fs.get_file_info(root)
        except OSError as exc:
            raise LakeError(f"cannot reach {self.uri}: {exc}") from exc
        return info.type == pafs.FileType.Directory

    def exists(self, key: str) -> bool:
        try:
            info = self._fs.get_file_info(self.path(key))
        except OSError as exc:
            raise LakeError(f"cannot reach {self.location(key)}: {exc}") from exc
        return info.type != pafs.FileType.NotFound

    def delete(self, key: str) -> None:
        if self.exists(key):
            self._fs.delete_file(self.path(key))

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every visible object below `prefix`, temp files excluded."""
        selector = pafs.FileSelector(self.path(prefix).rstrip("/"), recursive=True)
        selector.allow_not_found = True
        try:
            infos = self._fs.get_file_info(selector)
        except OSError as exc:
            raise LakeError(f"cannot list {self.location(prefix)}: {exc}") from exc
        root_len = len(self._root) + 1
        for info in infos:
            if info.type != pafs.FileType.File or info.base_name.startswith("."):
                continue
            modified = info.mtime or datetime.fromtimestamp(0, UTC)
            if modified.tzinfo is None:
                modified = modified.replace(tzinfo=UTC)
            yield ObjectInfo(key=info.path[root_len:], size=info.size or 0, modified=modified)

    def check_writable(self) -> None:
        """Write, read back and delete a probe object; raise `LakeError` on any failure."""
        key = f"_preflight/probe-{uuid.uuid4().hex}"
        payload = b"sme-pulse preflight"
        self.put_bytes(key, payload)
        try:
            if self.get_bytes(key) != payload:
                raise LakeError(f"probe object at {self.location(key)} read back differently")
        finally:
            self.delete(key)
