"""metabase/provision.py against a fake Metabase API: first start, then a re-run."""

from __future__ import annotations

import importlib.util
import json
import re
import sys

import pytest
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
                dashboard["dashcards"] = [
                    {**card, "id": card["id"] if card["id"] > 0 else self._new_id()}
                    for card in body["dashcards"]
                ]
            return self._json(dashboard)
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


def test_first_run_creates_admin_database_questions_and_dashboard(metabase) -> None:
    fake, env = metabase
    logs: list[str] = []
    dashboard_id = provision_module.provision(env, sleep=lambda _: None, log=logs.append)
    assert fake.admin == {"email": "owner@example.com", "password": "s3cret-for-tests-1"}
    [database] = fake.databases.values()
    assert database["name"] == provision_module.DATABASE_NAME
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
    assert sorted(card["name"] for card in fake.cards.values()) == [
        "Macro indicators, year over year",
        "Revenue by province",
    ]
    for card in fake.cards.values():
        query = card["dataset_query"]
        assert query["type"] == "native" and query["database"] == database["id"]
        assert "iceberg.gold." in query["native"]["query"]
        assert not query["native"]["query"].rstrip().endswith(";")
    dashcards = fake.dashboards[dashboard_id]["dashcards"]
    assert sorted(c["card_id"] for c in dashcards) == sorted(fake.cards)
    assert "created" in logs[0]


def test_second_run_logs_in_and_changes_nothing_twice(metabase) -> None:
    fake, env = metabase
    first = provision_module.provision(env, sleep=lambda _: None, log=lambda _: None)
    second = provision_module.provision(env, sleep=lambda _: None, log=lambda _: None)
    assert first == second
    assert len(fake.databases) == 1
    assert len(fake.cards) == 2
    assert len(fake.dashboards) == 1
    assert len(fake.dashboards[first]["dashcards"]) == 2


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
