#!/usr/bin/env bash
# Install Debian packages a test suite needs, unless what they provide is already there.
#
#   .ci/install-debian.sh <path that proves it is installed> <package>...
#
# Used for Chromium (tests/browser drive /usr/bin/chromium; Playwright's own browser
# download is not used) and PostgreSQL (the Hive metastore's database in trino-local).
# Safe to run again: when the path exists it does nothing. Needs root (or sudo) and
# apt-get; exits non-zero when the install fails, so CI never silently skips a suite.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 <path-glob> <package>..." >&2
    exit 2
fi
PROOF=$1
shift

installed() { compgen -G "$PROOF" > /dev/null; }

if installed; then
    echo "install-debian: $* already installed ($PROOF)"
    exit 0
fi

if ! command -v apt-get > /dev/null; then
    echo "install-debian: apt-get not found; install $* by hand" >&2
    exit 1
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
    if ! command -v sudo > /dev/null; then
        echo "install-debian: not root and no sudo; cannot install $*" >&2
        exit 1
    fi
    SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-debian: installing $* with apt-get"
if ! "${SUDO[@]}" apt-get update -qq; then
    echo "install-debian: apt-get update failed" >&2
    exit 1
fi
if ! "${SUDO[@]}" apt-get install -y -qq "$@" > /dev/null; then
    echo "install-debian: apt-get install $* failed" >&2
    exit 1
fi

if ! installed; then
    echo "install-debian: apt-get succeeded but $PROOF is missing" >&2
    exit 1
fi
echo "install-debian: $* installed ($PROOF)"
