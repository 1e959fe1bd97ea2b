"""The lake: the same keys and the same atomic writes on a local folder and on S3/MinIO.

Everything that lands data goes through `Lake`, so the embedded default and the Docker
stack differ only in `LAKE_URI`. Keys are always forward-slash paths relative to the lake
root (`bronze/world_bank/indicators/ingest_date=2026-11-01/part-0.parquet`).

A write is all or nothing on both: a folder gets a hidden temp file renamed into place
(removed on any failure; one left by a killed process is removed by the next write to
its folder), S3 gets one PUT of the whole object, so an outage never leaves a partial
object or an unfinished multipart upload.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import botocore.config
import botocore.exceptions
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from sme_pulse.config import S3Settings, Settings
from sme_pulse.errors import SmePulseError


class LakeError(SmePulseError, RuntimeError):
    """The lake cannot be reached or written; the message says which URI and why."""


HOST = socket.gethostname()
STALE_TEMP_SECONDS = 24 * 3600
"""A temp file whose writer cannot be checked (another host on a shared folder, a reused
PID) is left alone for this long."""
_TEMP = re.compile(r"^\..+\.(?P<host>[^.]+)\.(?P<pid>\d+)-[0-9a-f]{12}\.tmp$")
_S3_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale_temp(path: Path) -> bool:
    """A temp file whose writer is gone: its process died here, or it is a day old."""
    match = _TEMP.match(path.name)
    if match and match["host"] == HOST.split(".")[0] and not pid_alive(int(match["pid"])):
        return True
    try:
        return time.time() - path.stat().st_mtime > STALE_TEMP_SECONDS
    except FileNotFoundError:
        return False


def _temp_path(target: Path) -> Path:
    """A hidden name beside `target`; host and PID let a later writer tell it is stale."""
    unique = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    return target.with_name(f".{target.name}.{HOST.split('.')[0]}.{unique}.tmp")


def remove_stale_temps(folder: Path) -> list[str]:
    """Delete the temp files that killed writers left in `folder`; return their names."""
    removed = []
    for path in folder.glob(".*.tmp"):
        if _stale_temp(path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path.name)
    return removed


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
            self._s3_settings = s3
            self._s3_client: Any = None
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

    def _s3(self) -> Any:
        """A boto3 client for the writes pyarrow cannot make atomic or conditional."""
        if self._s3_client is None:
            s3 = self._s3_settings
            self._s3_client = boto3.client(
                "s3",
                endpoint_url=s3.endpoint_url,
                aws_access_key_id=s3.access_key,
                aws_secret_access_key=s3.secret_key,
                region_name=s3.region,
                config=botocore.config.Config(
                    retries={"mode": "standard", "max_attempts": 3},
                    s3={"addressing_style": "path"},
                    # Plain Content-MD5-era requests: every MinIO release and S3 stand-in
                    # accepts them, not all accept the newer default checksum trailers.
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                ),
            )
        return self._s3_client

    def _bucket_key(self, key: str) -> tuple[str, str]:
        bucket, _, rest = self.path(key).partition("/")
        return bucket, rest

    def _write_local(self, key: str, payload: bytes) -> None:
        target = Path(self.path(key))
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(target.parent)
        # Readers glob `*.parquet`; a dot-prefixed temp name is never matched, and a
        # rename within one folder is atomic on POSIX.
        tmp = _temp_path(target)
        try:
            with tmp.open("wb") as out:
                out.write(payload)
                out.flush()
                os.fsync(out.fileno())
            tmp.replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def _create_local(self, target: Path, payload: bytes) -> bool:
        # A hard link appears with its whole content and fails if the name exists, so no
        # reader ever sees the object half written and only one creator wins.
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temp_path(target)
        try:
            tmp.write_bytes(payload)
            os.link(tmp, target)
        except FileExistsError:
            return False
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        return True

    def _write_atomically(self, key: str, payload: bytes) -> None:
        try:
            if self.is_local:
                self._write_local(key, payload)
            else:
                # One PUT: S3 shows the object only once all of it arrived, and a failed
                # PUT leaves nothing behind (a multipart upload would leave its parts).
                bucket, name = self._bucket_key(key)
                self._s3().put_object(Bucket=bucket, Key=name, Body=payload)
        except (OSError, *_S3_ERRORS) as exc:
            raise LakeError(f"cannot write {self.location(key)}: {exc}") from exc

    def create_exclusive(self, key: str, payload: bytes) -> bool:
        """Write `key` only if it does not exist yet; False when it does (a lock is held)."""
        try:
            if self.is_local:
                return self._create_local(Path(self.path(key)), payload)
            bucket, name = self._bucket_key(key)
            self._s3().put_object(Bucket=bucket, Key=name, Body=payload, IfNoneMatch="*")
            return True
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in (
                "PreconditionFailed",
                "ConditionalRequestConflict",
            ):
                return False
            raise LakeError(f"cannot create {self.location(key)}: {exc}") from exc
        except (OSError, botocore.exceptions.BotoCoreError) as exc:
            raise LakeError(f"cannot create {self.location(key)}: {exc}") from exc

    def abort_stale_uploads(self, prefix: str) -> int:
        """Abort unfinished multipart uploads below `prefix` (S3); return how many.

        `Lake` never starts one (each write is one PUT), so any found under a load's
        prefixes were left by a writer that died; they are invisible but keep their
        parts (and their cost) until aborted.
        """
        if self.is_local:
            return 0
        bucket, name = self._bucket_key(prefix)
        client = self._s3()
        aborted = 0
        try:
            pages = client.get_paginator("list_multipart_uploads").paginate(
                Bucket=bucket, Prefix=name
            )
            for page in pages:
                for upload in page.get("Uploads", []):
                    client.abort_multipart_upload(
                        Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    aborted += 1
        except _S3_ERRORS as exc:
            raise LakeError(f"cannot clean uploads under {self.location(prefix)}: {exc}") from exc
        return aborted

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
        try:
            if self.exists(key):
                self._fs.delete_file(self.path(key))
        except FileNotFoundError:
            return
        except OSError as exc:
            raise LakeError(f"cannot delete {self.location(key)}: {exc}") from exc

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
