"""Fixtures: a real hub process on the backend under test, and a GraphQL client for it."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import BACKEND, Database, GraphQLClient, HubProcess, new_database, postgres_available

_phones = itertools.count(random.randrange(1_000_000, 8_000_000))


def pytest_report_header(config: pytest.Config) -> str:
    return f"citizen hub tests on {BACKEND}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if BACKEND == "postgresql" and (reason := postgres_available()):
        skip = pytest.mark.skip(reason=f"TEST_DATABASE=postgresql but {reason}")
        for item in items:
            item.add_marker(skip)


def unique_phone() -> str:
    """A valid, unused Viettel-style mobile number (098xxxxxxx)."""
    return f"098{next(_phones):07d}"


STRONG_PASSWORD = "Hoa sen nở giữa hè 2026"


def start_hub(tmp: Path, env: dict[str, str] | None = None, *, demo: bool = True) -> HubProcess:
    database = new_database(tmp)
    process = HubProcess(data_dir=tmp / "data", database=database, env=dict(env or {}))
    # Debug header X-SQL-Statements on every response: tests prove lists cost no statement per row with it.
    process.env.setdefault("SQL_STATEMENT_COUNT_HEADER", "true")
    if not demo:
        process.env.setdefault("LOAD_DEMO_DATA", "false")
    elif database.backend != "sqlite":
        process.run_cli("seed", "--demo", check=True)  # serve loads demo data only into the embedded DB
    return process.start()


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    # Every test talks to this hub from 127.0.0.1: one anonymous rate-limit bucket for the whole suite.
    # A bucket that never runs dry keeps tests independent; tests/test_limits.py tests the limiter itself.
    process = start_hub(tmp_path_factory.mktemp("hub"), {"RATE_LIMIT_BUCKET_SIZE": "100000000"})
    yield process
    process.stop()
    process.database.drop()


@pytest.fixture(scope="session")
def gql(hub: HubProcess) -> Iterator[GraphQLClient]:
    client = GraphQLClient(hub.url)
    yield client
    client.close()


@pytest.fixture
def new_hub(tmp_path: Path) -> Iterator[Callable[..., HubProcess]]:
    """Start extra hubs (own database and DATA_DIR) for tests that change settings or restart."""
    started: list[HubProcess] = []

    def make(env: dict[str, str] | None = None, *, demo: bool = True, name: str | None = None) -> HubProcess:
        process = start_hub(tmp_path / (name or f"hub{len(started)}"), env, demo=demo)
        started.append(process)
        return process

    yield make
    for process in started:
        process.stop()
        process.database.drop()


@pytest.fixture
def fresh_db(tmp_path: Path) -> Iterator[Database]:
    database = new_database(tmp_path)
    yield database
    database.drop()


REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    accessToken accessTokenExpiresAt refreshToken
    account { id phone fullName role nationalIdMasked nationalIdVerified language }
    errors { field message code }
  }
}
"""


def register(gql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    """Register a resident (unique phone unless given); returns the payload, asserting success."""
    data = {"phone": unique_phone(), "password": STRONG_PASSWORD, "fullName": "Trần Thị Bình", **fields}
    payload = gql(REGISTER, {"input": data})["register"]
    assert payload["errors"] == [], payload["errors"]
    return payload


@pytest.fixture(scope="session")
def records(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The records tests' hub (LGSP webhook secret, national identity from a local OIDC issuer) and issuer."""
    from tests.records_helpers import records_hub

    with records_hub(tmp_path_factory.mktemp("records")) as started:
        yield started
