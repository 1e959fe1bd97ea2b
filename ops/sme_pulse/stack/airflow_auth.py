"""Create the stack's Airflow admin from `.env`, or reset its password to the one there.

The stack runs Airflow with the FAB auth manager (apache-airflow-providers-fab): users,
roles and hashed passwords in Postgres, and the same `POST /auth/token` the smoke test
logs in with. Airflow's simple auth manager is documented as a development tool, and it
keeps its passwords in a plain JSON file; the embedded run (`make airflow`) keeps it
because it needs no database set-up beyond SQLite.

`airflow-init` runs this module after `airflow db migrate` on every `make up`: the
admin is created the first time, and later runs set its password to AIRFLOW_ADMIN_PASSWORD,
so rotating it is: edit `.env`, `make up`. A weak or empty password is refused before
Airflow is called (`sme_pulse.stack.envfile.weak_reason`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sme_pulse.errors import SmePulseError
from sme_pulse.stack.envfile import weak_reason

Runner = Callable[[Sequence[str]], int]


class AirflowAuthError(SmePulseError, ValueError):
    """The admin cannot be created: a weak password or a failed Airflow command."""


@dataclass(frozen=True)
class AdminLogin:
    user: str
    password: str
    email: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AdminLogin:
        password = env.get("AIRFLOW_ADMIN_PASSWORD", "")
        reason = weak_reason("AIRFLOW_ADMIN_PASSWORD", password)
        if reason:
            raise AirflowAuthError(reason)
        return cls(
            user=env.get("AIRFLOW_ADMIN_USER", "").strip() or "admin",
            password=password,
            email=env.get("AIRFLOW_ADMIN_EMAIL", "").strip() or "admin@example.com",
        )


def admin_commands(login: AdminLogin) -> list[list[str]]:
    """`users create` (a no-op when the user exists), then `users reset-password`."""
    return [
        [
            "airflow",
            "users",
            "create",
            "--role",
            "Admin",
            "--username",
            login.user,
            "--email",
            login.email,
            "--firstname",
            "SME Pulse",
            "--lastname",
            "Admin",
            "--password",
            login.password,
        ],
        [
            "airflow",
            "users",
            "reset-password",
            "--username",
            login.user,
            "--password",
            login.password,
        ],
    ]


def _run(args: Sequence[str]) -> int:
    return subprocess.run(list(args), check=False).returncode


def ensure_admin(env: Mapping[str, str], run: Runner = _run) -> str:
    """Create or update the admin; return its user name."""
    login = AdminLogin.from_env(env)
    for command in admin_commands(login):
        code = run(command)
        if code != 0:
            raise AirflowAuthError(f"`airflow users {command[2]}` exited with {code}")
    return login.user


def main() -> int:
    try:
        user = ensure_admin(os.environ)
    except AirflowAuthError as exc:
        print(f"error: airflow-init: {exc}", file=sys.stderr)
        return 1
    print(f"Airflow admin {user!r} has the password from .env")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
