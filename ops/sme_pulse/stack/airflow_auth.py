"""Write the Airflow simple auth manager's passwords file from the environment.

The stack uses Airflow's built-in simple auth manager: it needs no extra provider, and
its `POST /auth/token` gives the smoke test a JWT from a username and password. Left to
itself the manager invents a password and prints it to the log; instead the api-server
runs this module before it starts, so the password is the one in `.env`
(AIRFLOW_ADMIN_PASSWORD) and changing it there and restarting is the whole rotation.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

DEFAULT_PASSWORDS_FILE = "/opt/airflow/simple_auth_manager_passwords.json"


def write_passwords_file(env: Mapping[str, str]) -> Path:
    """Write `{user: password}` with owner-only permissions; return the file's path."""
    user = env.get("AIRFLOW_ADMIN_USER", "").strip() or "admin"
    password = env.get("AIRFLOW_ADMIN_PASSWORD", "")
    if not password:
        raise ValueError("AIRFLOW_ADMIN_PASSWORD is empty; set it in .env (make stack-env)")
    path = Path(
        env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", "").strip()
        or DEFAULT_PASSWORDS_FILE
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({user: password}, handle)
        handle.write("\n")
    path.chmod(0o600)
    return path


def main() -> int:
    try:
        path = write_passwords_file(os.environ)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote the Airflow login for the configured admin user to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
