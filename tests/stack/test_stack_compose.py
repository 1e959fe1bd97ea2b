"""Policy tests on docker-compose.yml, each paired with a broken variant it must reject."""

from __future__ import annotations

import pytest
import yaml
from stack_policy import (
    ROOT,
    autoheal_violations,
    compose_violations,
    depends_on_violations,
    health_and_restart_violations,
    image_violations,
    load_compose,
    port_violations,
    secret_violations,
)

pytestmark = pytest.mark.unit

GOOD_SERVICE = {
    "image": "example/app:1.2.3",
    "restart": "unless-stopped",
    "healthcheck": {"test": ["CMD", "true"]},
    "ports": ["127.0.0.1:8000:8000"],
    "environment": {"APP_PASSWORD": "${APP_PASSWORD:?set it}"},
}


AUTOHEAL = {
    "image": "willfarrell/autoheal:1.2.0",
    "restart": "unless-stopped",
    "healthcheck": {"test": ["CMD", "true"]},
    "environment": {"AUTOHEAL_CONTAINER_LABEL": "autoheal"},
}


def _compose_text(**overrides: object) -> str:
    service = {**GOOD_SERVICE, "labels": {"autoheal": "true"}, **overrides}
    service = {key: value for key, value in service.items() if value is not None}
    return yaml.safe_dump({"services": {"app": service, "autoheal": AUTOHEAL}})


def test_the_stack_compose_file_passes_every_rule() -> None:
    assert compose_violations() == []


def test_a_clean_minimal_compose_passes() -> None:
    assert compose_violations(text=_compose_text()) == []


@pytest.mark.parametrize(
    "image",
    ["example/app", "example/app:latest", "example/app:${TAG}", "registry:5000/app"],
)
def test_unpinned_images_are_rejected(image: str) -> None:
    assert image_violations(load_compose(text=_compose_text(image=image)))


@pytest.mark.parametrize(
    "image",
    ["example/app:1.0", "example/app:${TAG:-1.0}", "example/app@sha256:" + "a" * 64],
)
def test_pinned_images_are_accepted(image: str) -> None:
    assert image_violations(load_compose(text=_compose_text(image=image))) == []


def test_missing_healthcheck_and_restart_are_rejected() -> None:
    assert health_and_restart_violations(load_compose(text=_compose_text(healthcheck=None)))
    assert health_and_restart_violations(load_compose(text=_compose_text(restart=None)))


@pytest.mark.parametrize("port", ["8000:8000", "0.0.0.0:8000:8000", "${BIND_ADDRESS}:80:80"])
def test_ports_open_to_the_network_are_rejected(port: str) -> None:
    assert port_violations(load_compose(text=_compose_text(ports=[port])))


@pytest.mark.parametrize(
    "environment",
    [
        {"APP_PASSWORD": "hunter2hunter2"},
        {"APP_PASSWORD": "${APP_PASSWORD:-changeme}"},
        {"APP_PASSWORD": "${APP_PASSWORD}"},
        {"DATABASE_URL": "postgresql://app:hunter2@db/app"},
        {"API_TOKEN": ""},
    ],
)
def test_secrets_that_are_literal_or_defaulted_are_rejected(environment: dict) -> None:
    text = _compose_text(environment=environment)
    assert secret_violations(load_compose(text=text), text)


def test_url_with_required_password_reference_is_accepted() -> None:
    env = {"DATABASE_URL": "postgresql://app:${DB_PASSWORD:?set it}@db/app"}
    text = _compose_text(environment=env)
    assert secret_violations(load_compose(text=text), text) == []


def test_one_shot_nobody_waits_for_is_rejected() -> None:
    compose = {
        "services": {
            "init": {"image": "example/init:1", "restart": "no"},
            "app": {**GOOD_SERVICE, "depends_on": {"init": {"condition": "service_started"}}},
        }
    }
    problems = depends_on_violations(compose)
    assert any("waits on one-shot init" in problem for problem in problems)
    assert any("not awaited" in problem for problem in problems)


def test_depends_on_without_condition_is_rejected() -> None:
    compose = {"services": {"db": GOOD_SERVICE, "app": {**GOOD_SERVICE, "depends_on": ["db"]}}}
    assert depends_on_violations(compose)


def test_every_published_service_of_the_stack_is_on_localhost() -> None:
    compose = load_compose()
    published = {name for name, svc in compose["services"].items() if svc.get("ports")}
    assert published == {"minio", "trino", "airflow-api-server", "metabase", "kafka"}


def test_airflow_runs_the_contracted_services_with_local_executor_by_default() -> None:
    services = load_compose()["services"]
    for name in (
        "airflow-init",
        "airflow-api-server",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
    ):
        assert name in services
    env = services["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["DO_NOT_TRACK"] == "1"
    assert env["S3_ENDPOINT_URL"] == "http://minio:9000"
    assert env["TRINO_HOST"] == "trino"
    assert env["CUSTOMER_API_URL"] == "http://feed-simulator:8765"


def test_scale_profile_adds_workers_redis_and_celery() -> None:
    services = load_compose()["services"]
    scaled = {name for name, svc in services.items() if "scale" in (svc.get("profiles") or [])}
    assert scaled == {"trino-worker", "redis", "airflow-worker"}


def test_trino_has_file_descriptor_and_memory_limits() -> None:
    trino = load_compose()["services"]["trino"]
    assert trino["ulimits"]["nofile"]["soft"] >= 131072
    assert trino["mem_limit"]


def test_feed_simulator_runs_the_package_cli_from_the_airflow_image() -> None:
    services = load_compose()["services"]
    simulator = services["feed-simulator"]
    assert simulator["image"] == services["airflow-scheduler"]["image"]
    assert simulator["entrypoint"] == ["sme-pulse"]
    assert simulator["command"][:4] == ["feeds", "serve", "--host", "0.0.0.0"]


def test_compose_file_has_no_version_key_and_a_project_name() -> None:
    compose = load_compose(ROOT / "docker-compose.yml")
    assert "version" not in compose
    assert compose["name"] == "sme-pulse"


def test_every_long_running_service_is_watched_by_autoheal(fault_ledger) -> None:
    compose = load_compose()
    assert autoheal_violations(compose) == []
    watched = {
        name
        for name, svc in compose["services"].items()
        if (svc.get("labels") or {}).get("autoheal") == "true" and svc.get("restart") != "no"
    }
    long_running = {
        name
        for name, svc in compose["services"].items()
        if svc.get("restart") != "no" and name != "autoheal"
    }
    assert watched == long_running
    assert all(compose["services"][name].get("healthcheck", {}).get("test") for name in watched)
    fault_ledger.security(
        "unhealthy containers restarted (compose restarts on exit only)",
        observed=f"autoheal watches all {len(watched)} long-running services, each with a "
        "health check and the autoheal=true label",
    )


def test_autoheal_is_pinned_offline_and_mounts_only_the_docker_socket() -> None:
    autoheal = load_compose()["services"]["autoheal"]
    assert image_violations({"services": {"autoheal": autoheal}}) == []
    assert autoheal["volumes"] == ["/var/run/docker.sock:/var/run/docker.sock"]
    assert autoheal["network_mode"] == "none"
    assert autoheal["environment"]["AUTOHEAL_CONTAINER_LABEL"] == "autoheal"


def test_a_service_without_the_autoheal_label_is_caught() -> None:
    compose = load_compose(text=_compose_text(labels=None))
    assert autoheal_violations(compose) == [
        "app: long-running service without the autoheal=true label"
    ]
    del compose["services"]["autoheal"]
    assert autoheal_violations(compose)[0].startswith("no autoheal service")
