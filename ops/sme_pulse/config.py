"""The one place SME Pulse reads its environment.

Every module asks `Settings.from_env()` instead of calling `os.environ` itself, so the
full configuration surface is this file plus `.env.example`, and a test can build a
`Settings` by hand without touching the process environment.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sme_pulse.errors import SmePulseError
from sme_pulse.ingestion.values import normalize_email, normalize_phone

SourceMode = Literal["live", "replay"]
DbtExecution = Literal["build", "watcher", "local"]
DBT_EXECUTIONS: tuple[DbtExecution, ...] = ("build", "watcher", "local")
"""How Cosmos runs a dbt layer; `sme_pulse.orchestration.dbt_groups` says what each costs."""

# In a checkout (and the editable install `make` creates) the dbt project sits beside ops/.
REPO_ROOT = Path(__file__).resolve().parents[2]

DEFAULT_WB_INDICATORS = ("NY.GDP.MKTP.CD", "NY.GDP.MKTP.KD.ZG", "FP.CPI.TOTL.ZG", "SL.UEM.TOTL.ZS")
DEFAULT_WB_YEARS = 11


class ConfigError(SmePulseError, ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _dbt_execution(env: Mapping[str, str]) -> DbtExecution:
    value = env.get("DBT_EXECUTION", "").strip().lower() or DBT_EXECUTIONS[0]
    if value not in DBT_EXECUTIONS:
        choices = ", ".join(DBT_EXECUTIONS)
        raise ConfigError(f"DBT_EXECUTION must be one of {choices}, got {value!r}")
    return value  # type: ignore[return-value]


def _encoding(env: Mapping[str, str], name: str) -> str:
    """'auto' or the name of a text encoding Python knows (cp1258, utf-16, ...)."""
    raw = env.get(name, "").strip().lower() or "auto"
    if raw == "auto":
        return raw
    try:
        return codecs.lookup(raw).name
    except LookupError as exc:
        raise ConfigError(f"{name}={raw!r} is not a text encoding (try cp1258 or auto)") from exc


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def _csv(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _shop_contacts(env: Mapping[str, str]) -> tuple[str, ...]:
    """`SHOP_CONTACTS`: the shop's own emails and phones, which clerks type on sales to
    buyers who gave none. Returned as identity-graph identifiers ('email|...',
    'phone|+84...'), normalised as the ingestion normalises contacts, so identity
    resolution can tell they name nobody (dbt int_customer_identifiers)."""
    identifiers = set()
    for item in _csv(env, "SHOP_CONTACTS", ()):
        kind, value = (
            ("email", normalize_email(item)) if "@" in item else ("phone", normalize_phone(item))
        )
        if value is None:
            raise ConfigError(
                f"SHOP_CONTACTS: {item!r} is not an email address or a Vietnamese phone number"
            )
        identifiers.add(f"{kind}|{value}")
    return tuple(sorted(identifiers))


def _year_range(env: Mapping[str, str], today: datetime) -> tuple[int, int]:
    """`WB_YEARS=2014:2024`, or by default the last eleven calendar years before this one."""
    raw = env.get("WB_YEARS", "").strip()
    if not raw:
        end = today.year - 1
        return end - DEFAULT_WB_YEARS + 1, end
    start_s, sep, end_s = raw.partition(":")
    try:
        start, end = int(start_s), int(end_s)
    except ValueError as exc:
        raise ConfigError(f"WB_YEARS must look like 2014:2024, got {raw!r}") from exc
    if not sep or start > end:
        raise ConfigError(f"WB_YEARS must look like 2014:2024, got {raw!r}")
    return start, end


def _duration(env: Mapping[str, str], name: str, default: str) -> str:
    """A Trino duration (`7d`, `12h`, `30m`, `10s`): checked here, not by a failing query."""
    raw = env.get(name, "").strip() or default
    if not re.fullmatch(r"\d+(\.\d+)?(ms|s|m|h|d)", raw):
        raise ConfigError(f"{name} must be a duration like 7d, 12h or 30m, got {raw!r}")
    return raw


def _data_size(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip() or default
    if not re.fullmatch(r"\d+(B|kB|MB|GB)", raw):
        raise ConfigError(f"{name} must be a size like 128MB, got {raw!r}")
    return raw


def _optional_path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name, "").strip()
    return Path(raw).expanduser() if raw else None


def home_dir(env: Mapping[str, str] | None = None) -> Path:
    """`SME_PULSE_HOME` (default `.local`): read on its own where the rest of the settings
    may be what failed, e.g. to file the trace of an error."""
    env = os.environ if env is None else env
    return Path(env.get("SME_PULSE_HOME", "").strip() or ".local").expanduser().resolve()


def load_dotenv_files(directories: tuple[Path, ...] | None = None) -> list[Path]:
    """Read `.env` like `make` does, for variables the environment does not set already.

    The Makefile exports `.env` to every recipe; without this, `sme-pulse` run by hand
    would use other settings than `make demo`. The working directory's file wins over the
    repository's; a variable set in the environment wins over both.
    """
    from dotenv import dotenv_values

    read = []
    for directory in dict.fromkeys(d.resolve() for d in directories or (Path.cwd(), REPO_ROOT)):
        path = directory / ".env"
        if path.is_file():
            for name, value in dotenv_values(path).items():
                if value is not None:
                    os.environ.setdefault(name, value)
            read.append(path)
    return read


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    """A URL setting; one without a scheme (`minio:9000`) is a typo, not a host name."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*://[^/]", raw):
        raise ConfigError(f"{name} must be a URL with a scheme like http://host:port, got {raw!r}")
    return raw.rstrip("/")


def _lake_uri(raw: str, home: Path) -> str:
    """A bare path becomes absolute so Airflow workers and dbt agree on where the lake is.

    The lake root is spelled inside SQL string literals (DuckDB's `read_parquet('...')`,
    Trino's `location => '...'`), so quotes, backslashes and control characters are
    refused here rather than escaped in each statement.
    """
    if re.search(r"['\"\\\x00-\x1f\x7f]", raw):
        raise ConfigError(
            "a lake or landing URI may not contain quotes, backslashes or control "
            f"characters: {raw!r}"
        )
    if not raw:
        return str((home / "lake").resolve())
    if "://" in raw:
        return raw.rstrip("/")
    return str(Path(raw).expanduser().resolve())


@dataclass(frozen=True)
class S3Settings:
    """Credentials and endpoint for an `s3://` lake (MinIO in the stack)."""

    endpoint_url: str | None
    access_key: str | None
    secret_key: str | None
    region: str


@dataclass(frozen=True)
class TrinoSettings:
    """Coordinator the `trino` dbt target and the summaries talk to (the stack)."""

    host: str
    port: int
    user: str
    password: str | None = None
    """TRINO_PASSWORD: set in the stack, where Trino takes logins over HTTPS only."""
    ca_file: Path | None = None
    """TRINO_CA_FILE: the certificate that signs Trino's (the stack's self-signed one)."""

    def connect_args(self) -> dict[str, object]:
        """Keyword arguments of `trino.dbapi.connect`: HTTPS and a password login when a
        password is set (verified against `ca_file`, else the system's CAs), else plain
        HTTP as on `make trino-local`."""
        args: dict[str, object] = {"host": self.host, "port": self.port, "user": self.user}
        if self.password is None:
            return args
        import requests
        from trino.auth import BasicAuthentication

        args["http_scheme"] = "https"
        args["auth"] = BasicAuthentication(self.user, self.password)
        session = requests.Session()
        if self.ca_file:
            session.verify = str(self.ca_file)
            # Else requests lets REQUESTS_CA_BUNDLE replace the CA file on every request.
            session.trust_env = False
        args["http_session"] = session
        return args


@dataclass(frozen=True)
class LandingLimits:
    """What a landing export may be before it is rejected unread (docs/operations.md)."""

    max_file_bytes: int = 2 * 1024**3
    """LANDING_MAX_FILE_MB (default 2048): larger files are rejected before parsing."""
    max_row_bytes: int = 1024**2
    """LANDING_MAX_ROW_KB (default 1024): a longer line is quarantined as row_too_long."""
    max_unzipped_bytes: int = 512 * 1024**2
    """XLSX_MAX_UNZIPPED_MB (default 512): a workbook inflating past it is rejected."""
    max_zip_ratio: int = 200
    """XLSX_MAX_ZIP_RATIO (default 200): no workbook part may inflate more than this."""


def _landing_limits(env: Mapping[str, str]) -> LandingLimits:
    limits = LandingLimits(
        max_file_bytes=_int(env, "LANDING_MAX_FILE_MB", 2048) * 1024**2,
        max_row_bytes=_int(env, "LANDING_MAX_ROW_KB", 1024) * 1024,
        max_unzipped_bytes=_int(env, "XLSX_MAX_UNZIPPED_MB", 512) * 1024**2,
        max_zip_ratio=_int(env, "XLSX_MAX_ZIP_RATIO", 200),
    )
    if min(vars(limits).values()) < 1:
        raise ConfigError(
            "LANDING_MAX_FILE_MB, LANDING_MAX_ROW_KB, XLSX_MAX_UNZIPPED_MB and "
            "XLSX_MAX_ZIP_RATIO must be positive"
        )
    return limits


@dataclass(frozen=True)
class LocalStackSettings:
    """`make trino-local`: Trino, a Hive metastore and an S3 stand-in on this machine."""

    cache_dir: Path
    maven_repository: str
    trino_java_home: Path | None
    metastore_java_home: Path | None
    trino_port: int
    trino_workers: int
    s3_port: int
    metastore_port: int
    postgres_port: int
    bucket: str
    kafka_port: int
    """`make kafka-local`: the broker's client port; its controller takes the next one."""


@dataclass(frozen=True)
class IcebergSettings:
    """Upkeep of the Iceberg tables on Trino (the weekly maintenance DAG)."""

    snapshot_retention: str
    """How far back time travel reaches; older snapshots and orphan files are removed."""
    optimize_file_size_threshold: str
    min_retention: str
    """The catalogs' floor under any retention (trino/etc/catalog/iceberg.properties)."""


@dataclass(frozen=True)
class AlertSettings:
    """Where alerts go and when a run is late; nothing configured, no alert is attached."""

    urls: tuple[str, ...] = ()
    """Apprise URLs, one per receiver: mailto://, slack://, tgram://, json:// (a webhook)."""
    run_deadline_minutes: float | None = None
    """A run still going this long after it started is past its deadline."""

    @property
    def enabled(self) -> bool:
        return bool(self.urls)


@dataclass(frozen=True)
class RetentionSettings:
    """How long the Airflow metadata database keeps finished runs (housekeeping DAG)."""

    airflow_db_days: int = 30


def _alerts(env: Mapping[str, str]) -> AlertSettings:
    urls = tuple(u for u in re.split(r"\s+", env.get("ALERT_URLS", "").strip()) if u)
    for url in urls:
        if "://" not in url:
            raise ConfigError(f"ALERT_URLS entries must be URLs like json://host/path, got {url!r}")
    raw_deadline = env.get("RUN_DEADLINE_MINUTES", "").strip()
    deadline = _float(env, "RUN_DEADLINE_MINUTES", 0.0) if raw_deadline else None
    if deadline is not None and deadline < 0:
        raise ConfigError(f"RUN_DEADLINE_MINUTES must not be negative, got {raw_deadline!r}")
    return AlertSettings(urls=urls, run_deadline_minutes=deadline)


@dataclass(frozen=True)
class StreamSettings:
    """How the order-event consumer reaches Kafka and cuts its micro-batches."""

    bootstrap_servers: str = "127.0.0.1:9092"
    group_id: str = "sme-pulse-bronze"
    batch_size: int = 5000
    """Messages per partition in one bronze part, at most."""
    batch_seconds: float = 10.0
    """The long-running consumer writes a part at least this often while events arrive."""
    max_lag_minutes: float = 15.0
    """The stream DAG fails when the oldest event bronze lacks is older than this."""
    configured: bool = False
    """KAFKA_BOOTSTRAP_SERVERS is set: this deployment has a stream, so the sales summary
    reports its lag (the bootstrap default above serves the CLI and kafka-local)."""


def _stream(env: Mapping[str, str]) -> StreamSettings:
    size = _int(env, "STREAM_BATCH_SIZE", StreamSettings.batch_size)
    if size < 1:
        raise ConfigError(f"STREAM_BATCH_SIZE must be at least 1, got {size}")
    return StreamSettings(
        bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
        or StreamSettings.bootstrap_servers,
        group_id=env.get("STREAM_GROUP_ID", "").strip() or StreamSettings.group_id,
        batch_size=size,
        batch_seconds=_float(env, "STREAM_BATCH_SECONDS", StreamSettings.batch_seconds),
        max_lag_minutes=_float(env, "STREAM_MAX_LAG_MINUTES", StreamSettings.max_lag_minutes),
        configured=bool(env.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()),
    )


def _retention(env: Mapping[str, str]) -> RetentionSettings:
    days = _int(env, "AIRFLOW_DB_RETENTION_DAYS", RetentionSettings.airflow_db_days)
    if days < 1:
        raise ConfigError(f"AIRFLOW_DB_RETENTION_DAYS must be at least 1, got {days}")
    return RetentionSettings(airflow_db_days=days)


@dataclass(frozen=True)
class OperatorSettings:
    """What the operator tools use to reach Airflow: `make airflow` and `make smoke`."""

    airflow_api_url: str
    airflow_port: int
    airflow_admin_user: str
    airflow_admin_password: str | None
    smoke_timeout_s: float
    smoke_poll_s: float
    smoke_trino_user: str = "smoke"
    """The read-only Trino login `make smoke` counts gold rows with (SMOKE_TRINO_USER)."""
    smoke_trino_password: str | None = None
    """TRINO_SMOKE_PASSWORD, from the stack's .env."""


@dataclass(frozen=True)
class Settings:
    home: Path
    lake_uri: str
    landing_uri: str
    landing_encoding: str
    warehouse_path: Path
    source_mode: SourceMode
    world_bank_api_url: str
    provinces_api_url: str
    customer_api_url: str
    customer_api_token: str | None
    wb_country: str
    wb_indicators: tuple[str, ...]
    wb_years: tuple[int, int]
    http_timeout_s: float
    http_budget_s: float
    http_max_attempts: int
    freshness_max_age_days: int
    task_retries: int
    task_retry_delay_s: float
    dbt_target: str
    dbt_execution: DbtExecution
    trino: TrinoSettings
    operator: OperatorSettings
    dbt_project_dir: Path
    dbt_profiles_dir: Path
    s3: S3Settings
    local_stack: LocalStackSettings
    iceberg: IcebergSettings
    replay_dir: Path = field(default=Path(__file__).parent / "replay")
    landing_limits: LandingLimits = field(default_factory=LandingLimits)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    stream: StreamSettings = field(default_factory=StreamSettings)
    shop_contacts: tuple[str, ...] = ()

    @property
    def dbt_manifest_path(self) -> Path:
        return self.dbt_project_dir / "target" / "manifest.json"

    def dbt_env(self) -> dict[str, str]:
        """What dbt reads through `env_var()`: absolute, so any working folder will do."""
        return {
            "DBT_TARGET": self.dbt_target,
            "LAKE_URI": self.lake_uri,
            "WAREHOUSE_PATH": str(self.warehouse_path),
            "TRINO_HOST": self.trino.host,
            "TRINO_PORT": str(self.trino.port),
            "TRINO_USER": self.trino.user,
            "DO_NOT_TRACK": "1",
            "SHOP_CONTACTS": ",".join(self.shop_contacts),
        }

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, now: datetime | None = None
    ) -> Settings:
        env = os.environ if env is None else env
        now = now or datetime.now(UTC)
        home = home_dir(env)
        mode = env.get("SOURCE_MODE", "replay").strip().lower() or "replay"
        if mode not in ("live", "replay"):
            raise ConfigError(f"SOURCE_MODE must be 'live' or 'replay', got {mode!r}")
        lake_uri = _lake_uri(env.get("LAKE_URI", "").strip(), home)
        landing_raw = env.get("LANDING_URI", "").strip()
        dbt_project_dir = Path(
            env.get("DBT_PROJECT_DIR", "").strip() or REPO_ROOT / "dbt"
        ).resolve()
        return cls(
            home=home,
            lake_uri=lake_uri,
            landing_uri=_lake_uri(landing_raw, home) if landing_raw else str(home / "landing"),
            landing_encoding=_encoding(env, "LANDING_ENCODING"),
            warehouse_path=Path(
                env.get("WAREHOUSE_PATH", "").strip() or home / "warehouse.duckdb"
            ).resolve(),
            source_mode=mode,  # type: ignore[arg-type]
            world_bank_api_url=_url(env, "WORLD_BANK_API_URL", "https://api.worldbank.org/v2"),
            provinces_api_url=_url(
                env, "PROVINCES_API_URL", "https://provinces.open-api.vn/api/v1"
            ),
            customer_api_url=_url(env, "CUSTOMER_API_URL", "http://127.0.0.1:8765"),
            customer_api_token=env.get("CUSTOMER_API_TOKEN", "").strip() or None,
            wb_country=env.get("WB_COUNTRY", "").strip() or "VN",
            wb_indicators=_csv(env, "WB_INDICATORS", DEFAULT_WB_INDICATORS),
            wb_years=_year_range(env, now),
            http_timeout_s=_float(env, "HTTP_TIMEOUT_SECONDS", 20.0),
            http_budget_s=_float(env, "HTTP_BUDGET_SECONDS", 120.0),
            http_max_attempts=_int(env, "HTTP_MAX_ATTEMPTS", 5),
            freshness_max_age_days=_int(env, "FRESHNESS_MAX_AGE_DAYS", 30),
            task_retries=_int(env, "TASK_RETRIES", 3),
            task_retry_delay_s=_float(env, "TASK_RETRY_DELAY_SECONDS", 60.0),
            dbt_target=env.get("DBT_TARGET", "").strip() or "duckdb",
            dbt_execution=_dbt_execution(env),
            trino=TrinoSettings(
                host=env.get("TRINO_HOST", "").strip() or "localhost",
                port=_int(env, "TRINO_PORT", 8080),
                user=env.get("TRINO_USER", "").strip() or "sme_pulse",
                password=env.get("TRINO_PASSWORD", "").strip() or None,
                ca_file=_optional_path(env, "TRINO_CA_FILE"),
            ),
            operator=OperatorSettings(
                airflow_api_url=_url(env, "AIRFLOW_API_URL", "http://127.0.0.1:8080"),
                airflow_port=_int(env, "AIRFLOW_PORT", 8080),
                airflow_admin_user=env.get("AIRFLOW_ADMIN_USER", "").strip() or "admin",
                airflow_admin_password=env.get("AIRFLOW_ADMIN_PASSWORD", "").strip() or None,
                smoke_timeout_s=_float(env, "SMOKE_TIMEOUT_SECONDS", 1800.0),
                smoke_poll_s=_float(env, "SMOKE_POLL_SECONDS", 10.0),
                smoke_trino_user=env.get("SMOKE_TRINO_USER", "").strip() or "smoke",
                smoke_trino_password=env.get("TRINO_SMOKE_PASSWORD", "").strip() or None,
            ),
            dbt_project_dir=dbt_project_dir,
            dbt_profiles_dir=Path(
                env.get("DBT_PROFILES_DIR", "").strip() or dbt_project_dir
            ).resolve(),
            s3=S3Settings(
                endpoint_url=_url(env, "S3_ENDPOINT_URL", "") or None,
                access_key=env.get("AWS_ACCESS_KEY_ID", "").strip() or None,
                secret_key=env.get("AWS_SECRET_ACCESS_KEY", "").strip() or None,
                region=env.get("AWS_REGION", "").strip() or "us-east-1",
            ),
            iceberg=IcebergSettings(
                snapshot_retention=_duration(env, "ICEBERG_SNAPSHOT_RETENTION", "7d"),
                optimize_file_size_threshold=_data_size(
                    env, "ICEBERG_OPTIMIZE_FILE_SIZE_THRESHOLD", "128MB"
                ),
                min_retention=_duration(env, "ICEBERG_MIN_RETENTION", "7d"),
            ),
            alerts=_alerts(env),
            landing_limits=_landing_limits(env),
            retention=_retention(env),
            stream=_stream(env),
            shop_contacts=_shop_contacts(env),
            local_stack=LocalStackSettings(
                cache_dir=(
                    _optional_path(env, "SME_PULSE_CACHE") or Path.home() / ".cache" / "sme-pulse"
                ).resolve(),
                maven_repository=_url(
                    env, "MAVEN_REPOSITORY_URL", "https://repo1.maven.org/maven2"
                ),
                trino_java_home=_optional_path(env, "TRINO_JAVA_HOME"),
                metastore_java_home=_optional_path(env, "METASTORE_JAVA_HOME"),
                trino_port=_int(env, "TRINO_LOCAL_PORT", 8081),
                trino_workers=_int(env, "TRINO_LOCAL_WORKERS", 1),
                s3_port=_int(env, "TRINO_LOCAL_S3_PORT", 9000),
                metastore_port=_int(env, "TRINO_LOCAL_METASTORE_PORT", 9083),
                postgres_port=_int(env, "TRINO_LOCAL_POSTGRES_PORT", 5433),
                bucket=env.get("LAKE_BUCKET", "").strip() or "sme-lake",
                kafka_port=_int(env, "KAFKA_LOCAL_PORT", 19092),
            ),
        )
