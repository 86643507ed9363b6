"""The migrations build exactly the models, on the backend under test, and can be undone."""

from __future__ import annotations

import subprocess
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from server.db import include_in_autogenerate
from server.migrate import alembic_config
from server.models import Base
from tests.support import Database, HubProcess, _run_in_thread


def _inspect_db(url: str, fn: Any) -> Any:
    from sqlalchemy.ext.asyncio import create_async_engine

    out: list[Any] = []

    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                out.append(await conn.run_sync(fn))
        finally:
            await engine.dispose()

    _run_in_thread(run)
    return out[0]


def _diff(connection: Any) -> list[Any]:
    # The same options as migrations/env.py: full-text objects made by hand are not models.
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": include_in_autogenerate}
    )
    return compare_metadata(context, Base.metadata)


def test_migrate_command_builds_exactly_the_models(fresh_db: Database, tmp_path) -> None:
    hub = HubProcess(data_dir=tmp_path / "data", database=fresh_db)
    done = hub.run_cli("migrate")
    assert done.returncode == 0, done.stderr
    assert _inspect_db(fresh_db.url, _diff) == []
    # Running it again is a no-op.
    assert hub.run_cli("migrate").returncode == 0


def test_migrations_downgrade_to_nothing_and_up_again(fresh_db: Database) -> None:
    config = alembic_config(fresh_db.url)

    def cycle() -> None:
        command.upgrade(config, "head")
        command.downgrade(config, "base")

    # alembic's env.py runs its own event loop: keep it off pytest's.
    _run_in_thread(_as_coroutine(cycle))
    tables = _inspect_db(fresh_db.url, lambda c: inspect(c).get_table_names())
    assert set(tables) <= {"alembic_version"}
    _run_in_thread(_as_coroutine(lambda: command.upgrade(config, "head")))
    assert _inspect_db(fresh_db.url, _diff) == []


def _as_coroutine(fn: Any) -> Any:
    async def run() -> None:
        # alembic's env.py calls asyncio.run itself, which needs a thread without a running loop.
        import asyncio

        await asyncio.get_running_loop().run_in_executor(None, fn)

    return run


def test_serve_migrates_first(fresh_db: Database, tmp_path) -> None:
    hub = HubProcess(data_dir=tmp_path / "data", database=fresh_db, env={"LOAD_DEMO_DATA": "false"})
    hub.start()
    try:
        tables = _inspect_db(fresh_db.url, lambda c: inspect(c).get_table_names())
        assert {"accounts", "refresh_tokens", "administrative_units", "agencies"} <= set(tables)
    finally:
        hub.stop()


def test_migrate_reports_an_unusable_database_url(tmp_path) -> None:
    from tests.support import hub_command

    done = subprocess.run(
        [*hub_command(), "migrate"],
        env={
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": "mysql://nobody@localhost/x",
            "DATA_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "DATABASE_URL" in done.stderr and "Traceback" not in done.stderr
