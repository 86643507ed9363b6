"""Settings: read once from the environment, then passed around explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class SettingsError(ValueError):
    """A setting has a value the hub cannot use."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


def _list(env: Mapping[str, str], name: str, default: list[str]) -> list[str]:
    raw = env.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def normalise_database_url(url: str) -> str:
    """Pick the async driver for the URLs people usually write."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise SettingsError(f"DATABASE_URL must name PostgreSQL or SQLite, got {url.split(':', 1)[0]!r}")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    public_base_url: str = "http://127.0.0.1:8000"
    redis_url: str | None = None
    # Namespace of every Redis key and channel, so several hubs can share one Redis.
    redis_prefix: str = "citizen-hub"
    # First retry of a failed app webhook delivery; each further retry waits twice as long (max 1 h).
    webhook_retry_base_seconds: float = 10.0
    lgsp_webhook_secret: str | None = None
    # National identity login (OpenID Connect): the issuer, where its signing keys are published, and the
    # client id the hub is registered under (the ID token's audience). Unset issuer: login is off.
    national_identity_issuer: str | None = None
    national_identity_jwks_url: str | None = None
    national_identity_client_id: str | None = None
    # How often dossiers that passed their due time are looked for (their owners are told once).
    records_sweep_seconds: float = 60.0
    environment: str = "production"
    # The province this hub serves: a code of the `vietnam-provinces` package (79 = Ho Chi Minh City).
    province_code: int = 79
    load_demo_data: bool = True
    jwt_issuer: str = "http://127.0.0.1:8000"
    jwt_audience: str = "citizen-hub"
    jwt_signing_key_pem: str | None = None
    access_token_seconds: int = 900
    refresh_token_days: int = 30
    login_max_failures: int = 5
    login_window_seconds: int = 900
    allowed_origins: list[str] = field(default_factory=list)
    db_pool_size: int = 20
    log_requests: bool = True
    # GraphQL limits (graphql_schema/limits.py, cost.py); the page size maximum is relay.MAX_PAGE.
    graphql_max_depth: int = 10
    graphql_max_aliases: int = 15
    graphql_max_tokens: int = 2000
    graphql_max_directives: int = 8
    graphql_max_cost: int = 1000
    graphql_mutation_cost: int = 10
    graphql_timeout_seconds: float = 10.0
    graphql_document_cache_size: int = 1000
    # Rate limit by query cost per principal: a token bucket (server/ratelimit.py).
    rate_limit_bucket_size: int = 2000
    rate_limit_restore_rate: float = 100.0  # points per second
    redis_key_prefix: str = "hub:"
    # Persisted queries: "apq" (Apollo automatic persisted queries), "allowlist" (only the documents of
    # persisted_queries_file run) or "off".
    persisted_queries: str = "apq"
    persisted_queries_file: Path | None = None
    # Debug only: an X-SQL-Statements response header counting the SQL statements of each request.
    sql_statement_count_header: bool = False
    # How long anonymous public feedback answers are reused (graphql_schema/feed_cache.py); 0: never.
    feedback_public_cache_seconds: float = 2.0
    # Notifications (server/notify): the outbox dispatcher and Web Push.
    dispatch_poll_seconds: float = 1.0
    # Debug/tests: the dispatcher leaves events this long before turning them into notifications.
    dispatch_delay_seconds: float = 0.0
    dispatch_lease_seconds: float = 10.0
    vapid_private_key: str | None = None
    vapid_subject: str | None = None
    push_ttl_seconds: int = 86400
    push_backoff_seconds: float = 1.0
    push_max_attempts: int = 5

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("DATA_DIR") or "./data").resolve()
        database_url = env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'citizen-hub.sqlite3'}"
        public_base_url = (env.get("PUBLIC_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
        access_seconds = _int(env, "ACCESS_TOKEN_SECONDS", 900)
        if not 5 <= access_seconds <= 900:
            raise SettingsError("ACCESS_TOKEN_SECONDS must lie between 5 and 900 (15 minutes)")
        return cls(
            data_dir=data_dir,
            database_url=normalise_database_url(database_url),
            public_base_url=public_base_url,
            redis_url=env.get("REDIS_URL") or None,
            redis_prefix=env.get("REDIS_PREFIX") or "citizen-hub",
            webhook_retry_base_seconds=float(_int(env, "WEBHOOK_RETRY_BASE_SECONDS", 10)),
            lgsp_webhook_secret=env.get("LGSP_WEBHOOK_SECRET") or None,
            national_identity_issuer=env.get("NATIONAL_IDENTITY_ISSUER") or None,
            national_identity_jwks_url=env.get("NATIONAL_IDENTITY_JWKS_URL") or None,
            national_identity_client_id=env.get("NATIONAL_IDENTITY_CLIENT_ID") or None,
            records_sweep_seconds=_float(env, "RECORDS_SWEEP_SECONDS", 60.0),
            environment=env.get("ENVIRONMENT", "production"),
            province_code=_int(env, "PROVINCE_CODE", 79),
            load_demo_data=_bool(env, "LOAD_DEMO_DATA", True),
            jwt_issuer=env.get("JWT_ISSUER") or public_base_url,
            jwt_audience=env.get("JWT_AUDIENCE") or "citizen-hub",
            jwt_signing_key_pem=env.get("JWT_SIGNING_KEY") or None,
            access_token_seconds=access_seconds,
            refresh_token_days=_int(env, "REFRESH_TOKEN_DAYS", 30),
            login_max_failures=_int(env, "LOGIN_MAX_FAILURES", 5),
            login_window_seconds=_int(env, "LOGIN_WINDOW_SECONDS", 900),
            allowed_origins=_list(env, "ALLOWED_ORIGINS", [public_base_url]),
            db_pool_size=_int(env, "DB_POOL_SIZE", 20),
            log_requests=_bool(env, "LOG_REQUESTS", True),
            **_graphql_limits(env),
            sql_statement_count_header=_bool(env, "SQL_STATEMENT_COUNT_HEADER", False),
            feedback_public_cache_seconds=_float(env, "FEEDBACK_PUBLIC_CACHE_SECONDS", 2.0),
            **_notify_settings(env),
        )


def _graphql_limits(env: Mapping[str, str]) -> dict[str, object]:
    mode = (env.get("PERSISTED_QUERIES") or "apq").lower()
    if mode not in {"apq", "allowlist", "off"}:
        raise SettingsError(f"PERSISTED_QUERIES must be apq, allowlist or off, got {mode!r}")
    file = env.get("PERSISTED_QUERIES_FILE") or None
    if mode == "allowlist" and not file:
        raise SettingsError("PERSISTED_QUERIES=allowlist needs PERSISTED_QUERIES_FILE (sha256 -> query)")
    limits: dict[str, object] = {
        "graphql_max_depth": _int(env, "GRAPHQL_MAX_DEPTH", 10),
        "graphql_max_aliases": _int(env, "GRAPHQL_MAX_ALIASES", 15),
        "graphql_max_tokens": _int(env, "GRAPHQL_MAX_TOKENS", 2000),
        "graphql_max_directives": _int(env, "GRAPHQL_MAX_DIRECTIVES", 8),
        "graphql_max_cost": _int(env, "GRAPHQL_MAX_COST", 1000),
        "graphql_mutation_cost": _int(env, "GRAPHQL_MUTATION_COST", 10),
        "graphql_timeout_seconds": _float(env, "GRAPHQL_TIMEOUT_SECONDS", 10.0),
        "graphql_document_cache_size": _int(env, "GRAPHQL_DOCUMENT_CACHE_SIZE", 1000),
        "rate_limit_bucket_size": _int(env, "RATE_LIMIT_BUCKET_SIZE", 2000),
        "rate_limit_restore_rate": _float(env, "RATE_LIMIT_RESTORE_RATE", 100.0),
        "redis_key_prefix": env.get("REDIS_KEY_PREFIX") or "hub:",
        "persisted_queries": mode,
        "persisted_queries_file": Path(file).resolve() if file else None,
    }
    if limits["rate_limit_restore_rate"] <= 0 or limits["rate_limit_bucket_size"] <= 0:  # type: ignore[operator]
        raise SettingsError("RATE_LIMIT_BUCKET_SIZE and RATE_LIMIT_RESTORE_RATE must be positive")
    if limits["graphql_timeout_seconds"] <= 0:  # type: ignore[operator]
        raise SettingsError("GRAPHQL_TIMEOUT_SECONDS must be positive")
    return limits


def _notify_settings(env: Mapping[str, str]) -> dict[str, object]:
    values: dict[str, object] = {
        "dispatch_poll_seconds": _float(env, "DISPATCH_POLL_SECONDS", 1.0),
        "dispatch_delay_seconds": _float(env, "DISPATCH_DELAY_SECONDS", 0.0),
        "dispatch_lease_seconds": _float(env, "DISPATCH_LEASE_SECONDS", 10.0),
        "vapid_private_key": env.get("VAPID_PRIVATE_KEY") or None,
        "vapid_subject": env.get("VAPID_SUBJECT") or None,
        "push_ttl_seconds": _int(env, "PUSH_TTL_SECONDS", 86400),
        "push_backoff_seconds": _float(env, "PUSH_BACKOFF_SECONDS", 1.0),
        "push_max_attempts": _int(env, "PUSH_MAX_ATTEMPTS", 5),
    }
    if values["dispatch_poll_seconds"] <= 0 or values["dispatch_lease_seconds"] <= 0:  # type: ignore[operator]
        raise SettingsError("DISPATCH_POLL_SECONDS and DISPATCH_LEASE_SECONDS must be positive")
    if values["push_max_attempts"] < 1 or values["push_backoff_seconds"] <= 0:  # type: ignore[operator]
        raise SettingsError("PUSH_MAX_ATTEMPTS and PUSH_BACKOFF_SECONDS must be positive")
    return values
