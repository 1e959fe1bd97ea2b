"""Pinned downloads: fetched once, verified against a SHA-256 written in the code, cached.

The cache (`SME_PULSE_CACHE`, default `~/.cache/sme-pulse`) is shared by every checkout on
the machine, so a fresh clone or a second `make trino-local` downloads nothing. Pooch does
the fetching: it downloads to a temporary file and moves it into the cache only when its
digest matches, and fetches again a cached file whose digest no longer does.
"""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pooch
import requests
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from sme_pulse.errors import SmePulseError


class ArtifactError(SmePulseError, RuntimeError):
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


@retry(
    retry=retry_if_exception_type(requests.ConnectionError),
    stop=stop_after_attempt(4),
    wait=wait_exponential(multiplier=2, max=30),
    reraise=True,
)
def fetch(artifact: Artifact, cache: Path, repository: str) -> tuple[Path, bool]:
    """The verified file in `cache/downloads`, and whether this call downloaded it."""
    downloads = cache / "downloads"
    cached = (downloads / artifact.filename).exists()
    url = artifact.url(repository)
    try:
        path = pooch.retrieve(
            url,
            known_hash=f"sha256:{artifact.sha256}",
            fname=artifact.filename,
            path=downloads,
        )
    except requests.HTTPError as exc:
        raise ArtifactError(f"{artifact.coordinates}: cannot download {url}: {exc}") from exc
    except ValueError as exc:  # pooch's word for a digest that does not match
        raise ArtifactError(f"{artifact.coordinates} from {url}: {exc}") from exc
    return Path(path), not cached


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
