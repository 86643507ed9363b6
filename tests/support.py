"""Test support: fresh databases on the backend under test, and real hub server processes.

The backend comes from TEST_DATABASE (sqlite, the default, or postgresql). PostgreSQL is reached at
TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test); every server or test that
asks for a database gets a new one, dropped afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BACKEND = os.environ.get("TEST_DATABASE", "sqlite").lower()
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def postgres_available() -> str | None:
    """None when PostgreSQL answers; else the reason it cannot be used."""
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        return "asyncpg is not installed"
    host, port = _pg_host_port()
    try:
        with socket.create_connection((host, port), timeout=2):
            return None
    except OSError as exc:
        return f"PostgreSQL does not answer at {host}:{port} ({exc})"


def redis_available() -> str | None:
    rest = REDIS_URL.split("//", 1)[1].split("/", 1)[0]
    host, _, port = rest.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port or 6379)), timeout=2):
            return None
    except OSError as exc:
        return f"Redis does not answer at {REDIS_URL} ({exc})"


def _pg_host_port() -> tuple[str, int]:
    rest = POSTGRES_URL.split("@", 1)[-1].split("/", 1)[0]
    host, _, port = rest.partition(":")
    return host or "127.0.0.1", int(port or 5432)


def _pg_admin(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(POSTGRES_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    # A thread of its own: callers may be inside pytest-asyncio's running loop.
    _run_in_thread(run)


def _run_in_thread(coro_fn: Any) -> None:
    import asyncio
    import threading

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro_fn())
        except BaseException as exc:  # re-raised in the caller
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@dataclass
class Database:
    """A fresh, empty database on the backend under test."""

    url: str
    backend: str
    name: str

    def drop(self) -> None:
        if self.backend == "postgresql":
            _pg_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def new_database(tmp_path: Path, backend: str = BACKEND) -> Database:
    if backend == "postgresql":
        reason = postgres_available()
        if reason:
            raise RuntimeError(reason)
        name = f"hub_test_{uuid.uuid4().hex[:12]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        base = POSTGRES_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        return Database(f"{base}/{name}", backend, name)
    path = tmp_path / f"hub-{uuid.uuid4().hex[:8]}.sqlite3"
    return Database(f"sqlite+aiosqlite:///{path}", "sqlite", path.name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hub_command() -> list[str]:
    exe = Path(sys.executable).parent / "citizen-hub"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "server.cli"]


@dataclass
class HubProcess:
    """A real `citizen-hub serve` on a loopback port."""

    data_dir: Path
    database: Database
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def full_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "LGSP_"))}
        env.update(
            {
                "DATA_DIR": str(self.data_dir),
                "DATABASE_URL": self.database.url,
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.port}",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.env)
        return env

    def run_cli(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*hub_command(), *args],
            env=self.full_env(),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"citizen-hub {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def start(self, timeout: float = 60) -> HubProcess:
        if not self.port:
            self.port = free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / f"serve-{self.port}.log"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [*hub_command(), "serve", "--port", str(self.port)],
            env=self.full_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hub exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"hub did not start within {timeout}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def log(self) -> str:
        return (
            self.log_path.read_text(errors="replace")[-5000:]
            if self.log_path and self.log_path.exists()
            else ""
        )


class GraphQLClient:
    """A thin real HTTP client for /graphql."""

    def __init__(self, base_url: str, *, language: str | None = None) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.language = language

    def post(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if self.language:
            sent.setdefault("Accept-Language", self.language)
        return self.http.post(
            "/graphql", json={"query": query, "variables": dict(variables or {})}, headers=sent
        )

    def __call__(
        self, query: str, variables: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """The `data` of a successful response; fails the test on HTTP or GraphQL errors."""
        response = self.post(query, variables, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def close(self) -> None:
        self.http.close()


def query_db(url: str, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """Rows of one SQL statement against a hub's database, read directly (to check what was stored)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    rows: list[tuple[Any, ...]] = []

    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                result = await conn.execute(text(sql), dict(params or {}))
                rows.extend(tuple(row) for row in result.all())
        finally:
            await engine.dispose()

    _run_in_thread(run)
    return rows
