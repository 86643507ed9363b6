"""Sign-in throttling holds across several server processes: in the database, or in Redis when set."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import STRONG_PASSWORD, register
from tests.support import REDIS_URL, GraphQLClient, HubProcess, redis_available

LOGIN = """
mutation($input: LoginInput!) { login(input: $input) { accessToken errors { code field } } }
"""


def attempt(client: GraphQLClient, phone: str, password: str) -> list[str]:
    payload = client(LOGIN, {"input": {"phone": phone, "password": password}})["login"]
    return [e["code"] for e in payload["errors"]]


def two_processes(new_hub, env: dict[str, str]) -> tuple[HubProcess, HubProcess]:
    first = new_hub(env, demo=False)
    second = HubProcess(data_dir=first.data_dir, database=first.database, env=dict(first.env)).start()
    return first, second


def _lock_through_both(first: HubProcess, second: HubProcess) -> None:
    a, b = GraphQLClient(first.url), GraphQLClient(second.url)
    phone = register(a)["account"]["phone"]
    for client in (a, b, a, b, a):
        assert attempt(client, phone, "Không phải mật khẩu 7") == ["INVALID_CREDENTIALS"]
    # Five failures spread over two processes: both now refuse the right password.
    assert attempt(b, phone, STRONG_PASSWORD) == ["RATE_LIMITED"]
    assert attempt(a, phone, STRONG_PASSWORD) == ["RATE_LIMITED"]


def test_processes_sharing_the_database_agree(new_hub) -> None:
    first, second = two_processes(new_hub, {})
    try:
        _lock_through_both(first, second)
    finally:
        second.stop()


def test_processes_sharing_only_redis_agree(new_hub) -> None:
    """Two hubs with separate databases but one Redis: only Redis carries the count from one to the other."""
    if reason := redis_available():
        pytest.skip(reason)
    env = {"REDIS_URL": REDIS_URL, "REDIS_PREFIX": f"test-{uuid.uuid4().hex}"}
    first, second = new_hub(env, demo=False), new_hub(env, demo=False)
    _lock_through_both(first, second)
    assert GraphQLClient(first.url).http.get("/readyz").json()["checks"]["redis"] == "ok"
