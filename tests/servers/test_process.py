"""Servers started detached, found by PID file, stopped by PID — with real processes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sme_pulse.servers.process import Server, ServerError, free_port, port_open, run_once

pytestmark = pytest.mark.unit


def _http_server(home: Path, port: int) -> Server:
    return Server(
        name="web",
        argv=[sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        home=home,
        ready=lambda: httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200,
        cwd=home,
        marker="http.server",
    )


def test_start_is_idempotent_and_stop_ends_it(tmp_path: Path) -> None:
    port = free_port()
    server = _http_server(tmp_path, port)
    assert server.start(timeout_s=30) is True
    pid = server.pid()
    assert pid and port_open(port)
    # A second start finds it running and starts nothing.
    assert _http_server(tmp_path, port).start(timeout_s=30) is False
    assert server.pid() == pid
    assert server.stop() is True
    assert server.pid() is None and not port_open(port)
    assert not server.pid_file.exists()
    assert "start web" in server.log_path.read_text()


def test_a_pid_file_of_another_program_is_never_signalled(tmp_path: Path) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        server = _http_server(tmp_path, free_port())
        server.pid_file.parent.mkdir(parents=True)
        server.pid_file.write_text(f"{other.pid}\n")
        assert server.pid() is None
        assert server.stop() is False
        assert other.poll() is None, "stop() signalled a process that was not its server"
    finally:
        other.send_signal(signal.SIGKILL)
        other.wait()


def test_a_server_that_dies_while_starting_shows_its_log(tmp_path: Path) -> None:
    server = Server(
        name="broken",
        argv=[sys.executable, "-c", "import sys; print('bad config: port'); sys.exit(3)"],
        home=tmp_path,
        ready=lambda: False,
    )
    with pytest.raises(ServerError, match=r"(?s)broken exited while starting.*bad config: port"):
        server.start(timeout_s=30)


def test_a_failing_setup_command_names_its_log(tmp_path: Path) -> None:
    with pytest.raises(ServerError, match=r"schema failed \(exit 2\); log .*schema.log"):
        run_once("schema", [sys.executable, "-c", "raise SystemExit(2)"], tmp_path)


def test_a_stale_pid_file_of_the_server_itself_is_removed_before_it_starts(
    tmp_path: Path,
) -> None:
    own = tmp_path / "var" / "run" / "launcher.pid"
    own.parent.mkdir(parents=True)
    own.write_text("1\n")
    server = Server(
        name="refuses-when-pid-file-exists",
        argv=[
            sys.executable,
            "-c",
            f"import pathlib, sys, time; sys.exit(3) if pathlib.Path({str(own)!r}).exists() "
            "else time.sleep(30)",
        ],
        home=tmp_path,
        ready=lambda: True,
        own_pid_files=[own],
    )
    try:
        assert server.start(timeout_s=10) is True
        time.sleep(1.0)  # long enough for the child to have looked for the file
        assert server.pid() is not None, "the server found its stale PID file and refused"
    finally:
        server.stop()


def test_the_pid_file_alone_is_enough_to_stop_a_server(tmp_path: Path) -> None:
    port = free_port()
    server = _http_server(tmp_path, port)
    server.stop_signal = signal.SIGINT
    server.start(timeout_s=30)
    recorded = Server.recorded(tmp_path, "web")
    assert recorded.stop_signal == signal.SIGINT and recorded.marker == "http.server"
    assert recorded.pid() == server.pid()
    assert recorded.stop() is True
    assert server.pid() is None and not port_open(port)
    # A server that never ran has nothing to stop.
    assert Server.recorded(tmp_path, "never-started").stop() is False
