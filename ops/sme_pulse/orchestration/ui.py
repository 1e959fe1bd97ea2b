"""`make airflow`: the Airflow UI on this machine, without Docker.

`airflow standalone` runs the api-server, scheduler, dag-processor and triggerer under one
parent process, on the SQLite database `make airflow-init` migrated. This module wraps it
for two callers with the same environment:

* `serve_ui` (`make airflow`, foreground): starts it, waits until every component reports
  healthy, prints the URL and the login, and stops it on Ctrl-C;
* `start_ui` (the browser test): the same in the background, on a free port and in a
  throwaway home, returning a handle whose `stop()` tears the whole process group down.

What the wrapper adds to plain `airflow standalone`, and why:

* the api-server listens on 127.0.0.1 only, and the task runner's execution API URL follows
  the chosen port (Airflow 3 tasks report their state over HTTP to
  `[core] execution_api_server_url`, which otherwise assumes port 8080, so every task of a
  standalone on another port would fail before it starts);
* `parallelism` defaults to 4: the LocalExecutor forks that many workers up front (32 by
  default), and one laptop needs few; DuckDB allows one writing process anyway, which the
  one-slot `duckdb_writer` pool enforces for the dbt tasks;
* the login comes from the file the simple auth manager generates,
  `$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated`, which standalone only
  prints on the very first start;
* the output goes to a log file, so the terminal shows the login instead of scrolling it
  away under four components' logs.
* Cosmos's plugin serves the dbt docs site (`make dbt-docs`) under `/cosmos/sme_pulse/`,
  with a "dbt Docs" entry in the Browse menu (`sme_pulse.orchestration.dbt_docs`).

The scheduler and triggerer log servers (8793, 8794) listen on every interface: standalone
does not pass `--skip-serve-logs` and the address is not configurable; they only answer
requests signed with this home's secret key. The ports follow the environment
(AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT, AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT), which
`start_ui(isolated_ports=True)` sets to free ports so a test never collides with a running
`make airflow`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sme_pulse.config import REPO_ROOT, Settings
from sme_pulse.errors import SmePulseError
from sme_pulse.orchestration.dbt_docs import docs_projects
from sme_pulse.servers.process import free_port, group_alive, port_open, signal_group

DEFAULT_PORT = 8080
HOST = "127.0.0.1"
HEALTH_PATH = "/api/v2/monitor/health"
PASSWORDS_FILE = "simple_auth_manager_passwords.json.generated"
# Every component standalone starts; the UI is usable once all of them heartbeat.
COMPONENTS = ("metadatabase", "scheduler", "dag_processor", "triggerer")
DEFAULT_START_TIMEOUT_S = 240.0
DEFAULT_STOP_TIMEOUT_S = 30.0


class UiError(SmePulseError, RuntimeError):
    """Airflow standalone did not start (or stop) as expected; the message says why."""


@dataclass(frozen=True)
class Login:
    username: str
    password: str


@dataclass
class AirflowUi:
    """A running `airflow standalone`: where it answers, how to log in, how to stop it."""

    url: str
    login: Login | None
    airflow_home: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    _log_handle: Any = field(default=None, repr=False)

    def token(self, client: httpx.Client | None = None) -> str:
        """A JWT for the REST API (`POST /auth/token`), for callers that poll run states."""
        if self.login is None:
            raise UiError("no login: the simple auth manager wrote no passwords file")
        own = client is None
        client = client or httpx.Client(timeout=30.0)
        try:
            response = client.post(
                f"{self.url}/auth/token",
                json={"username": self.login.username, "password": self.login.password},
            )
        finally:
            if own:
                client.close()
        if response.is_error:
            raise UiError(f"POST /auth/token answered {response.status_code}: {response.text}")
        return str(response.json()["access_token"])

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout_s: float = DEFAULT_STOP_TIMEOUT_S) -> int | None:
        """Stop every process standalone started; return standalone's exit code.

        SIGINT (what Ctrl-C sends) goes to standalone alone, which then sends SIGTERM to each
        of its four components once. Signalling the whole group at the same time lets a
        component get both signals, and Airflow 3.3's dag-processor and triggerer can hang
        in their shutdown then. Whatever is still alive in the group after `timeout_s`
        (standalone runs in a process group of its own) gets SIGTERM, then SIGKILL.
        """
        try:
            if self.running():
                self.process.send_signal(signal.SIGINT)
                gone = _wait_group_gone(self.process, timeout_s)
            else:  # standalone died on its own: nothing will stop what it left behind
                gone = _wait_group_gone(self.process, 0.0)
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if gone:
                    break
                signal_group(self.process.pid, sig)
                gone = _wait_group_gone(self.process, 5.0)
            return self.process.poll()
        finally:
            if self._log_handle is not None:
                self._log_handle.close()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


# Standalone stops its components cleanly on SIGINT (Ctrl-C), unless it inherited SIGINT
# ignored, as every background job of a non-interactive shell does (CI, `cmd &`): exec keeps
# an ignored signal ignored, so the child resets it before it becomes `airflow standalone`.
_RESTORE_SIGINT_AND_EXEC = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def _wait_group_gone(process: subprocess.Popen[bytes], timeout_s: float) -> bool:
    """Wait until no process of the group `process` leads is alive; reap the leader."""
    deadline = time.monotonic() + timeout_s
    while True:
        process.poll()
        if not group_alive(process.pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def _venv_bin() -> Path:
    """The folder holding this interpreter's `airflow` script (standalone looks it up on PATH)."""
    return Path(sys.executable).parent


def standalone_env(
    port: int,
    base: Mapping[str, str] | None = None,
    *,
    isolated_ports: bool = False,
) -> dict[str, str]:
    """The environment `airflow standalone` and its components run with.

    Values already set in `base` win (the Makefile exports the Airflow home, DAGs folder and
    telemetry switches), except the host, port and execution API URL, which must agree
    with `port`. `isolated_ports` also moves the log servers to free ports.
    """
    env = dict(os.environ if base is None else base)
    home = Path(env.get("SME_PULSE_HOME", "").strip() or REPO_ROOT / ".local").resolve()
    env["SME_PULSE_HOME"] = str(home)
    env.setdefault("AIRFLOW_HOME", str(home / "airflow"))
    env.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO_ROOT / "airflow" / "dags"))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    env.setdefault("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
    env.setdefault("AIRFLOW__CORE__PARALLELISM", "4")
    env.setdefault("AIRFLOW__USAGE_DATA_COLLECTION__ENABLED", "False")
    env.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
    env.setdefault("AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY", "False")
    env.setdefault("AIRFLOW__COSMOS__ENABLE_ORJSON_PARSER", "True")
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("SCARF_ANALYTICS", "false")
    env.setdefault("DBT_PROJECT_DIR", str(REPO_ROOT / "dbt"))
    env.setdefault("DBT_PROFILES_DIR", env["DBT_PROJECT_DIR"])
    env.setdefault(
        "AIRFLOW__COSMOS__DBT_DOCS_PROJECTS", docs_projects(Path(env["DBT_PROJECT_DIR"]))
    )
    env["AIRFLOW__API__HOST"] = HOST
    env["AIRFLOW__API__PORT"] = str(port)
    env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] = f"http://{HOST}:{port}/execution/"
    if isolated_ports:
        env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(free_port())
        env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"] = str(free_port())
    # Standalone starts its components as `airflow ...` found on PATH: this venv's.
    env["PATH"] = os.pathsep.join([str(_venv_bin()), env.get("PATH", "")])
    # Line by line into the log file, so a failure to start shows its last lines.
    env["PYTHONUNBUFFERED"] = "1"
    return env


def init_home(base: Mapping[str, str] | None = None) -> None:
    """Migrate the metadata database and create the `duckdb_writer` pool.

    What `make airflow-init` does, for an Airflow home the Makefile did not make (the
    browser test's). One slot: DuckDB allows a single writing process.
    """
    # Imported here: dbt_groups imports Cosmos and Airflow, which `make airflow` needs not.
    from sme_pulse.orchestration.dbt_groups import DUCKDB_POOL

    env = standalone_env(DEFAULT_PORT, base)
    airflow = str(_venv_bin() / "airflow")
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    for args in (
        ["db", "migrate"],
        ["pools", "set", DUCKDB_POOL, "1", "DuckDB allows one writing process"],
    ):
        done = subprocess.run(
            [airflow, *args], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise UiError(f"airflow {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def read_login(airflow_home: Path) -> Login | None:
    """The admin login from the simple auth manager's generated passwords file, if any."""
    path = airflow_home / PASSWORDS_FILE
    try:
        passwords = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(passwords, dict) or not passwords:
        return None
    username = "admin" if "admin" in passwords else str(next(iter(passwords)))
    return Login(username=username, password=str(passwords[username]))


def _health(client: httpx.Client, url: str) -> dict[str, str]:
    """Status of each component, as the api-server reports it; empty until it answers."""
    try:
        response = client.get(f"{url}{HEALTH_PATH}")
    except httpx.HTTPError:
        return {}
    if response.status_code != 200:
        return {}
    body = response.json()
    return {name: str((body.get(name) or {}).get("status")) for name in COMPONENTS}


def start_ui(
    port: int | None = None,
    *,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    timeout_s: float = DEFAULT_START_TIMEOUT_S,
    isolated_ports: bool = False,
) -> AirflowUi:
    """Start `airflow standalone` in the background and return once it is healthy.

    `port=None` takes a free port. The caller owns the result and must `stop()` it; on a
    failure to start, everything started is stopped and UiError carries the log's tail.
    """
    port = free_port() if port is None else port
    if port_open(port):
        raise UiError(
            f"port {port} on {HOST} is already in use (another Airflow?); "
            "pick another one, e.g. make airflow AIRFLOW_PORT=8090"
        )
    run_env = standalone_env(port, env, isolated_ports=isolated_ports)
    airflow_home = Path(run_env["AIRFLOW_HOME"])
    log_path = log_path or airflow_home / "logs" / "standalone.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    handle = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _RESTORE_SIGINT_AND_EXEC,
            str(_venv_bin() / "airflow"),
            "standalone",
        ],
        stdin=subprocess.DEVNULL,
        stdout=handle,
        stderr=subprocess.STDOUT,
        env=run_env,
        cwd=str(REPO_ROOT),
        start_new_session=True,
    )
    ui = AirflowUi(
        url=f"http://{HOST}:{port}",
        login=None,
        airflow_home=airflow_home,
        log_path=log_path,
        process=process,
        _log_handle=handle,
    )
    try:
        _wait_healthy(ui, timeout_s)
    except BaseException:
        ui.stop()
        raise
    return ui


def _wait_healthy(ui: AirflowUi, timeout_s: float) -> None:
    """Poll the health endpoint until every component is healthy and the login exists."""
    deadline = time.monotonic() + timeout_s
    status: dict[str, str] = {}
    with httpx.Client(timeout=5.0) as client:
        while True:
            if not ui.running():
                raise UiError(
                    f"airflow standalone exited with code {ui.process.returncode}; "
                    f"last lines of {ui.log_path}:\n{ui.log_tail()}"
                )
            status = _health(client, ui.url)
            if status and all(state == "healthy" for state in status.values()):
                ui.login = read_login(ui.airflow_home)
                if ui.login is not None:
                    return
            if time.monotonic() > deadline:
                raise UiError(
                    f"Airflow at {ui.url} not healthy after {timeout_s:.0f} s "
                    f"(components: {status or 'no answer'}); last lines of {ui.log_path}:\n"
                    f"{ui.log_tail()}"
                )
            time.sleep(0.5)


def expected_dag_files(dags_folder: Path) -> set[str]:
    """DAG files the dag-processor will parse: Python files naming both 'airflow' and 'dag'.

    The same test Airflow's safe mode applies before importing a file.
    """
    files = set()
    for path in sorted(dags_folder.glob("*.py")):
        text = path.read_text(errors="replace").lower()
        if "airflow" in text and "dag" in text:
            files.add(path.name)
    return files


@dataclass(frozen=True)
class DagListing:
    """What the api-server lists once the DAG files are parsed."""

    paused: dict[str, bool]  # dag_id -> is_paused
    import_errors: list[str]  # "file: last line of the traceback"


def wait_for_dags(ui: AirflowUi, dags_folder: Path, timeout_s: float = 90.0) -> DagListing:
    """Wait until every DAG file is parsed (as DAGs or import errors), then list them.

    Returns what is there when the time runs out, so the caller can still report it.
    """
    expected = expected_dag_files(dags_folder)
    deadline = time.monotonic() + timeout_s
    with httpx.Client(base_url=ui.url, timeout=10.0) as client:
        client.headers["Authorization"] = f"Bearer {ui.token(client)}"
        while True:
            dags = client.get("/api/v2/dags", params={"limit": 100})
            errors = client.get("/api/v2/importErrors")
            dag_items = dags.json().get("dags", []) if dags.status_code == 200 else []
            error_items = (
                errors.json().get("import_errors", []) if errors.status_code == 200 else []
            )
            seen = {Path(str(d.get("fileloc", ""))).name for d in dag_items}
            seen |= {Path(str(e.get("filename", ""))).name for e in error_items}
            if expected <= seen or time.monotonic() > deadline:
                return DagListing(
                    paused={str(d["dag_id"]): bool(d.get("is_paused")) for d in dag_items},
                    import_errors=[
                        f"{e.get('filename')}: {_last_line(str(e.get('stack_trace', '')))}"
                        for e in error_items
                    ],
                )
            time.sleep(1.0)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def serve_ui(port: int | None = None, *, timeout_s: float = DEFAULT_START_TIMEOUT_S) -> int:
    """Run Airflow standalone in the foreground until Ctrl-C; return an exit code.

    Uses the environment as it is (the Makefile's: AIRFLOW_HOME under SME_PULSE_HOME, the
    repository's DAGs folder), on `port` or AIRFLOW_PORT or 8080. Expects the metadata
    database migrated and the pool created (`make airflow-init`).
    """
    port = port or Settings.from_env().operator.airflow_port
    # `kill` or a closing terminal stops Airflow as cleanly as Ctrl-C does, instead of
    # leaving its process group (which has its own session) running without us.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    signal.signal(signal.SIGHUP, _raise_keyboard_interrupt)
    print(f"Starting Airflow standalone on http://{HOST}:{port} (takes about half a minute)")
    try:
        ui = start_ui(port, timeout_s=timeout_s)
    except UiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    try:
        _print_login(ui)
        dags_folder = Path(standalone_env(port)["AIRFLOW__CORE__DAGS_FOLDER"])
        try:
            _print_dags(wait_for_dags(ui, dags_folder))
        except (UiError, httpx.HTTPError) as exc:
            print(f"Could not list the DAGs: {exc}")
        print("Ctrl-C stops Airflow.", flush=True)
        while ui.running():
            time.sleep(0.5)
        print(f"airflow standalone exited with code {ui.process.returncode}; see {ui.log_path}")
        return 1
    except KeyboardInterrupt:
        print("\nStopping Airflow ...", flush=True)
        return 0
    finally:
        try:
            ui.stop()
        except KeyboardInterrupt:  # a second Ctrl-C: no more waiting for a clean exit
            ui.stop(timeout_s=0.0)
        with contextlib.suppress(OSError):  # the terminal may be gone (SIGHUP)
            print("Airflow stopped.", flush=True)


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _print_login(ui: AirflowUi) -> None:
    rule = "=" * 64
    lines = [rule, f"  Airflow UI   {ui.url}"]
    if ui.login is not None:
        lines += [f"  user         {ui.login.username}", f"  password     {ui.login.password}"]
    lines += [
        f"  (login file  {ui.airflow_home / PASSWORDS_FILE})",
        f"  logs         {ui.log_path}",
        rule,
    ]
    print("\n".join(lines), flush=True)


def _print_dags(listing: DagListing) -> None:
    if not listing.paused:
        print("No DAGs yet (the dag-processor may still be parsing).")
    for dag_id, paused in sorted(listing.paused.items()):
        state = "paused: switch it on in the UI to run it" if paused else "active"
        print(f"DAG {dag_id} ({state})")
    for problem in listing.import_errors:
        print(f"IMPORT ERROR {problem}")


def main(argv: list[str] | None = None) -> int:
    """`python -m sme_pulse.orchestration.ui [--port N]`, what `make airflow` runs."""
    import argparse

    parser = argparse.ArgumentParser(description=serve_ui.__doc__)
    parser.add_argument("--port", type=int, default=None, help="default: AIRFLOW_PORT or 8080")
    args = parser.parse_args(argv)
    return serve_ui(args.port)


if __name__ == "__main__":
    raise SystemExit(main())
