"""Fill the stack's missing secrets in `.env` with random values (`make stack-env`).

docker-compose.yml names every secret as `${VAR:?...}`, so compose refuses to start until
each one has a value; this module reads that list from the compose file itself (one
source of truth), creates `.env` from `.env.example` when there is none, and writes a
fresh random value for each required variable that is missing or empty. Values already
set are never touched, so running it again is safe and rotating a secret is: delete its
value, run it, `make up` (docs/operations.md).

Values are hex or base64url, so they are safe inside URLs (the Airflow database URL
embeds its password) and need no quoting in `.env`.

`check_secrets` is the other half: `make up` and `make smoke` run
`python -m sme_pulse.stack.envfile --check .env` first, which refuses (one line per
variable) a secret that compose would accept but an attacker would guess: empty, a
vendor default such as `minioadmin`, a placeholder such as `changeme`, or shorter than
`MIN_SECRET_LENGTH`. Compose itself can only refuse a missing one (`${VAR:?...}`).
"""

from __future__ import annotations

import base64
import re
import secrets
import shutil
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

# Passwords that ship as defaults or examples with the stack's images and tutorials.
WEAK_VALUES = frozenset(
    {
        "admin",
        "administrator",
        "airflow",
        "changeme",
        "change-me",
        "changeit",
        "default",
        "hive",
        "metabase",
        "minio",
        "minioadmin",
        "minio123",
        "password",
        "passw0rd",
        "postgres",
        "root",
        "secret",
        "test",
        "trino",
        "123456",
        "12345678",
        "dummy-value",
    }
)
# Root logins images create when none is given (MinIO's minioadmin:minioadmin).
VENDOR_LOGINS = frozenset({"minioadmin", "minio", "root"})
MIN_SECRET_LENGTH = 12
# Values the stack's images treat as user names, not secrets: checked for emptiness only.
NAME_SUFFIXES = ("_USER", "_ACCESS_KEY_ID", "_EMAIL")

REQUIRED_VAR = re.compile(r"\$\{([A-Z][A-Z0-9_]*):\?")
ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$")


def required_variables(compose_text: str) -> list[str]:
    """Every `${VAR:?...}` in the compose file outside comments, in first-seen order."""
    code = "\n".join(
        line for line in compose_text.splitlines() if not line.lstrip().startswith("#")
    )
    return list(dict.fromkeys(REQUIRED_VAR.findall(code)))


def generate_value(name: str) -> str:
    """A random value of the shape the variable needs."""
    if name == "AIRFLOW_FERNET_KEY":
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
    if name == "AWS_ACCESS_KEY_ID":
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return "SMEP" + "".join(secrets.choice(alphabet) for _ in range(16))
    if name == "AWS_SECRET_ACCESS_KEY":
        return secrets.token_hex(20)
    if name.endswith("_USER"):
        return "admin-" + secrets.token_hex(4)
    return secrets.token_hex(24)


def weak_reason(name: str, value: str) -> str | None:
    """Why `value` is unfit for the secret `name`, or None when it is fit."""
    if not value.strip():
        return f"{name} is empty; run `make stack-env` to generate it"
    if name.endswith(NAME_SUFFIXES):
        if value.strip().lower() in VENDOR_LOGINS:
            return f"{name} is the well-known default {value!r}; choose another"
        return None
    if value.strip().lower() in WEAK_VALUES:
        return f"{name} is the well-known default {value!r}; delete it and run `make stack-env`"
    if len(value) < MIN_SECRET_LENGTH:
        return (
            f"{name} is {len(value)} characters, fewer than {MIN_SECRET_LENGTH}; "
            "delete it and run `make stack-env`"
        )
    return None


def check_secrets(env: Mapping[str, str], names: Iterable[str]) -> list[str]:
    """One line per required variable of `names` whose value in `env` is unfit."""
    return [
        reason for name in names if (reason := weak_reason(name, env.get(name, ""))) is not None
    ]


def read_env_file(path: Path) -> dict[str, str]:
    """The variables a `.env` file sets (comments and blank lines ignored)."""
    return _parse(path.read_text(encoding="utf-8").splitlines()) if path.exists() else {}


def _parse(lines: Iterable[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in lines:
        match = ENV_LINE.match(line)
        if match and not line.lstrip().startswith("#"):
            values[match.group(1)] = match.group(2).strip().strip("'\"")
    return values


def ensure_secrets(env_path: Path, compose_path: Path, example_path: Path) -> list[str]:
    """Fill missing required variables in `env_path`; return the names that were filled."""
    if not env_path.exists():
        if example_path.exists():
            shutil.copyfile(example_path, env_path)
        else:
            env_path.write_text("", encoding="utf-8")
    lines = env_path.read_text(encoding="utf-8").splitlines()
    current = _parse(lines)
    missing = [
        name
        for name in required_variables(compose_path.read_text(encoding="utf-8"))
        if not current.get(name)
    ]
    if not missing:
        return []
    generated = {name: generate_value(name) for name in missing}
    filled: set[str] = set()
    out: list[str] = []
    for line in lines:
        match = ENV_LINE.match(line)
        name = match.group(1) if match and not line.lstrip().startswith("#") else None
        if name in generated and name not in filled:
            out.append(f"{name}={generated[name]}")
            filled.add(name)
        else:
            out.append(line)
    rest = [name for name in missing if name not in filled]
    if rest:
        out.append("# Generated by `make stack-env`.")
        out.extend(f"{name}={generated[name]}" for name in rest)
    env_path.write_text("\n".join(out) + "\n", encoding="utf-8")
    env_path.chmod(0o600)
    return missing


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    check = "--check" in args
    args = [arg for arg in args if arg != "--check"]
    env_path = Path(args[0]) if args else Path(".env")
    root = env_path.resolve().parent
    if check:
        names = required_variables((root / "docker-compose.yml").read_text(encoding="utf-8"))
        problems = check_secrets(read_env_file(env_path), names)
        for problem in problems:
            print(f"error: {env_path}: {problem}", file=sys.stderr)
        return 1 if problems else 0
    filled = ensure_secrets(env_path, root / "docker-compose.yml", root / ".env.example")
    if filled:
        print(f"{env_path}: generated {', '.join(filled)}")
    else:
        print(f"{env_path}: every stack secret already has a value")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
