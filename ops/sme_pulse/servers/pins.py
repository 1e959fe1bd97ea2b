"""Every server `make trino-local` runs, pinned by version and SHA-256 (Maven Central).

The Docker stack pins the same Trino and metastore releases (docker-compose.yml,
hive/Dockerfile); tests/servers/test_pins.py keeps the two in step.
"""

from __future__ import annotations

from sme_pulse.servers.artifacts import Artifact

TRINO_VERSION = "476"
"""The newest Trino whose server archives reach Maven Central (477+ are GitHub-only)."""
METASTORE_VERSION = "4.0.1"
HADOOP_VERSION = "3.3.6"

TRINO_CORE = Artifact(
    f"io.trino:trino-server-core:{TRINO_VERSION}",
    "0f388f9967c177ae70a47c099082fc95387f0c3cb96d8000d1d41fc3a5223158",
    extension="tar.gz",
)
TRINO_PLUGINS = {
    "hive": Artifact(
        f"io.trino:trino-hive:{TRINO_VERSION}",
        "611bacdb07d9f3cf7b9d47f97ecc76fa2e7ff8bfe8a9728c3d06adc1bfb8662e",
        extension="zip",
    ),
    "iceberg": Artifact(
        f"io.trino:trino-iceberg:{TRINO_VERSION}",
        "99edba5b491ed94d599aeb61e0794272d3569d8b563f3bb8569e8a49daa87b6c",
        extension="zip",
    ),
}
METASTORE = Artifact(
    f"org.apache.hive:hive-standalone-metastore-server:{METASTORE_VERSION}:bin",
    "ed96f577df0a4dc800648a7f941d832f42409f89fa4af10c9d7540c8a1f8e24b",
    extension="tar.gz",
)
S3PROXY = Artifact(
    "org.gaul:s3proxy:4.1.0:jar-with-dependencies",
    "a4d025969aaf796616ed4b1e2491d87d455ce84bb28cb9db086b2e6aaa68b48d",
)
