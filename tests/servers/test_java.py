"""Choosing a JDK by major version, over real JDK-shaped folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from sme_pulse.servers.java import JavaNotFoundError, find_java, major_version

pytestmark = pytest.mark.unit


def _jdk(root: Path, name: str, version: str) -> Path:
    home = root / name
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").write_text("")
    (home / "release").write_text(f'IMPLEMENTOR="x"\nJAVA_VERSION="{version}"\n')
    return home


def test_major_version_reads_the_release_file(tmp_path: Path) -> None:
    assert major_version(_jdk(tmp_path, "t25", "25.0.1")) == 25
    assert major_version(_jdk(tmp_path, "o17", "17.0.15")) == 17
    assert major_version(tmp_path / "missing") is None


def test_an_override_outside_the_range_says_what_to_install(tmp_path: Path) -> None:
    jdk17 = _jdk(tmp_path, "o17", "17.0.15")
    assert find_java("metastore", 17, 22, jdk17, "METASTORE_JAVA_HOME", "x") == jdk17
    with pytest.raises(JavaNotFoundError) as raised:
        find_java("Trino 476", 24, None, jdk17, "TRINO_JAVA_HOME", "Temurin 25")
    message = str(raised.value)
    assert message.startswith("Trino 476 needs JDK 24 or newer; found ")
    assert f"{jdk17} (17)" in message
    assert "Install one (Temurin 25) and set TRINO_JAVA_HOME" in message
