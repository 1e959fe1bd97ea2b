"""Pinned downloads against a real HTTP server on loopback."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sme_pulse.servers.artifacts import Artifact, ArtifactError, fetch, unpack

pytestmark = pytest.mark.unit

PAYLOAD = b"a pinned server archive"
ARTIFACT = Artifact("org.example:server:1.2:bin", hashlib.sha256(PAYLOAD).hexdigest(), "tar.gz")
PATH = "/maven2/org/example/server/1.2/server-1.2-bin.tar.gz"


def test_url_follows_the_maven_layout() -> None:
    assert ARTIFACT.url("https://repo.example/maven2/") == f"https://repo.example{PATH}"
    assert Artifact("io.trino:trino-hive:476", "0" * 64, "zip").filename == "trino-hive-476.zip"


def test_fetch_verifies_then_caches(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_oneshot_request(PATH).respond_with_data(PAYLOAD)
    repository = httpserver.url_for("/maven2")
    path, downloaded = fetch(ARTIFACT, tmp_path, repository)
    assert downloaded and path.read_bytes() == PAYLOAD
    # The one-shot handler is spent: a second fetch must not ask the server again.
    again, downloaded_again = fetch(ARTIFACT, tmp_path, repository)
    assert again == path and not downloaded_again
    httpserver.check_assertions()


def test_a_checksum_mismatch_keeps_nothing(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request(PATH).respond_with_data(b"tampered")
    with pytest.raises(ArtifactError, match="does not match"):
        fetch(ARTIFACT, tmp_path, httpserver.url_for("/maven2"))
    assert list((tmp_path / "downloads").iterdir()) == []


def test_a_missing_artifact_names_the_url(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request(PATH).respond_with_data("no", status=404)
    with pytest.raises(ArtifactError, match="404"):
        fetch(ARTIFACT, tmp_path, httpserver.url_for("/maven2"))


def test_unpack_moves_the_top_folder_into_place(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("server-1.2/bin/launcher")
        info.size, info.mode = 2, 0o755
        tar.addfile(info, io.BytesIO(b"#!"))
    unpack(archive, tmp_path / "server")
    launcher = tmp_path / "server" / "bin" / "launcher"
    assert launcher.read_bytes() == b"#!" and launcher.stat().st_mode & 0o111

    plugin = tmp_path / "p.zip"
    with zipfile.ZipFile(plugin, "w") as zipped:
        zipped.writestr("trino-hive-476/a.jar", b"jar")
    unpack(plugin, tmp_path / "plugin" / "hive")
    assert (tmp_path / "plugin" / "hive" / "a.jar").read_bytes() == b"jar"
