"""End-to-end smoke test of a running stack (`make smoke`).

It drives the stack the way an operator would: logs in to Airflow's REST API, unpauses
and triggers both DAGs, waits for each run to succeed, then counts the gold rows through
Trino. Everything it needs comes from the environment, so it runs unchanged from a
laptop against `make up` and from CI. Any failure raises `SmokeError` with a single line
that names what broke (the DAG and its failed tasks, or the table and its row count).

Unpausing before triggering matters: a run triggered on a paused DAG is created but
stays queued until the DAG is unpaused (docs/operations.md, "stuck in queued").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from sme_pulse.config import ConfigError, Settings, TrinoSettings
from sme_pulse.errors import SmePulseError

DAG_IDS: tuple[str, ...] = ("sme_pulse_external_data_sync", "sme_pulse_sales_sync")

QueryFn = Callable[[str], Sequence[Sequence[Any]]]


class SmokeError(SmePulseError, RuntimeError):
    """The stack is not healthy end to end; the message is one line naming the cause."""


@dataclass(frozen=True)
class GoldCheck:
    """A gold table and the fewest rows it may have after both DAGs ran."""

    table: str
    min_rows: int
    required: bool = True


GOLD_CHECKS: tuple[GoldCheck, ...] = (
    GoldCheck("iceberg.gold.dim_macro_indicators", 1),
    # 63 provinces' districts before the 2025 reform: 696 rows at least.
    GoldCheck("iceberg.gold.dim_location", 696),
    GoldCheck("iceberg.gold.fct_sales", 1, required=False),
)


@dataclass(frozen=True)
class SmokeConfig:
    airflow_url: str
    username: str
    password: str
    trino: TrinoSettings
    timeout_s: float
    poll_s: float

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmokeConfig:
        try:
            settings = Settings.from_env(env)
        except ConfigError as exc:
            raise SmokeError(f"bad smoke settings: {exc}") from exc
        operator = settings.operator
        if not operator.airflow_admin_password:
            raise SmokeError(
                "AIRFLOW_ADMIN_PASSWORD is not set (it is in .env after make stack-env)"
            )
        if not operator.smoke_trino_password:
            raise SmokeError("TRINO_SMOKE_PASSWORD is not set (it is in .env after make stack-env)")
        return cls(
            airflow_url=operator.airflow_api_url,
            username=operator.airflow_admin_user,
            password=operator.airflow_admin_password,
            # The smoke test reads gold with its own read-only login (trino/secure/rules.json).
            trino=TrinoSettings(
                host=settings.trino.host,
                port=settings.trino.port,
                user=operator.smoke_trino_user,
                password=operator.smoke_trino_password,
                ca_file=settings.trino.ca_file,
            ),
            timeout_s=operator.smoke_timeout_s,
            poll_s=operator.smoke_poll_s,
        )


class AirflowApi:
    """The few calls of Airflow 3's REST API (/api/v2, JWT from /auth/token) we need."""

    def __init__(self, client: httpx.Client, base_url: str) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._headers: dict[str, str] = {}

    def _url(self, path: str) -> str:
        return f"{self._base}{path}"

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._client.request(method, self._url(path), headers=self._headers, **kwargs)
        except httpx.HTTPError as exc:
            raise SmokeError(f"Airflow API at {self._base} unreachable: {exc}") from exc

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        if response.is_error:
            raise SmokeError(
                f"Airflow API {method} {path} answered {response.status_code}: "
                f"{_one_line(response.text)}"
            )
        return response.json()

    def login(self, username: str, password: str) -> None:
        body = self._json("POST", "/auth/token", json={"username": username, "password": password})
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise SmokeError("Airflow /auth/token returned no access_token")
        self._headers = {"Authorization": f"Bearer {token}"}

    def dag_exists(self, dag_id: str) -> bool:
        response = self._request("GET", f"/api/v2/dags/{quote(dag_id, safe='')}")
        if response.status_code == 404:
            return False
        if response.is_error:
            raise SmokeError(f"Airflow API GET dag {dag_id} answered {response.status_code}")
        return True

    def import_errors(self) -> list[str]:
        body = self._json("GET", "/api/v2/importErrors")
        return [
            f"{item.get('filename')}: {_last_line(item.get('stack_trace', ''))}"
            for item in body.get("import_errors", [])
        ]

    def unpause(self, dag_id: str) -> None:
        self._json("PATCH", f"/api/v2/dags/{quote(dag_id, safe='')}", json={"is_paused": False})

    def trigger(self, dag_id: str) -> str:
        body = self._json(
            "POST",
            f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns",
            json={"logical_date": None, "note": "make smoke"},
        )
        run_id = body.get("dag_run_id")
        if not run_id:
            raise SmokeError(f"triggering {dag_id} returned no dag_run_id")
        return str(run_id)

    def run_state(self, dag_id: str, run_id: str) -> str:
        body = self._json(
            "GET", f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns/{quote(run_id, safe='')}"
        )
        return str(body.get("state"))

    def failed_tasks(self, dag_id: str, run_id: str) -> list[str]:
        body = self._json(
            "GET",
            f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns/{quote(run_id, safe='')}/taskInstances",
            params={"limit": 1000},
        )
        return sorted(
            {
                str(item.get("task_id"))
                for item in body.get("task_instances", [])
                if item.get("state") in {"failed", "upstream_failed"}
            }
        )


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _last_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return _one_line(lines[-1] if lines else "")


class _Deadline:
    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._end = clock() + seconds

    def expired(self) -> bool:
        return self._clock() >= self._end


def run_dag(
    api: AirflowApi,
    dag_id: str,
    *,
    timeout_s: float,
    poll_s: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = print,
) -> str:
    """Unpause, trigger and wait for one DAG; return its run id, raise unless it succeeded."""
    deadline = _Deadline(timeout_s, clock)
    while not api.dag_exists(dag_id):
        if deadline.expired():
            errors = api.import_errors()
            detail = f"; import errors: {' | '.join(errors)}" if errors else ""
            raise SmokeError(f"DAG {dag_id} never appeared in Airflow{detail}")
        sleep(poll_s)
    api.unpause(dag_id)
    run_id = api.trigger(dag_id)
    log(f"triggered {dag_id} ({run_id})")
    state = api.run_state(dag_id, run_id)
    while state not in {"success", "failed"}:
        if deadline.expired():
            raise SmokeError(
                f"DAG {dag_id} run {run_id} still {state} after {timeout_s:.0f}s"
                " (paused DAG, stopped scheduler? see docs/operations.md)"
            )
        sleep(poll_s)
        state = api.run_state(dag_id, run_id)
    if state != "success":
        failed = api.failed_tasks(dag_id, run_id)
        tasks = ", ".join(failed) if failed else "no task marked failed"
        raise SmokeError(f"DAG {dag_id} run {run_id} failed: {tasks}")
    log(f"{dag_id} succeeded")
    return run_id


def trino_query(config: SmokeConfig) -> QueryFn:
    """A query function over the `trino` client: HTTPS, the smoke login, Trino's CA."""
    import trino

    where = f"{config.trino.host}:{config.trino.port}"

    def query(sql: str) -> Sequence[Sequence[Any]]:
        try:
            with trino.dbapi.connect(
                **config.trino.connect_args(), catalog="iceberg"
            ) as connection:
                cursor = connection.cursor()
                cursor.execute(sql)
                return cursor.fetchall()
        except Exception as exc:
            raise SmokeError(f"Trino at {where} failed on {sql!r}: {_one_line(str(exc))}") from exc

    return query


def _table_exists(query: QueryFn, table: str) -> bool:
    catalog, schema, name = table.split(".")
    rows = query(
        f"SELECT count(*) FROM {catalog}.information_schema.tables "
        f"WHERE table_schema = '{schema}' AND table_name = '{name}'"
    )
    return bool(rows and rows[0][0])


def check_gold(
    query: QueryFn,
    checks: Sequence[GoldCheck] = GOLD_CHECKS,
    log: Callable[[str], None] = print,
) -> dict[str, int]:
    """Count each gold table; raise when one is missing or has too few rows."""
    counts: dict[str, int] = {}
    for check in checks:
        if not check.required and not _table_exists(query, check.table):
            log(f"{check.table} not built yet: skipped")
            continue
        rows = query(f"SELECT count(*) FROM {check.table}")
        count = int(rows[0][0]) if rows else 0
        if count < check.min_rows:
            raise SmokeError(f"{check.table} has {count} rows, expected at least {check.min_rows}")
        log(f"{check.table}: {count} rows")
        counts[check.table] = count
    return counts


def run_smoke(
    env: Mapping[str, str] | None = None,
    *,
    http_client: httpx.Client | None = None,
    query: QueryFn | None = None,
    dag_ids: Sequence[str] = DAG_IDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = print,
) -> None:
    """Run both DAGs to success, then check the gold row counts; raise SmokeError if not.

    The DAGs run one after the other: the sales DAG's gold joins the locations the
    external DAG builds.
    """
    config = SmokeConfig.from_env(env)
    client = http_client or httpx.Client(timeout=30.0)
    try:
        api = AirflowApi(client, config.airflow_url)
        api.login(config.username, config.password)
        for dag_id in dag_ids:
            run_dag(
                api,
                dag_id,
                timeout_s=config.timeout_s,
                poll_s=config.poll_s,
                clock=clock,
                sleep=sleep,
                log=log,
            )
    finally:
        if http_client is None:
            client.close()
    check_gold(query or trino_query(config), log=log)
    log("smoke test passed")
