"""Find a JDK of the right major version: Trino 476 needs ≥ 24, Hadoop 3.3 needs ≤ 22."""

from __future__ import annotations

import os
import re
from pathlib import Path

from sme_pulse.errors import SmePulseError

JVM_ROOT = Path("/usr/lib/jvm")
VERSION = re.compile(r'^JAVA_VERSION="(\d+)', re.MULTILINE)


class JavaNotFoundError(SmePulseError, RuntimeError):
    """No JDK in the accepted range; the message says what to install or set."""


def major_version(java_home: Path) -> int | None:
    """The major version from the JDK's `release` file, None when it is no JDK."""
    try:
        found = VERSION.search((java_home / "release").read_text())
    except OSError:
        return None
    return int(found.group(1)) if found and (java_home / "bin" / "java").exists() else None


def candidates(override: Path | None) -> list[Path]:
    if override:
        return [override]
    found = [Path(os.environ["JAVA_HOME"])] if os.environ.get("JAVA_HOME") else []
    if JVM_ROOT.is_dir():
        found += sorted(p for p in JVM_ROOT.iterdir() if p.is_dir() and not p.is_symlink())
    return found


def find_java(
    purpose: str,
    minimum: int,
    maximum: int | None,
    override: Path | None,
    variable: str,
    install: str,
) -> Path:
    """The first JDK whose major version is within [minimum, maximum].

    `install` tells a user without one what to install, e.g. `apt-get install openjdk-17-jdk`.
    """
    seen = []
    for home in candidates(override):
        version = major_version(home)
        seen.append(f"{home} ({version or 'not a JDK'})")
        if version and version >= minimum and (maximum is None or version <= maximum):
            return home
    wanted = f"JDK {minimum}" + (f" to {maximum}" if maximum else " or newer")
    raise JavaNotFoundError(
        f"{purpose} needs {wanted}; found {', '.join(seen) or 'no JDK'}. "
        f"Install one ({install}) and set {variable} to its folder if it is not under "
        f"{JVM_ROOT}."
    )
