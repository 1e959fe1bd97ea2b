#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/browser), unless it is already there.
#
# Playwright's own browser download is not used: the tests drive /usr/bin/chromium. Safe to
# run again: with Chromium present it does nothing. Needs root (or sudo) and apt-get; fails,
# non-zero, when the install fails, so CI never silently falls back to skipping the tests.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
    echo "install-browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) already at $CHROMIUM"
    exit 0
fi

if ! command -v apt-get > /dev/null; then
    echo "install-browser: apt-get not found; install Chromium at $CHROMIUM by hand" >&2
    exit 1
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
    if ! command -v sudo > /dev/null; then
        echo "install-browser: not root and no sudo; cannot install Chromium" >&2
        exit 1
    fi
    SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
# With its recommended packages (the same set the browser test was written against) and
# a font, without which the screenshots may render no text.
echo "install-browser: installing Debian's chromium and fonts-liberation with apt-get"
if ! "${SUDO[@]}" apt-get update -qq; then
    echo "install-browser: apt-get update failed" >&2
    exit 1
fi
if ! "${SUDO[@]}" apt-get install -y -qq chromium fonts-liberation \
    > /dev/null; then
    echo "install-browser: apt-get install chromium failed" >&2
    exit 1
fi

if [[ ! -x "$CHROMIUM" ]]; then
    echo "install-browser: apt-get succeeded but $CHROMIUM is missing" >&2
    exit 1
fi
echo "install-browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed at $CHROMIUM"
