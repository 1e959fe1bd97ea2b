"""metabase/provision.py against a fake Metabase API: first start, re-runs, upgrades.

The dashboards provisioned are the repository's question folders (whatever they hold),
or small folders written by a test where a re-run must see a change.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from sme_pulse import questions as package_questions
from stack_policy import ROOT
from werkzeug import Request, Response

pytestmark = pytest.mark.integration


def _load_provision():
    spec = importlib.util.spec_from_file_location(
        "metabase_provision", ROOT / "metabase" / "provision.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


provision_module = _load_provision()


class FakeMetabase:
    """Keeps users, databases, cards and dashboards in memory like Metabase's API does."""

    def __init__(self) -> None:
        self.admin: dict[str, str] | None = None
        self.setup_token = "setup-token-123"
        self.databases: dict[int, dict] = {}
        self.cards: dict[int, dict] = {}
        self.dashboards: dict[int, dict] = {}
        self.next_id = 1
        self.sessions: set[str] = set()
        self.synced: list[int] = []
        self.writes: list[str] = []
        """Every POST and PUT after the login, as "METHOD /path"."""

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def handle(self, request: Request) -> Response:
        path, method = request.path, request.method
        body = request.get_json(silent=True) or {}
        if path == "/api/health":
            return self._json({"status": "ok"})
        if path == "/api/session/properties":
            return self._json(
                {
                    "setup-token": None if self.admin else self.setup_token,
                    "has-user-setup": self.admin is not None,
                }
            )
        if path == "/api/setup" and method == "POST":
            if self.admin or body.get("token") != self.setup_token:
                return Response("setup already done", status=403)
            self.admin = {"email": body["user"]["email"], "password": body["user"]["password"]}
            return self._session()
        if path == "/api/session" and method == "POST":
            if not self.admin or body != {
                "username": self.admin["email"],
                "password": self.admin["password"],
            }:
                return Response("bad credentials", status=401)
            return self._session()
        if request.headers.get("X-Metabase-Session") not in self.sessions:
            return Response("unauthenticated", status=401)
        if method in ("POST", "PUT"):
            self.writes.append(f"{method} {path}")
        return self._authenticated(path, method, body)

    def _authenticated(self, path: str, method: str, body: dict) -> Response:
        if path == "/api/database" and method == "GET":
            return self._json({"data": list(self.databases.values()), "total": 0})
        if path == "/api/database" and method == "POST":
            assert body["engine"] == "starburst"
            new = {"id": self._new_id(), **body}
            self.databases[new["id"]] = new
            return self._json(new)
        if match := re.fullmatch(r"/api/database/(\d+)/sync_schema", path):
            self.synced.append(int(match.group(1)))
            return self._json({"status": "ok"})
        if match := re.fullmatch(r"/api/database/(\d+)", path):
            self.databases[int(match.group(1))].update(body)
            return self._json(self.databases[int(match.group(1))])
        if path == "/api/card" and method == "GET":
            return self._json(list(self.cards.values()))
        if path == "/api/card" and method == "POST":
            new = {"id": self._new_id(), "archived": False, **body}
            self.cards[new["id"]] = new
            return self._json(new)
        if match := re.fullmatch(r"/api/card/(\d+)", path):
            self.cards[int(match.group(1))].update(body)
            return self._json(self.cards[int(match.group(1))])
        if path == "/api/dashboard/" and method == "GET":
            return self._json(list(self.dashboards.values()))
        if path == "/api/dashboard" and method == "POST":
            new = {"id": self._new_id(), "dashcards": [], "archived": False, **body}
            self.dashboards[new["id"]] = new
            return self._json(new)
        if match := re.fullmatch(r"/api/dashboard/(\d+)", path):
            dashboard = self.dashboards[int(match.group(1))]
            if method == "PUT":
                dashboard.update({k: v for k, v in body.items() if k != "dashcards"})
            if method == "PUT" and "dashcards" in body:
                dashboard["dashcards"] = [
                    {**card, "id": card["id"] if card["id"] > 0 else self._new_id()}
                    for card in body["dashcards"]
                ]
            # Metabase answers each dashcard with its card inside.
            dashcards = [{**c, "card": self.cards[c["card_id"]]} for c in dashboard["dashcards"]]
            return self._json({**dashboard, "dashcards": dashcards})
        return Response(f"unexpected {method} {path}", status=404)

    def _session(self) -> Response:
        session = f"session-{len(self.sessions)}"
        self.sessions.add(session)
        return self._json({"id": session})

    @staticmethod
    def _json(body: object) -> Response:
        return Response(json.dumps(body), content_type="application/json")


@pytest.fixture
def metabase(httpserver):
    fake = FakeMetabase()
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    env = {
        "METABASE_URL": httpserver.url_for("/").rstrip("/"),
        "METABASE_ADMIN_EMAIL": "owner@example.com",
        "METABASE_ADMIN_PASSWORD": "s3cret-for-tests-1",
        "METABASE_TRINO_HOST": "trino",
        "METABASE_TRINO_PASSWORD": "trino-login-for-tests-1",
        "METABASE_WAIT_SECONDS": "5",
    }
    return fake, env


def _provision(env: dict[str, str], logs: list[str] | None = None) -> dict[str, int]:
    sink = logs.append if logs is not None else lambda _: None
    return provision_module.provision(env, sleep=lambda _: None, log=sink)


def _cards_of(fake: FakeMetabase, dashboard_id: int) -> list[str]:
    return sorted(
        fake.cards[c["card_id"]]["name"] for c in fake.dashboards[dashboard_id]["dashcards"]
    )


def _assert_laid_out(dashcards: list[dict]) -> None:
    """Inside the 24-column grid, no two cards overlapping."""
    taken: set[tuple[int, int]] = set()
    for card in dashcards:
        assert card["col"] >= 0 and card["col"] + card["size_x"] <= 24, card
        cells = {
            (card["row"] + y, card["col"] + x)
            for y in range(card["size_y"])
            for x in range(card["size_x"])
        }
        assert not cells & taken, f"card {card['card_id']} overlaps another"
        taken |= cells


def test_first_run_creates_admin_database_questions_and_dashboards(metabase) -> None:
    fake, env = metabase
    logs: list[str] = []
    ids = _provision(env, logs)
    assert fake.admin == {"email": "owner@example.com", "password": "s3cret-for-tests-1"}
    [database] = fake.databases.values()
    assert database["name"] == provision_module.DATABASE_NAME
    # The connection's catalog: the questions' `gold.<table>` resolves to iceberg.gold.
    assert database["details"]["catalog"] == "iceberg"
    assert database["details"]["host"] == "trino"
    # A password login over verified TLS as the read-only `metabase` user.
    assert database["details"]["port"] == 8443
    assert database["details"]["user"] == "metabase"
    assert database["details"]["password"] == "trino-login-for-tests-1"
    assert database["details"]["ssl"] is True
    assert database["details"]["additional-options"] == (
        "SSLVerification=FULL&SSLTrustStorePath=/opt/trino-ca/trino-ca.pem"
    )
    assert fake.synced == [database["id"]]

    declared = package_questions.dashboards()
    assert {"Business", "Data health"} <= {d.name for d in declared}
    assert sorted(ids) == sorted(d.name for d in declared)
    assert len(fake.dashboards) == len(declared)
    cards = {card["name"]: card for card in fake.cards.values()}
    for dashboard in declared:
        dashboard_id = ids[dashboard.name]
        assert fake.dashboards[dashboard_id]["description"] == dashboard.description
        assert _cards_of(fake, dashboard_id) == sorted(q.name for q in dashboard.questions)
        dashcards = fake.dashboards[dashboard_id]["dashcards"]
        _assert_laid_out(dashcards)
        for question in dashboard.questions:
            card = cards[question.name]
            assert card["description"] == question.description
            assert card["display"] == question.display
            assert card["visualization_settings"] == question.visualization_settings
            query = card["dataset_query"]
            assert query["type"] == "native" and query["database"] == database["id"]
            assert query["native"]["query"] == question.sql()
            [dashcard] = [c for c in dashcards if c["card_id"] == card["id"]]
            wide = question.display in provision_module.WIDE_DISPLAYS
            assert dashcard["size_x"] == (24 if wide else 12), question.name
    assert "created" in logs[0]
    assert any(f"/dashboard/{ids['Business']}" in line for line in logs)


def test_second_run_logs_in_and_changes_nothing_twice(metabase) -> None:
    fake, env = metabase
    first = _provision(env)
    cards, dashboards = json.dumps(fake.cards), json.dumps(fake.dashboards)
    fake.writes.clear()
    second = _provision(env)
    assert first == second
    assert len(fake.databases) == 1
    assert json.dumps(fake.cards) == cards and json.dumps(fake.dashboards) == dashboards
    # Only the database connection and the questions are written again, in place.
    assert not [w for w in fake.writes if w.startswith("POST") or "/dashboard/" in w]
    assert len(fake.writes) == 1 + len(fake.cards)


def _write_dashboard(folder: Path, name: str, questions: dict[str, tuple[str, str]]) -> None:
    """A dashboard folder: `questions` maps a name to (display, SQL)."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"name": name, "description": f"{name}, for the test.", "questions": []}
    for index, (title, (display, sql)) in enumerate(questions.items()):
        (folder / f"q{index}.sql").write_text(sql + ";\n")
        spec["questions"].append(
            {"name": title, "sql_file": f"q{index}.sql", "description": title,
             "columns": ["n"], "display": display}
        )  # fmt: skip
    (folder / "dashboard.json").write_text(json.dumps(spec))


def test_a_rerun_updates_questions_in_place_and_adds_only_the_missing_cards(
    metabase, tmp_path: Path
) -> None:
    fake, env = metabase
    env = {**env, "METABASE_QUESTIONS_DIR": str(tmp_path)}
    _write_dashboard(
        tmp_path / "sales",
        "Sales",
        {"Orders": ("bar", "select 1 as n"), "Lines": ("line", "select 2 as n")},
    )
    ids = _provision(env)
    [orders] = [c for c in fake.cards.values() if c["name"] == "Orders"]
    assert orders["dataset_query"]["native"]["query"] == "select 1 as n"
    # The owner moves a card; a new version changes a query and adds two questions.
    dashcards = fake.dashboards[ids["Sales"]]["dashcards"]
    assert [(c["row"], c["col"], c["size_x"]) for c in dashcards] == [(0, 0, 12), (0, 12, 12)]
    dashcards[0].update(row=3)
    _write_dashboard(
        tmp_path / "sales",
        "Sales",
        {
            "Orders": ("bar", "select 10 as n"),
            "Lines": ("line", "select 2 as n"),
            "Every order": ("table", "select 3 as n"),
            "Refunds": ("bar", "select 4 as n"),
        },
    )
    assert _provision(env) == ids
    assert fake.cards[orders["id"]]["dataset_query"]["native"]["query"] == "select 10 as n"
    assert len(fake.cards) == 4
    after = fake.dashboards[ids["Sales"]]["dashcards"]
    assert after[:2] == dashcards, "cards already on the dashboard must stay where they are"
    names = {c["id"]: c["name"] for c in fake.cards.values()}
    # Below the lowest card (row 3 + 8): the table alone, then the chart.
    assert [(names[c["card_id"]], c["row"], c["col"], c["size_x"]) for c in after[2:]] == [
        ("Every order", 11, 0, 24),
        ("Refunds", 19, 0, 12),
    ]
    _assert_laid_out(after)


def test_the_dashboard_of_earlier_versions_is_archived_with_its_unused_questions(
    metabase, tmp_path: Path
) -> None:
    fake, env = metabase
    env = {**env, "METABASE_QUESTIONS_DIR": str(tmp_path)}
    # What an earlier version left: the starter dashboard with its two questions, and a
    # card of the owner's own on it.
    cards = {}
    for name in ("Revenue by province", "Macro indicators, year over year", "Mine"):
        card_id = fake._new_id()
        fake.cards[card_id] = {"id": card_id, "name": name, "archived": False}
        cards[name] = card_id
    old = fake._new_id()
    fake.dashboards[old] = {
        "id": old, "name": "SME Pulse overview", "archived": False, "description": "",
        "dashcards": [{"id": 90 + i, "card_id": card_id, "row": 0, "col": 0,
                       "size_x": 12, "size_y": 8} for i, card_id in enumerate(cards.values())],
    }  # fmt: skip
    _write_dashboard(
        tmp_path / "business",
        "Business",
        {
            "Macro indicators, year over year": ("line", "select 1 as n"),
            "Net revenue by province": ("row", "select 2 as n"),
        },
    )
    logs: list[str] = []
    ids = _provision(env, logs)
    assert fake.dashboards[old]["archived"] is True
    assert any("'SME Pulse overview' of an earlier version archived" in line for line in logs)
    # The renamed question's old card goes to the Trash; the kept name is reused in place.
    assert fake.cards[cards["Revenue by province"]]["archived"] is True
    assert fake.cards[cards["Macro indicators, year over year"]]["archived"] is False
    assert fake.cards[cards["Macro indicators, year over year"]]["display"] == "line"
    assert fake.cards[cards["Mine"]]["archived"] is False
    assert len(fake.cards) == 4
    assert _cards_of(fake, ids["Business"]) == [
        "Macro indicators, year over year",
        "Net revenue by province",
    ]
    fake.writes.clear()
    _provision(env)
    assert not [w for w in fake.writes if w.startswith("POST") or "/dashboard/" in w]


def test_provision_reads_the_folders_as_the_package_does() -> None:
    """The container cannot import sme_pulse: both readers of the format must agree."""
    read = provision_module.load_dashboards(provision_module.QUESTIONS_DIR)
    declared = package_questions.dashboards()
    assert [d.name for d in read] == [d.name for d in declared]
    for mine, theirs in zip(read, declared, strict=True):
        assert mine.description == theirs.description
        assert [(q.name, q.description, q.display, q.sql, q.visualization_settings)
                for q in mine.questions] == [
            (q.name, q.description, q.display, q.sql(), q.visualization_settings)
            for q in theirs.questions
        ]  # fmt: skip


def test_cards_fill_rows_of_two_and_tables_take_a_row() -> None:
    assert provision_module.layout([12, 12, 24, 12, 24, 12, 12], 5) == [
        (5, 0), (5, 12), (13, 0), (21, 0), (29, 0), (37, 0), (37, 12),
    ]  # fmt: skip


def test_a_question_folder_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    with pytest.raises(provision_module.ProvisionError, match="no questions folder"):
        provision_module.load_dashboards(tmp_path / "absent")
    with pytest.raises(provision_module.ProvisionError, match=r"no <folder>/dashboard\.json"):
        provision_module.load_dashboards(tmp_path)
    _write_dashboard(tmp_path / "a", "A", {"Same": ("bar", "select 1 as n")})
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    with pytest.raises(provision_module.ProvisionError, match=r"used twice.*'Same'"):
        provision_module.load_dashboards(tmp_path)
    (tmp_path / "b" / "q0.sql").unlink()
    with pytest.raises(provision_module.ProvisionError, match=r"b/dashboard.json: .*q0.sql"):
        provision_module.load_dashboards(tmp_path)
    (tmp_path / "b" / "dashboard.json").write_text('{"name": "B", "questions": []}')
    with pytest.raises(provision_module.ProvisionError, match="missing or malformed 'description'"):
        provision_module.load_dashboards(tmp_path)


def test_wrong_admin_password_on_an_existing_metabase_fails(metabase) -> None:
    _, env = metabase
    provision_module.provision(env, sleep=lambda _: None, log=lambda _: None)
    with pytest.raises(provision_module.ProvisionError, match="answered 401"):
        provision_module.provision(
            {**env, "METABASE_ADMIN_PASSWORD": "other-password-2"},
            sleep=lambda _: None,
            log=lambda _: None,
        )


def test_missing_admin_password_is_refused() -> None:
    with pytest.raises(provision_module.ProvisionError, match="METABASE_ADMIN_PASSWORD"):
        provision_module.Settings.from_env({})


def test_missing_trino_password_is_refused() -> None:
    with pytest.raises(provision_module.ProvisionError, match="METABASE_TRINO_PASSWORD"):
        provision_module.Settings.from_env({"METABASE_ADMIN_PASSWORD": "s3cret-for-tests-1"})
