"""Trino's login files for the stack, written by the one-shot `trino-init` service.

Trino authenticates stack clients with a password file (`http-server.authentication.type=
PASSWORD`), which Trino only accepts over HTTPS. Nothing secret is committed, so at every
`make up` this module writes, from `.env`:

* `password.db`: one `user:bcrypt-hash` line per Trino user (the pipeline, Metabase, the
  smoke test). Trino reads `$2y$` bcrypt hashes of cost 8 or more; Python's bcrypt writes
  the identical `$2b$` variant, so only the prefix is renamed.
* `trino-keystore.pem`: a self-signed certificate and its key, for Trino's HTTPS port.
  Kept across runs (clients trust it by file), renewed when it is near its end or does
  not name the host names clients use.
* `trino-ca.pem`: that certificate alone, in a volume the clients mount to verify Trino.
* `coordinator.properties` / `worker.properties`: `trino/etc/config.properties` (and
  `trino/worker/config.properties`) followed by the security fragment of `trino/secure/`,
  so the memory and port settings stay in one file that `make trino-local` also uses.

The key, the hashes and the rendered configs are readable by Trino's user only (uid
1000 in `trinodb/trino`); the CA certificate is public.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sme_pulse.errors import SmePulseError
from sme_pulse.stack.envfile import weak_reason

BCRYPT_COST = 10
# Trino's own floor (password-file documentation): cost 8.
TRINO_MIN_BCRYPT_COST = 8
# bcrypt uses the first 72 bytes only; a longer password would be silently cut.
BCRYPT_MAX_BYTES = 72
CERT_DAYS = 825
RSA_BITS = 3072
RENEW_BEFORE_DAYS = 30
DNS_NAMES = ("trino", "localhost")
IP_ADDRESSES = ("127.0.0.1",)
USER_NAME = r"^[a-z][a-z0-9_]{0,62}$"


class TrinoAuthError(SmePulseError, ValueError):
    """A Trino login cannot be written: missing or weak password, bad user name."""


@dataclass(frozen=True)
class TrinoLogin:
    """One Trino user and the environment variable holding its password."""

    user: str
    password_var: str


def stack_logins(env: Mapping[str, str]) -> tuple[TrinoLogin, ...]:
    """The pipeline user (TRINO_USER, default sme_pulse), `metabase` and `smoke`.

    Passwords come from TRINO_PIPELINE_PASSWORD, TRINO_METABASE_PASSWORD and
    TRINO_SMOKE_PASSWORD (.env). Their rights are in `trino/secure/rules.json`: the
    pipeline writes its schemas, Metabase and the smoke test only read gold.
    """
    pipeline = env.get("TRINO_USER", "").strip() or "sme_pulse"
    return (
        TrinoLogin(pipeline, "TRINO_PIPELINE_PASSWORD"),
        TrinoLogin("metabase", "TRINO_METABASE_PASSWORD"),
        TrinoLogin("smoke", "TRINO_SMOKE_PASSWORD"),
    )


def hash_password(password: str, cost: int = BCRYPT_COST) -> str:
    """A bcrypt hash in the `$2y$` form Trino's password file requires."""
    import bcrypt

    if cost < TRINO_MIN_BCRYPT_COST:
        raise TrinoAuthError(f"bcrypt cost {cost} is below Trino's minimum {TRINO_MIN_BCRYPT_COST}")
    raw = password.encode("utf-8")
    if len(raw) > BCRYPT_MAX_BYTES:
        raise TrinoAuthError(f"a Trino password may have at most {BCRYPT_MAX_BYTES} bytes")
    hashed = bcrypt.hashpw(raw, bcrypt.gensalt(rounds=cost, prefix=b"2b")).decode("ascii")
    return "$2y$" + hashed.removeprefix("$2b$")


def password_file(env: Mapping[str, str], logins: Sequence[TrinoLogin]) -> str:
    """The `password.db` text; raise `TrinoAuthError` on a missing or weak password."""
    lines = []
    problems = []
    for login in logins:
        if not re.fullmatch(USER_NAME, login.user):
            problems.append(f"Trino user {login.user!r} is not a plain lower-case name")
            continue
        password = env.get(login.password_var, "")
        reason = weak_reason(login.password_var, password)
        if reason:
            problems.append(reason)
            continue
        lines.append(f"{login.user}:{hash_password(password)}")
    if problems:
        raise TrinoAuthError("; ".join(problems))
    return "\n".join(lines) + "\n"


def render_config(base: str, fragment: str) -> str:
    """`base` then `fragment`; a key set in both is refused instead of silently overridden."""
    keys = {_key(line) for line in base.splitlines()} - {None}
    clashes = sorted(key for key in map(_key, fragment.splitlines()) if key in keys)
    if clashes:
        raise TrinoAuthError(f"trino/secure sets {', '.join(clashes)} already set in the base")
    return base.rstrip("\n") + "\n\n" + fragment.rstrip("\n") + "\n"


def _key(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped.startswith(("#", "!")) or "=" not in stripped:
        return None
    return stripped.split("=", 1)[0].strip()


def self_signed_pem(now: dt.datetime | None = None) -> tuple[bytes, bytes]:
    """(key + certificate PEM for Trino's keystore, certificate PEM for clients)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = now or dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "trino")])
    alt_names = [x509.DNSName(host) for host in DNS_NAMES] + [
        x509.IPAddress(ipaddress.ip_address(ip)) for ip in IP_ADDRESSES
    ]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CERT_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=True,
                key_cert_sign=True,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem + cert_pem, cert_pem


def certificate_usable(cert_pem: bytes, now: dt.datetime | None = None) -> bool:
    """True while the certificate names every client host and is not about to expire."""
    from cryptography import x509

    now = now or dt.datetime.now(dt.UTC)
    try:
        certificate = x509.load_pem_x509_certificate(cert_pem)
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except (ValueError, x509.ExtensionNotFound):
        return False
    hosts = set(names.value.get_values_for_type(x509.DNSName))
    ips = {str(ip) for ip in names.value.get_values_for_type(x509.IPAddress)}
    return (
        set(DNS_NAMES) <= hosts
        and set(IP_ADDRESSES) <= ips
        and certificate.not_valid_after_utc - now > dt.timedelta(days=RENEW_BEFORE_DAYS)
    )


def _write(path: Path, data: bytes, mode: int, owner: tuple[int, int] | None) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    tmp.chmod(mode)
    if owner is not None:
        os.chown(tmp, *owner)
    tmp.replace(path)


@dataclass(frozen=True)
class Layout:
    """Where `write_all` reads the project's files and writes the generated ones."""

    project: Path
    secure_dir: Path
    ca_dir: Path


def write_all(
    env: Mapping[str, str], layout: Layout, owner: tuple[int, int] | None = None
) -> list[Path]:
    """Write every generated file; return their paths. Safe to run on every start."""
    secure = layout.project / "secure"
    rendered = {
        "coordinator.properties": render_config(
            (layout.project / "etc" / "config.properties").read_text(encoding="utf-8"),
            (secure / "coordinator.properties").read_text(encoding="utf-8"),
        ),
        "worker.properties": render_config(
            (layout.project / "worker" / "config.properties").read_text(encoding="utf-8"),
            (secure / "worker.properties").read_text(encoding="utf-8"),
        ),
        "password.db": password_file(env, stack_logins(env)),
    }
    layout.secure_dir.mkdir(parents=True, exist_ok=True)
    layout.ca_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered.items():
        _write(layout.secure_dir / name, text.encode("utf-8"), 0o600, owner)
        written.append(layout.secure_dir / name)
    keystore = layout.secure_dir / "trino-keystore.pem"
    ca_file = layout.ca_dir / "trino-ca.pem"
    if not (keystore.exists() and ca_file.exists() and certificate_usable(ca_file.read_bytes())):
        keystore_pem, cert_pem = self_signed_pem()
        _write(keystore, keystore_pem, 0o600, owner)
        _write(ca_file, cert_pem, 0o644, None)
    return [*written, keystore, ca_file]


def main() -> int:
    env = os.environ
    layout = Layout(
        project=Path(env.get("TRINO_PROJECT_DIR", "/trino-project")),
        secure_dir=Path(env.get("TRINO_SECURE_DIR", "/trino-secure")),
        ca_dir=Path(env.get("TRINO_CA_DIR", "/trino-ca")),
    )
    uid = env.get("TRINO_UID", "").strip()
    owner = (int(uid), int(uid)) if uid and os.geteuid() == 0 else None
    try:
        paths = write_all(env, layout, owner)
    except (TrinoAuthError, OSError) as exc:
        print(f"error: trino-init: {exc}", file=sys.stderr)
        return 1
    print("trino-init: wrote " + ", ".join(path.name for path in paths))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
