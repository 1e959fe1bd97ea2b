"""Provision Metabase for SME Pulse: admin user, the Trino database, one dashboard per
folder of questions.

Run by `make up` (the `metabase-init` service) once Metabase is healthy; safe to run again:
it logs in when the admin already exists, updates the database connection, the dashboards'
descriptions and the questions (matched by name) in place, and only adds the dashboard
cards that are missing, below the ones already there, so an owner's own arrangement stays;
the starter dashboard of earlier versions is archived (RETIRED).
Standard library only, so it runs in any Python 3.11 image: it cannot import `sme_pulse`
and reads the questions' folders (`dashboard.json` and one `.sql` per question, the format
`sme_pulse.questions` loads) itself.

Settings (environment):
  METABASE_URL             default http://metabase:3000
  METABASE_ADMIN_EMAIL     the admin's login
  METABASE_ADMIN_PASSWORD  required; used to create the admin on first start
  METABASE_TRINO_HOST/PORT/USER  how Metabase reaches Trino (default trino:8443, metabase)
  METABASE_TRINO_PASSWORD  required; the read-only `metabase` login (trino/secure/rules.json)
  METABASE_TRINO_CA_FILE   Trino's certificate inside the Metabase container, which the
                           JDBC driver trusts (SSLTrustStorePath; PEM is accepted)
  METABASE_WAIT_SECONDS    how long to wait for /api/health (default 300)
  METABASE_QUESTIONS_DIR   the dashboards' folders (default: the repository's
                           ops/sme_pulse/questions; compose mounts it read-only)
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
QUESTIONS_DIR = Path(__file__).resolve().parent.parent / "ops" / "sme_pulse" / "questions"
RETIRED: dict[str, tuple[str, ...]] = {
    "SME Pulse overview": ("Revenue by province", "Macro indicators, year over year"),
}
"""Dashboards earlier versions provisioned, with the questions they made for them. Their
charts are now on Business (some renamed), so a re-run archives them (Metabase's Trash:
restorable) rather than leave a second, stale copy; a retired question a dashboard still
has under the same name is kept, and an owner's own cards on them are left alone."""
GRID_WIDTH = 24
"""Metabase's dashboard grid is 24 columns wide."""
WIDE_DISPLAYS = frozenset({"table", "pivot", "object"})
"""Displays that need the whole width; every other (charts, numbers) takes half."""
CARD_HEIGHT = 8


class ProvisionError(RuntimeError):
    """Provisioning cannot continue; the message says which call or file failed."""


@dataclass(frozen=True)
class Question:
    """A native-SQL question: one card on its dashboard."""

    name: str
    description: str
    display: str
    sql: str
    visualization_settings: dict[str, Any] = field(default_factory=dict)

    @property
    def size_x(self) -> int:
        return GRID_WIDTH if self.display in WIDE_DISPLAYS else GRID_WIDTH // 2


@dataclass(frozen=True)
class Dashboard:
    """One folder of questions (`<folder>/dashboard.json`): one Metabase dashboard."""

    name: str
    description: str
    questions: tuple[Question, ...]


def load_dashboard(folder: Path) -> Dashboard:
    """The dashboard a folder declares, its SQL read and trimmed of a final `;`."""
    spec_file = folder / "dashboard.json"
    try:
        spec = json.loads(spec_file.read_text(encoding="utf-8"))
        questions = tuple(
            Question(
                name=q["name"],
                description=q["description"],
                display=q.get("display", "table"),
                sql=(folder / q["sql_file"]).read_text(encoding="utf-8").strip().rstrip(";"),
                visualization_settings=q.get("visualization_settings", {}),
            )
            for q in spec["questions"]
        )
        return Dashboard(spec["name"], spec["description"], questions)
    except (OSError, ValueError) as exc:
        raise ProvisionError(f"{spec_file}: {exc}") from exc
    except (KeyError, TypeError) as exc:
        raise ProvisionError(f"{spec_file}: missing or malformed {exc}") from exc


def load_dashboards(root: Path) -> tuple[Dashboard, ...]:
    """Every folder under `root` with a dashboard.json, in folder-name order."""
    if not root.is_dir():
        raise ProvisionError(f"no questions folder at {root} (METABASE_QUESTIONS_DIR)")
    found = tuple(
        load_dashboard(folder)
        for folder in sorted(root.iterdir())
        if (folder / "dashboard.json").is_file()
    )
    if not found:
        raise ProvisionError(f"no <folder>/dashboard.json under {root} (METABASE_QUESTIONS_DIR)")
    names = [q.name for d in found for q in d.questions]
    if repeated := sorted({n for n in names if names.count(n) > 1}):
        raise ProvisionError(f"question names used twice (cards are matched by name): {repeated}")
    return found


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
    questions_dir: Path

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
            questions_dir=Path(env.get("METABASE_QUESTIONS_DIR", "").strip() or QUESTIONS_DIR),
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


def _card_body(question: Question, database_id: int) -> dict[str, Any]:
    return {
        "name": question.name,
        "description": question.description,
        "display": question.display,
        "dataset_query": {
            "type": "native",
            "native": {"query": question.sql, "template-tags": {}},
            "database": database_id,
        },
        "visualization_settings": question.visualization_settings,
    }


def ensure_questions(
    api: MetabaseApi, questions: list[Question], database_id: int
) -> dict[str, int]:
    """Create each question, or update its SQL and chart in place; card id by name."""
    existing: dict[str, int] = {}
    for card in _items(api.call("GET", "/api/card?f=all")):
        if not card.get("archived") and "name" in card:
            existing.setdefault(card["name"], int(card["id"]))
    card_ids = {}
    for question in questions:
        body = _card_body(question, database_id)
        if question.name in existing:
            card_ids[question.name] = existing[question.name]
            api.call("PUT", f"/api/card/{existing[question.name]}", body)
        else:
            created = api.call("POST", "/api/card", {**body, "collection_id": None})
            card_ids[question.name] = int(created["id"])
    return card_ids


def _dashboards_by_name(api: MetabaseApi) -> dict[str, int]:
    """The dashboards not archived, id by name (the first of a name wins)."""
    try:
        dashboards = _items(api.call("GET", "/api/dashboard/?f=all"))
    except ProvisionError:
        dashboards = [
            item
            for item in _items(api.call("GET", "/api/search?models=dashboard"))
            if item.get("model") == "dashboard"
        ]
    found: dict[str, int] = {}
    for dashboard in dashboards:
        if not dashboard.get("archived") and "name" in dashboard:
            found.setdefault(dashboard["name"], int(dashboard["id"]))
    return found


def layout(sizes: list[int], first_row: int) -> list[tuple[int, int]]:
    """(row, col) of cards of these widths, in order from `first_row`: full-width cards
    on a row of their own, half-width ones two to a row."""
    places = []
    row, col = first_row, 0
    for size_x in sizes:
        if col + size_x > GRID_WIDTH:
            row, col = row + CARD_HEIGHT, 0
        places.append((row, col))
        col += size_x
    return places


def _kept(card: dict[str, Any]) -> dict[str, Any]:
    """A dashcard already on the dashboard, as PUT /api/dashboard/:id takes it back."""
    return {
        "id": card["id"],
        "card_id": card.get("card_id"),
        "row": card.get("row", 0),
        "col": card.get("col", 0),
        "size_x": card.get("size_x", GRID_WIDTH // 2),
        "size_y": card.get("size_y", CARD_HEIGHT),
        "parameter_mappings": card.get("parameter_mappings", []),
        "visualization_settings": card.get("visualization_settings", {}),
        "series": card.get("series", []),
    }


def ensure_dashboard(
    api: MetabaseApi, dashboard: Dashboard, card_ids: dict[str, int], dashboard_id: int | None
) -> int:
    """The dashboard with one card per question; add only the cards missing; return its id."""
    if dashboard_id is None:
        created = api.call(
            "POST",
            "/api/dashboard",
            {"name": dashboard.name, "description": dashboard.description},
        )
        dashboard_id = int(created["id"])
    current = api.call("GET", f"/api/dashboard/{dashboard_id}") or {}
    if current.get("description") != dashboard.description:
        api.call("PUT", f"/api/dashboard/{dashboard_id}", {"description": dashboard.description})
    existing = [_kept(card) for card in current.get("dashcards", []) if isinstance(card, dict)]
    present = {card["card_id"] for card in existing}
    missing = [q for q in dashboard.questions if card_ids[q.name] not in present]
    if not missing:
        return dashboard_id
    next_row = max((card["row"] + card["size_y"] for card in existing), default=0)
    places = layout([q.size_x for q in missing], next_row)
    added = [
        {
            "id": -(index + 1),
            "card_id": card_ids[question.name],
            "row": row,
            "col": col,
            "size_x": question.size_x,
            "size_y": CARD_HEIGHT,
            "parameter_mappings": [],
            "visualization_settings": {},
            "series": [],
        }
        for index, (question, (row, col)) in enumerate(zip(missing, places, strict=True))
    ]
    api.call("PUT", f"/api/dashboard/{dashboard_id}", {"dashcards": [*existing, *added]})
    return dashboard_id


def retire_dashboards(
    api: MetabaseApi, by_name: dict[str, int], in_use: set[int], log: Callable[[str], None]
) -> None:
    """Archive what earlier versions made and no dashboard uses now (RETIRED says why)."""
    for name, questions in RETIRED.items():
        if name not in by_name:
            continue
        dashboard = api.call("GET", f"/api/dashboard/{by_name[name]}") or {}
        for dashcard in dashboard.get("dashcards", []):
            card = dashcard.get("card") or {}
            if card.get("name") in questions and dashcard.get("card_id") not in in_use:
                api.call("PUT", f"/api/card/{dashcard['card_id']}", {"archived": True})
        api.call("PUT", f"/api/dashboard/{by_name[name]}", {"archived": True})
        log(f"dashboard '{name}' of an earlier version archived (Metabase's Trash)")


def provision(
    env: Mapping[str, str],
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = print,
) -> dict[str, int]:
    """Run every step; return each dashboard's id by name."""
    settings = Settings.from_env(env)
    dashboards = load_dashboards(settings.questions_dir)
    api = MetabaseApi(settings.url)
    wait_until_healthy(api, settings.wait_seconds, sleep=sleep)
    created = log_in(api, settings)
    log(f"admin {settings.email} {'created' if created else 'logged in'}")
    database_id = ensure_database(api, settings)
    log(f"database '{DATABASE_NAME}' is id {database_id}")
    card_ids = ensure_questions(
        api, [q for dashboard in dashboards for q in dashboard.questions], database_id
    )
    existing = _dashboards_by_name(api)
    ids = {}
    for dashboard in dashboards:
        ids[dashboard.name] = ensure_dashboard(
            api, dashboard, card_ids, existing.get(dashboard.name)
        )
        log(f"dashboard '{dashboard.name}': {settings.url}/dashboard/{ids[dashboard.name]}")
    retired = {name: i for name, i in existing.items() if name not in ids}
    retire_dashboards(api, retired, set(card_ids.values()), log)
    return ids


def main() -> int:
    try:
        provision(os.environ)
    except (ProvisionError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
