"""The one-shot init scripts: shell syntax, the MinIO policy, and the Postgres script run
twice against a throwaway local Postgres server when one is installed."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from stack_policy import ROOT


@pytest.mark.unit
@pytest.mark.parametrize(
    ("shell", "script"),
    [
        ("sh", "minio/init.sh"),
        ("sh", "postgres/init-databases.sh"),
        ("bash", "hive/start-metastore.sh"),
    ],
)
def test_init_scripts_parse(shell: str, script: str) -> None:
    result = subprocess.run([shell, "-n", str(ROOT / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.unit
def test_lake_policy_is_limited_to_the_bucket(fault_ledger) -> None:
    raw = (ROOT / "minio/lake-policy.json").read_text().replace("__LAKE_BUCKET__", "sme-lake")
    policy = json.loads(raw)
    resources = {r for statement in policy["Statement"] for r in statement["Resource"]}
    assert resources == {"arn:aws:s3:::sme-lake", "arn:aws:s3:::sme-lake/*"}
    actions = {a for statement in policy["Statement"] for a in statement["Action"]}
    assert all(action.startswith("s3:") and "*" not in action for action in actions)
    assert not {"s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketPolicy"} & actions
    assert all(statement["Effect"] == "Allow" for statement in policy["Statement"])
    script = (ROOT / "minio/init.sh").read_text()
    assert "mc anonymous set none" in script
    fault_ledger.security(
        "MinIO: private lake bucket, pipeline key limited to it (minio/lake-policy.json)",
        observed=f"{len(actions)} object and listing actions on the one bucket, no bucket "
        "administration; anonymous access off; the root user refused as pipeline key",
    )


@pytest.mark.unit
def test_minio_init_refuses_the_root_user_as_pipeline_key() -> None:
    script = (ROOT / "minio/init.sh").read_text()
    assert '"$AWS_ACCESS_KEY_ID" = "$MINIO_ROOT_USER"' in script
    assert "mc anonymous set none" in script


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_runner():
    """initdb refuses to run as root; as root, run the server as the `postgres` user."""
    if not shutil.which("initdb") or not shutil.which("pg_ctl") or not shutil.which("psql"):
        return None
    if os.geteuid() != 0:
        return lambda args: args
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return None
    return lambda args: ["runuser", "-u", "postgres", "--", *args]


@pytest.mark.integration
@pytest.mark.skipif(_postgres_runner() is None, reason="no local Postgres server binaries")
def test_database_init_is_idempotent_and_quotes_passwords() -> None:
    as_server = _postgres_runner()
    # Not pytest's tmp_path: under root its parents are closed to the postgres user.
    tmp_path = Path(tempfile.mkdtemp(prefix="sme-pulse-pg-"))
    data, sockets = tmp_path / "data", tmp_path / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(tmp_path, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    subprocess.run(
        as_server(["initdb", "-D", str(data), "-U", "postgres", "--auth=trust"]),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        as_server(
            [
                "pg_ctl",
                "-D",
                str(data),
                "-w",
                "-l",
                str(tmp_path / "pg.log"),
                "-o",
                f"-p {port} -k {sockets} -c listen_addresses=''",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        init_dir = tmp_path / "init"
        init_dir.mkdir()
        shutil.copy(ROOT / "postgres/databases.sql", init_dir)
        script = (ROOT / "postgres/init-databases.sh").read_text()
        (init_dir / "init.sh").write_text(script.replace("/init/", f"{init_dir}/"))
        env = {
            **os.environ,
            "PGHOST": str(sockets),
            "PGPORT": str(port),
            "PGUSER": "postgres",
            "PGDATABASE": "postgres",
            "AIRFLOW_DB_PASSWORD": 'it\'s "quoted"; DROP ROLE x;',
            "HIVE_METASTORE_DB_PASSWORD": "hive-1",
            "METABASE_DB_PASSWORD": "metabase-1",
        }
        for _ in range(2):
            subprocess.run(
                ["sh", str(init_dir / "init.sh")], env=env, check=True, capture_output=True
            )
        owners = subprocess.run(
            [
                "psql",
                "-At",
                "-c",
                "select datname || ':' || pg_get_userbyid(datdba) from pg_database"
                " where datname in ('airflow', 'metastore', 'metabase') order by 1",
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        assert owners == ["airflow:airflow", "metabase:metabase", "metastore:hive"]
    finally:
        subprocess.run(
            as_server(["pg_ctl", "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(tmp_path, ignore_errors=True)
