"""Provision Metabase for SME Pulse: admin user, the Trino database, a starter dashboard.

Run by `make up` (the `metabase-init` service) once Metabase is healthy; safe to run again:
it logs in when the admin already exists, updates the database connection and the
questions in place, and only adds the dashboard cards that are missing. Standard library
only, so it runs in any Python 3.11 image.

Settings (environment):
  METABASE_URL             default http://metabase:3000
  METABASE_ADMIN_EMAIL     the admin's login
  METABASE_ADMIN_PASSWORD  required; used to create the admin on first start
  METABASE_TRINO_HOST/PORT/USER  how Metabase reaches Trino (default trino:8443, metabase)
  METABASE_TRINO_PASSWORD  required; the read-only `metabase` login (trino/secure/rules.json)
  METABASE_TRINO_CA_FILE   Trino's certificate inside the Metabase container, which the
                           JDBC driver trusts (SSLTrustStorePath; PEM is accepted)
  METABASE_WAIT_SECONDS    how long to wait for /api/health (default 300)
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATABASE_NAME = "SME Pulse lakehouse"
DASHBOARD_NAME = "SME Pulse overview"
QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"


class ProvisionError(RuntimeError):
    """Provisioning cannot continue; the message says which call failed."""


@dataclass(frozen=True)
class Question:
    """A native-SQL question on the starter dashboard; its SQL is in questions/<file>."""

    name: str
    sql_file: str
    display: str
    description: str
    visualization_settings: dict[str, Any] = field(default_factory=dict)
    size_x: int = 12
    size_y: int = 8

    def sql(self) -> str:
        return (QUESTIONS_DIR / self.sql_file).read_text(encoding="utf-8").strip().rstrip(";")


QUESTIONS: tuple[Question, ...] = (
    Question(
        name="Revenue by province",
        sql_file="revenue_by_province.sql",
        display="bar",
        description="Net revenue of all orders, by the province of the selling location.",
        visualization_settings={
            "graph.dimensions": ["province_name"],
            "graph.metrics": ["revenue"],
        },
    ),
    Question(
        name="Macro indicators, year over year",
        sql_file="macro_indicators_yoy.sql",
        display="line",
        description="Vietnam's GDP growth, inflation and unemployment (World Bank), by year.",
        visualization_settings={
            "graph.dimensions": ["year_start_date"],
            "graph.metrics": ["gdp_growth_pct", "inflation_cpi_pct", "unemployment_pct"],
        },
    ),
)


@dataclass(frozen=True)
class Settings:
    url: str
    email: str
    password: str
    trino_host: str
    trino_port: int
    trino_user: str
    trino_password: str
    trino_ca_file: str
    wait_seconds: float

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        password = env.get("METABASE_ADMIN_PASSWORD", "")
        if not password:
            raise ProvisionError("METABASE_ADMIN_PASSWORD is not set")
        trino_password = env.get("METABASE_TRINO_PASSWORD", "")
        if not trino_password:
            raise ProvisionError("METABASE_TRINO_PASSWORD is not set")
        return cls(
            url=(env.get("METABASE_URL", "").strip() or "http://metabase:3000").rstrip("/"),
            email=env.get("METABASE_ADMIN_EMAIL", "").strip() or "admin@example.com",
            password=password,
            trino_host=env.get("METABASE_TRINO_HOST", "").strip() or "trino",
            trino_port=int(env.get("METABASE_TRINO_PORT", "").strip() or "8443"),
            trino_user=env.get("METABASE_TRINO_USER", "").strip() or "metabase",
            trino_password=trino_password,
            trino_ca_file=env.get("METABASE_TRINO_CA_FILE", "").strip()
            or "/opt/trino-ca/trino-ca.pem",
            wait_seconds=float(env.get("METABASE_WAIT_SECONDS", "").strip() or "300"),
        )


class MetabaseApi:
    """JSON over HTTP to Metabase's REST API with the session header once logged in."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session: str | None = None

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.session:
            request.add_header("X-Metabase-Session", self.session)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = " ".join(exc.read().decode("utf-8", "replace").split())[:300]
            raise ProvisionError(f"{method} {path} answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ProvisionError(f"{method} {path} failed: {exc}") from exc
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode("utf-8", "replace")


def _items(payload: Any) -> list[dict[str, Any]]:
    """Metabase lists come bare or wrapped in {"data": [...]} depending on the endpoint."""
    if isinstance(payload, dict):
        payload = payload.get("data", [])
    return [item for item in payload or [] if isinstance(item, dict)]


def wait_until_healthy(
    api: MetabaseApi,
    seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    end = clock() + seconds
    while True:
        try:
            health = api.call("GET", "/api/health")
            if isinstance(health, dict) and health.get("status") == "ok":
                return
        except ProvisionError:
            pass
        if clock() >= end:
            raise ProvisionError(f"Metabase at {api.base_url} not healthy after {seconds:.0f}s")
        sleep(5)


def log_in(api: MetabaseApi, settings: Settings) -> bool:
    """Create the admin on a fresh Metabase, else log in; return True if it was created."""
    properties = api.call("GET", "/api/session/properties") or {}
    token = properties.get("setup-token")
    if token and not properties.get("has-user-setup"):
        created = api.call(
            "POST",
            "/api/setup",
            {
                "token": token,
                "user": {
                    "email": settings.email,
                    "password": settings.password,
                    "first_name": "SME Pulse",
                    "last_name": "Admin",
                    "site_name": "SME Pulse",
                },
                "prefs": {"site_name": "SME Pulse", "site_locale": "en", "allow_tracking": False},
            },
        )
        api.session = str(created["id"])
        return True
    session = api.call(
        "POST", "/api/session", {"username": settings.email, "password": settings.password}
    )
    api.session = str(session["id"])
    return False


def ensure_database(api: MetabaseApi, settings: Settings) -> int:
    """The Trino connection (Starburst driver, catalog iceberg); return its id.

    A password login over TLS, with Trino's self-signed certificate as the only trusted
    one and the host name checked against it (SSLVerification=FULL).
    """
    details = {
        "host": settings.trino_host,
        "port": settings.trino_port,
        "catalog": "iceberg",
        "user": settings.trino_user,
        "password": settings.trino_password,
        "ssl": True,
        "additional-options": (f"SSLVerification=FULL&SSLTrustStorePath={settings.trino_ca_file}"),
    }
    for database in _items(api.call("GET", "/api/database")):
        if database.get("name") == DATABASE_NAME:
            database_id = int(database["id"])
            api.call("PUT", f"/api/database/{database_id}", {"details": details})
            return database_id
    created = api.call(
        "POST",
        "/api/database",
        {"engine": "starburst", "name": DATABASE_NAME, "details": details, "is_full_sync": True},
    )
    database_id = int(created["id"])
    api.call("POST", f"/api/database/{database_id}/sync_schema")
    return database_id


def ensure_question(api: MetabaseApi, question: Question, database_id: int) -> int:
    """Create the question, or update its SQL and chart in place; return the card id."""
    body = {
        "name": question.name,
        "description": question.description,
        "display": question.display,
        "dataset_query": {
            "type": "native",
            "native": {"query": question.sql(), "template-tags": {}},
            "database": database_id,
        },
        "visualization_settings": question.visualization_settings,
    }
    for card in _items(api.call("GET", "/api/card?f=all")):
        if card.get("name") == question.name and not card.get("archived"):
            card_id = int(card["id"])
            api.call("PUT", f"/api/card/{card_id}", body)
            return card_id
    created = api.call("POST", "/api/card", {**body, "collection_id": None})
    return int(created["id"])


def _find_dashboard(api: MetabaseApi) -> int | None:
    try:
        dashboards = _items(api.call("GET", "/api/dashboard/?f=all"))
    except ProvisionError:
        dashboards = [
            item
            for item in _items(api.call("GET", "/api/search?models=dashboard&q=SME%20Pulse"))
            if item.get("model") == "dashboard"
        ]
    for dashboard in dashboards:
        if dashboard.get("name") == DASHBOARD_NAME and not dashboard.get("archived"):
            return int(dashboard["id"])
    return None


def ensure_dashboard(api: MetabaseApi, card_ids: list[int]) -> int:
    """The starter dashboard with one card per question, two per row; return its id."""
    dashboard_id = _find_dashboard(api)
    if dashboard_id is None:
        created = api.call(
            "POST",
            "/api/dashboard",
            {
                "name": DASHBOARD_NAME,
                "description": "Starter dashboard provisioned by metabase/provision.py.",
            },
        )
        dashboard_id = int(created["id"])
    dashboard = api.call("GET", f"/api/dashboard/{dashboard_id}") or {}
    existing = [card for card in dashboard.get("dashcards", []) if isinstance(card, dict)]
    present = {card.get("card_id") for card in existing}
    missing = [card_id for card_id in card_ids if card_id not in present]
    if not missing:
        return dashboard_id
    dashcards = [
        {
            "id": card["id"],
            "card_id": card.get("card_id"),
            "row": card.get("row", 0),
            "col": card.get("col", 0),
            "size_x": card.get("size_x", 12),
            "size_y": card.get("size_y", 8),
            "parameter_mappings": card.get("parameter_mappings", []),
            "visualization_settings": card.get("visualization_settings", {}),
            "series": card.get("series", []),
        }
        for card in existing
    ]
    next_row = max((card["row"] + card["size_y"] for card in dashcards), default=0)
    for index, card_id in enumerate(missing):
        dashcards.append(
            {
                "id": -(index + 1),
                "card_id": card_id,
                "row": next_row + (index // 2) * 8,
                "col": (index % 2) * 12,
                "size_x": 12,
                "size_y": 8,
                "parameter_mappings": [],
                "visualization_settings": {},
                "series": [],
            }
        )
    api.call("PUT", f"/api/dashboard/{dashboard_id}", {"dashcards": dashcards})
    return dashboard_id


def provision(
    env: Mapping[str, str],
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = print,
) -> int:
    """Run every step; return the dashboard id."""
    settings = Settings.from_env(env)
    api = MetabaseApi(settings.url)
    wait_until_healthy(api, settings.wait_seconds, sleep=sleep)
    created = log_in(api, settings)
    log(f"admin {settings.email} {'created' if created else 'logged in'}")
    database_id = ensure_database(api, settings)
    log(f"database '{DATABASE_NAME}' is id {database_id}")
    card_ids = [ensure_question(api, question, database_id) for question in QUESTIONS]
    dashboard_id = ensure_dashboard(api, card_ids)
    log(f"dashboard '{DASHBOARD_NAME}': {settings.url}/dashboard/{dashboard_id}")
    return dashboard_id


def main() -> int:
    try:
        provision(os.environ)
    except (ProvisionError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
