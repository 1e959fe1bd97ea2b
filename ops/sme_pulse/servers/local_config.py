"""What trino-local runs with: its folders, its generated secrets, its rendered files.

Every file is rendered from the project's own (`trino/etc`, `trino/worker`,
`hive/metastore-site.xml`) with only host names, ports and data folders replaced, so what
runs here is what the compose services mount; a replacement whose original text is gone
fails loudly instead of leaving a compose host name behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sme_pulse.config import REPO_ROOT, LocalStackSettings
from sme_pulse.servers.process import ServerError

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Layout:
    """Where trino-local keeps its data, rendered configuration and secrets."""

    home: Path

    @property
    def root(self) -> Path:
        return self.home / "trino-local"

    @property
    def s3_dir(self) -> Path:
        return self.root / "s3"

    @property
    def postgres_dir(self) -> Path:
        return self.root / "postgres"

    @property
    def metastore_dir(self) -> Path:
        return self.root / "metastore"

    def trino_dir(self, node: str) -> Path:
        return self.root / node

    @property
    def secrets_file(self) -> Path:
        return self.root / "secrets.env"


def load_secrets(layout: Layout) -> dict[str, str]:
    """The generated credentials, created on first use and kept for the data they guard."""
    path = layout.secrets_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        values = {
            "AWS_ACCESS_KEY_ID": f"local{secrets.token_hex(8)}",
            "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30),
            "HIVE_METASTORE_DB_PASSWORD": secrets.token_urlsafe(24),
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.writelines(f"{k}={v}\n" for k, v in values.items())
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def _render(source: Path, target: Path, replacements: Mapping[str, str]) -> None:
    """Copy `source` with host names, ports and folders replaced; fail if one is missing."""
    text = source.read_text()
    for old, new in replacements.items():
        if old not in text:
            raise ServerError(
                f"{source} no longer contains {old!r}; update servers/local_config.py"
            )
        text = text.replace(old, new)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def render_trino(
    stack: LocalStackSettings, layout: Layout, node: str, port: int, coordinator: bool
) -> Path:
    """`trino-local/<node>/etc` from `trino/etc` (coordinator) or `trino/worker` (worker)."""
    etc = layout.trino_dir(node) / "etc"
    shutil.rmtree(etc, ignore_errors=True)
    project = REPO_ROOT / "trino"
    discovery = f"http://{HOST}:{stack.trino_port}"
    if coordinator:
        _render(
            project / "etc" / "config.properties",
            etc / "config.properties",
            {
                "http-server.http.port=8080": f"http-server.http.port={port}",
                "discovery.uri=http://localhost:8080": f"discovery.uri={discovery}",
            },
        )
    else:
        _render(
            project / "worker" / "config.properties",
            etc / "config.properties",
            {
                "http-server.http.port=8080": f"http-server.http.port={port}",
                "discovery.uri=http://trino:8080": f"discovery.uri={discovery}",
            },
        )
    _render(
        project / "etc" / "node.properties",
        etc / "node.properties",
        {"node.data-dir=/data/trino": f"node.data-dir={layout.trino_dir(node) / 'data'}"},
    )
    _render(project / "etc" / "jvm.config", etc / "jvm.config", {})
    for catalog in ("hive", "iceberg"):
        _render(
            project / "etc" / "catalog" / f"{catalog}.properties",
            etc / "catalog" / f"{catalog}.properties",
            {
                "thrift://hive-metastore:9083": f"thrift://{HOST}:{stack.metastore_port}",
                "http://minio:9000": f"http://{HOST}:{stack.s3_port}",
            },
        )
    return etc


def render_metastore(stack: LocalStackSettings, layout: Layout) -> Path:
    conf = layout.metastore_dir / "conf"
    shutil.rmtree(conf, ignore_errors=True)
    _render(
        REPO_ROOT / "hive" / "metastore-site.xml",
        conf / "metastore-site.xml",
        {
            "<value>9083</value>": f"<value>{stack.metastore_port}</value>",
            "http://minio:9000": f"http://{HOST}:{stack.s3_port}",
        },
    )
    return conf


def render_s3proxy(stack: LocalStackSettings, layout: Layout, keys: Mapping[str, str]) -> Path:
    conf = layout.root / "s3proxy.properties"
    layout.s3_dir.mkdir(parents=True, exist_ok=True)
    lines = {
        "s3proxy.endpoint": f"http://{HOST}:{stack.s3_port}",
        "s3proxy.authorization": "aws-v2-or-v4",
        "s3proxy.identity": keys["AWS_ACCESS_KEY_ID"],
        "s3proxy.credential": keys["AWS_SECRET_ACCESS_KEY"],
        "jclouds.provider": "filesystem",
        "jclouds.filesystem.basedir": str(layout.s3_dir),
        # Trino's S3 client lists with `x-amz-optional-object-attributes`, which S3Proxy
        # would otherwise refuse; MinIO ignores it too.
        "s3proxy.ignore-unknown-headers": "true",
    }
    fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.writelines(f"{k}={v}\n" for k, v in lines.items())
    return conf
