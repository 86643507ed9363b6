"""Engine, session factory and the declarative Base shared by every domain's models."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from server.config import Settings

# Stable constraint names: alembic's batch mode on SQLite needs them to alter tables.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp always stored and returned in UTC, also on SQLite (which keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(settings: Settings, *, pool_size: int | None = None) -> AsyncEngine:
    engine = _create_engine(settings, pool_size)
    if settings.sql_statement_count_header:
        count_statements(engine)
    return engine


def _create_engine(settings: Settings, pool_size: int | None) -> AsyncEngine:
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(settings.database_url, connect_args={"timeout": 10})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    size = pool_size or settings.db_pool_size
    return create_async_engine(
        settings.database_url,
        pool_size=size,
        max_overflow=size,
        pool_pre_ping=False,
        # asyncpg's reset on return costs ~15% per request; a rollback is all we need.
        pool_reset_on_return="rollback",
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


# ---------------------------------------------------------------- objects migrations make by hand


# Full-text objects that models cannot declare (SQLite FTS5 tables and their shadow tables, PostgreSQL GIN
# expression indexes). By convention their names contain "_fts" (e.g. `procedures_fts`, `ix_fts_procedures`);
# alembic's autogenerate and the model/migration comparison skip them through this predicate.
def is_hand_made(name: str | None) -> bool:
    return bool(name) and ("_fts" in name or name.startswith("fts_"))  # type: ignore[operator]


def include_in_autogenerate(_obj: Any, name: str | None, _type: str, _reflected: bool, _other: Any) -> bool:
    """alembic `include_object` hook: everything except the hand-made full-text objects."""
    return not is_hand_made(name)


# ---------------------------------------------------------------- SQL statement counting

# The statement counter of the current request, when counting is on (see SqlStatementCounter).
_statement_count: ContextVar[list[int] | None] = ContextVar("sql_statement_count", default=None)


def _count_statement(*_args: Any) -> None:
    box = _statement_count.get()
    if box is not None:
        box[0] += 1


def count_statements(engine: AsyncEngine) -> None:
    """Count every SQL statement the engine sends, per request (see SqlStatementCounter)."""
    event.listen(engine.sync_engine, "before_cursor_execute", _count_statement)


class SqlStatementCounter:
    """ASGI layer that adds `X-SQL-Statements: N` to each HTTP response: statements sent while serving it.

    Debug only (setting SQL_STATEMENT_COUNT_HEADER=true): tests use it to prove that a list costs the same
    number of statements whatever its page size. The count lives in a context variable that SQLAlchemy's
    async layer and strawberry's DataLoader tasks inherit, so concurrent requests do not mix.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        box = [0]
        token = _statement_count.set(box)

        async def send_with_count(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-sql-statements", str(box[0]).encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_count)
        finally:
            _statement_count.reset(token)
