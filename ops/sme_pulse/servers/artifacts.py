"""Pinned downloads: fetched once, verified against a SHA-256 written in the code, cached.

The cache (`SME_PULSE_CACHE`, default `~/.cache/sme-pulse`) is shared by every checkout on
the machine, so a fresh clone or a second `make trino-local` downloads nothing. A file is
only ever moved into the cache after its digest matched; a mismatch deletes the partial
download and names the expected and the actual digest.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

CHUNK = 1 << 20


class ArtifactError(RuntimeError):
    """A pinned artifact could not be fetched or did not match its checksum."""


@dataclass(frozen=True)
class Artifact:
    """One file of a Maven repository, pinned by version and SHA-256."""

    coordinates: str
    """`group:artifact:version[:classifier]`, as `mvn dependency:get` spells it."""
    sha256: str
    extension: str = "jar"

    @property
    def _parts(self) -> tuple[str, str, str, str | None]:
        group, artifact, version, *rest = self.coordinates.split(":")
        return group, artifact, version, rest[0] if rest else None

    @property
    def version(self) -> str:
        return self._parts[2]

    @property
    def filename(self) -> str:
        _, artifact, version, classifier = self._parts
        suffix = f"-{classifier}" if classifier else ""
        return f"{artifact}-{version}{suffix}.{self.extension}"

    def url(self, repository: str) -> str:
        group, artifact, version, _ = self._parts
        folder = f"{group.replace('.', '/')}/{artifact}/{version}"
        return f"{repository.rstrip('/')}/{folder}/{self.filename}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@retry(
    retry=retry_if_exception_type(httpx.TransportError),
    stop=stop_after_attempt(4),
    wait=wait_exponential(multiplier=2, max=30),
    reraise=True,
)
def _download(url: str, target: Path) -> None:
    with httpx.stream("GET", url, follow_redirects=True, timeout=60.0) as response:
        if response.status_code != 200:
            raise ArtifactError(f"{url} answered HTTP {response.status_code}")
        with target.open("wb") as handle:
            for chunk in response.iter_bytes(CHUNK):
                handle.write(chunk)


def fetch(artifact: Artifact, cache: Path, repository: str) -> tuple[Path, bool]:
    """The verified file in `cache/downloads`, and whether this call downloaded it."""
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    target = downloads / artifact.filename
    if target.exists():
        return target, False
    partial = target.with_name(f".{target.name}.part")
    url = artifact.url(repository)
    try:
        _download(url, partial)
        actual = _sha256(partial)
        if actual != artifact.sha256:
            raise ArtifactError(
                f"{artifact.coordinates}: SHA-256 {actual} does not match the pinned "
                f"{artifact.sha256} (from {url}); the download was deleted"
            )
        partial.rename(target)
    except httpx.HTTPError as exc:
        raise ArtifactError(f"{artifact.coordinates}: cannot download {url}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return target, True


def unpack(archive: Path, into: Path) -> None:
    """Extract a `.tar.gz` or `.zip` into `into`, which appears whole or not at all."""
    staging = into.with_name(f".{into.name}.unpacking")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(staging)
    else:
        with tarfile.open(archive) as tarred:
            tarred.extractall(staging, filter="tar")
    # Archives hold one top folder (`trino-server-core-476/`); `into` becomes that folder.
    (top,) = staging.iterdir()
    top.rename(into)
    staging.rmdir()
