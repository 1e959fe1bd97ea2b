"""Start a server detached, wait until it answers, stop it by the PID it recorded.

Each server gets `<SME_PULSE_HOME>/servers/<name>.pid` and `<SME_PULSE_HOME>/logs/<name>.log`.
It runs in a session of its own, so stopping it signals its whole process group and
nothing else; a PID file whose process is gone, or whose PID now belongs to another
program, is treated as "not running" and never signalled.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sme_pulse.errors import SmePulseError

POLL_S = 0.5
KILL_WAIT_S = 30.0
"""How long a group may take to vanish after SIGKILL (a process stuck in the kernel)."""


class ServerError(SmePulseError, RuntimeError):
    """A server did not start or stop; the message names it and where its log is."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1", timeout_s: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout_s):
        return True
    return False


def log_tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def group_alive(pgid: int) -> bool:
    """Whether a process of group `pgid` still runs (zombies awaiting reaping do not)."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the kernel, zombies included
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command name: state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def signal_group(pgid: int, sig: signal.Signals) -> bool:
    """Send `sig` to the process group; False when it is already gone."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True


def stop_group(pgid: int, sig: signal.Signals, timeout_s: float) -> bool:
    """`sig`, then SIGKILL after `timeout_s`; True when the group was running."""
    if not signal_group(pgid, sig):
        return False
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _reap(pgid)
        if not group_alive(pgid):
            return True
        time.sleep(0.2)
    signal_group(pgid, signal.SIGKILL)
    deadline = time.monotonic() + KILL_WAIT_S
    while group_alive(pgid):
        if time.monotonic() > deadline:
            raise ServerError(f"process group {pgid} outlived SIGKILL by {KILL_WAIT_S:.0f} s")
        _reap(pgid)
        time.sleep(0.1)
    return True


def _reap(pid: int) -> None:
    """Collect our own exited child, so its zombie does not look alive."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@dataclass
class Server:
    """One long-running process: how to start it, how to know it is ready, where it logs."""

    name: str
    argv: Sequence[str]
    home: Path
    ready: Callable[[], bool]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    user: str | None = None
    """Run as this user (PostgreSQL refuses to run as root)."""
    stop_signal: signal.Signals = signal.SIGTERM
    marker: str = ""
    """A string of the command line that proves a recorded PID is still this server."""
    config_files: Sequence[Path] = ()
    """Files whose change means a running server must restart to see it."""
    own_pid_files: Sequence[Path] = ()
    """PID files the server keeps itself and does not remove when it stops. Removed before
    each start: this PID file is the one that counts, and a stopped server's PID may still
    answer `kill -0` as a zombie its new parent has not reaped yet."""

    @property
    def pid_file(self) -> Path:
        return self.home / "servers" / f"{self.name}.pid"

    @property
    def log_path(self) -> Path:
        return self.home / "logs" / f"{self.name}.log"

    @property
    def fingerprint_file(self) -> Path:
        return self.home / "servers" / f"{self.name}.fingerprint"

    def fingerprint(self) -> str:
        """Digest of the command, its environment and its configuration files."""
        digest = hashlib.sha256(json.dumps([list(self.argv), sorted(self.env.items())]).encode())
        for path in self.config_files:
            digest.update(path.read_bytes())
        return digest.hexdigest()

    @classmethod
    def recorded(cls, home: Path, name: str) -> Server:
        """The server a PID file under `home` describes: enough to check and stop it.

        The PID file holds the PID, the stop signal and the command-line marker, so
        stopping needs no download, no Java and no configuration.
        """
        try:
            _, sig, marker = (home / "servers" / f"{name}.pid").read_text().splitlines()[:3]
        except (OSError, ValueError):
            sig, marker = "SIGTERM", f"\0{name}"  # matches no command line: never signalled
        return cls(
            name=name,
            argv=[marker],
            home=home,
            ready=lambda: True,
            marker=marker,
            stop_signal=signal.Signals[sig],
        )

    def pid(self) -> int | None:
        """The recorded PID while that process is alive and still this server."""
        try:
            pid = int(self.pid_file.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None
        _reap(pid)
        cmdline = _cmdline(pid)
        if not cmdline or (self.marker or self.argv[0]) not in cmdline:
            return None
        return pid

    def start(self, timeout_s: float) -> bool:
        """`ensure_started`, then wait until ready; True when it was (re)started."""
        started = self.ensure_started()
        self.wait_ready(timeout_s)
        return started

    def is_current(self) -> bool:
        """Running, and with this very command, environment and configuration."""
        if self.pid() is None:
            return False
        try:
            return self.fingerprint_file.read_text().strip() == self.fingerprint()
        except OSError:
            return False

    def ensure_started(self) -> bool:
        """Spawn unless running with this very command, environment and configuration.

        A server running with another configuration (an edited trino/etc file, another
        setting) is stopped and started again, so what runs is always what was asked for.
        """
        if self.is_current():
            return False
        self.stop()
        self.spawn()
        return True

    def spawn(self) -> None:
        for stale in self.own_pid_files:
            stale.unlink(missing_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n--- {time.strftime('%Y-%m-%dT%H:%M:%S')} start {self.name}\n".encode())
            log.flush()
            process = subprocess.Popen(
                list(self.argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                cwd=self.cwd,
                user=self.user,
                start_new_session=True,
            )
        marker = self.marker or self.argv[0]
        self.pid_file.write_text(f"{process.pid}\n{self.stop_signal.name}\n{marker}\n")
        self.fingerprint_file.write_text(self.fingerprint() + "\n")
        # The kernel shows an empty command line while exec is still under way; wait it
        # out so `pid()` never mistakes a server that is just starting for a dead one.
        deadline = time.monotonic() + 5.0
        while not _cmdline(process.pid) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            if self.pid() is None:
                raise ServerError(
                    f"{self.name} exited while starting; log {self.log_path}:\n"
                    f"{log_tail(self.log_path)}"
                )
            with contextlib.suppress(Exception):
                if self.ready():
                    return
            if time.monotonic() > deadline:
                raise ServerError(
                    f"{self.name} did not become ready within {timeout_s:.0f} s; "
                    f"log {self.log_path}:\n{log_tail(self.log_path)}"
                )
            time.sleep(POLL_S)

    def stop(self, timeout_s: float = 60.0) -> bool:
        """Stop what this server's PID file recorded; True when something was running."""
        pid = self.pid()
        stopped = stop_group(pid, self.stop_signal, timeout_s) if pid else False
        self.pid_file.unlink(missing_ok=True)
        self.fingerprint_file.unlink(missing_ok=True)
        return stopped


def run_once(
    name: str,
    argv: Sequence[str],
    home: Path,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
) -> None:
    """A one-shot setup command (schema init, initdb), logged like the servers."""
    log_path = home / "logs" / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        result = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            user=user,
            check=False,
        )
    if result.returncode != 0:
        raise ServerError(
            f"{name} failed (exit {result.returncode}); log {log_path}:\n{log_tail(log_path)}"
        )
