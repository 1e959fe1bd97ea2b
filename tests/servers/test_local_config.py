"""trino-local's configuration is the project's, with only hosts, ports and folders changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sme_pulse.config import Settings
from sme_pulse.servers.local_config import (
    Layout,
    load_secrets,
    render_metastore,
    render_s3proxy,
    render_trino,
)

pytestmark = pytest.mark.unit

COMPOSE_ONLY = ("hive-metastore:", "minio:", "localhost:8080", "trino:8080", "/data/trino")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "SME_PULSE_HOME": str(tmp_path),
            "TRINO_LOCAL_PORT": "18081",
            "TRINO_LOCAL_S3_PORT": "19000",
        }
    )


def _text(etc: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(etc.rglob("*")) if p.is_file())


def test_coordinator_and_worker_point_at_local_services(settings: Settings) -> None:
    layout = Layout(settings.home)
    stack = settings.local_stack
    coordinator = _text(render_trino(stack, layout, "trino", 18081, coordinator=True))
    worker = _text(render_trino(stack, layout, "trino-worker-1", 18082, coordinator=False))
    for rendered in (coordinator, worker):
        assert not [host for host in COMPOSE_ONLY if host in rendered]
        assert "discovery.uri=http://127.0.0.1:18081" in rendered
        assert (
            "thrift://127.0.0.1:9083" in rendered
            and "s3.endpoint=http://127.0.0.1:19000" in rendered
        )
        # Credentials stay environment references, never values in a file.
        assert "s3.aws-secret-key=${ENV:AWS_SECRET_ACCESS_KEY}" in rendered
    assert "http-server.http.port=18081" in coordinator and "coordinator=true" in coordinator
    assert "http-server.http.port=18082" in worker and "coordinator=false" in worker
    assert "node-scheduler.include-coordinator=${ENV:TRINO_INCLUDE_COORDINATOR}" in coordinator


def test_metastore_and_s3proxy_configuration(settings: Settings) -> None:
    layout = Layout(settings.home)
    site = (render_metastore(settings.local_stack, layout) / "metastore-site.xml").read_text()
    assert "http://127.0.0.1:19000" in site and "minio" not in site
    keys = load_secrets(layout)
    assert load_secrets(layout) == keys, "secrets are generated once"
    assert layout.secrets_file.stat().st_mode & 0o077 == 0
    conf = render_s3proxy(settings.local_stack, layout, keys)
    assert f"s3proxy.credential={keys['AWS_SECRET_ACCESS_KEY']}" in conf.read_text()
    assert conf.stat().st_mode & 0o077 == 0
