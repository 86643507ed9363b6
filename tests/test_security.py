"""graphql-cop's twelve checks replayed against the real server, error masking, and the authorization matrix.

Each graphql-cop check names what the tool looks for and asserts the hub handles it as intended: some
are open on purpose (introspection, GraphiQL, GET queries: a public API), the others are refused.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import STRONG_PASSWORD, register, unique_phone
from tests.support import GraphQLClient, HubProcess, _run_in_thread


def codes(response: httpx.Response) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in response.json().get("errors") or []]


def post_json(hub: HubProcess, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(
        f"{hub.url}/graphql",
        content=json.dumps(body),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def registered(gql: GraphQLClient, phone: str) -> bool:
    """Whether an account with this phone exists: logging in with the password tells."""
    payload = gql(
        "mutation($i: LoginInput!) { login(input: $i) { accessToken errors { code } } }",
        {"i": {"phone": phone, "password": STRONG_PASSWORD}},
    )["login"]
    return payload["accessToken"] is not None


def register_mutation(phone: str) -> str:
    return (
        f'mutation {{ register(input: {{phone: "{phone}", password: "{STRONG_PASSWORD}", '
        'fullName: "Kẻ Giả Mạo"}) { accessToken } }'
    )


# ------------------------------------------------------------------ graphql-cop, check by check


def test_cop_field_suggestions_are_off(hub: HubProcess) -> None:
    body = post_json(hub, {"query": "{ viewr }"}).json()
    assert body["errors"] and "Did you mean" not in body["errors"][0]["message"]


def test_cop_introspection_is_on_by_design_and_priced(hub: HubProcess) -> None:
    body = post_json(hub, {"query": "query cop { __schema { types { name } } }"}).json()
    assert any(t["name"] == "Query" for t in body["data"]["__schema"]["types"])
    assert body["extensions"]["cost"]["actualQueryCost"] > 0


def test_the_standard_introspection_query_runs(hub: HubProcess) -> None:
    """GraphiQL and client generators send this query (7 levels of ofType): the limits must let it through."""
    from graphql import get_introspection_query

    body = post_json(hub, {"query": get_introspection_query(descriptions=True)}).json()
    assert "errors" not in body, body.get("errors")
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


def test_cop_graphiql_is_served_by_design_under_a_csp(hub: HubProcess) -> None:
    page = httpx.get(f"{hub.url}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_cop_get_runs_queries_by_design(hub: HubProcess) -> None:
    got = httpx.get(
        f"{hub.url}/graphql",
        params={"query": "query cop { __typename }"},
        headers={"Accept": "application/json"},
    )
    assert got.status_code == 200 and got.json()["data"] == {"__typename": "Query"}


def test_cop_alias_overloading_with_101_aliases_is_refused(hub: HubProcess) -> None:
    query = "query cop { " + " ".join(f"alias{i}:__typename" for i in range(101)) + " }"
    refused = post_json(hub, {"query": query})
    assert refused.json()["data"] is None and codes(refused) == ["MAX_ALIASES_EXCEEDED"]


def test_cop_a_batch_of_10_queries_is_refused(hub: HubProcess) -> None:
    refused = post_json(hub, [{"query": "query cop { __typename }"}] * 10)
    assert refused.status_code == 400
    assert "Batching is off" in refused.json()["errors"][0]["message"]


def test_cop_trace_mode_leaks_nothing(hub: HubProcess) -> None:
    body = post_json(hub, {"query": "query cop { __typename }"}).json()
    assert set(body.get("extensions", {})) == {"cost"}  # no tracing, no timings, no stack
    error = post_json(hub, {"query": "query cop { nope }"}).json()["errors"][0]
    assert "tracing" not in error.get("extensions", {}) and "exception" not in error.get("extensions", {})


def test_cop_directive_overloading_gets_one_error(hub: HubProcess) -> None:
    # graphql-cop counts the errors: ten or more means each directive was processed.
    refused = post_json(hub, {"query": "query cop { __typename " + "@aa" * 10 + " }"})
    assert codes(refused) == ["MAX_DIRECTIVES_EXCEEDED"]


def test_cop_circular_introspection_is_refused_by_depth(hub: HubProcess) -> None:
    query = (
        "query cop { __schema { types { fields { type { fields { type { fields { type { fields "
        "{ type { name } } } } } } } } } } }"
    )
    refused = post_json(hub, {"query": query})
    assert refused.json()["data"] is None and codes(refused) == ["MAX_DEPTH_EXCEEDED"]


def test_cop_get_based_mutation_is_refused(hub: HubProcess, gql: GraphQLClient) -> None:
    phone = unique_phone()
    refused = httpx.get(
        f"{hub.url}/graphql",
        params={"query": register_mutation(phone)},
        headers={"Accept": "application/json"},
    )
    assert (
        refused.status_code == 400 and "mutations are not allowed" in refused.json()["errors"][0]["message"]
    )
    assert not registered(gql, phone)


@pytest.mark.parametrize(
    ("content_type", "encode"),
    [
        ("application/x-www-form-urlencoded", lambda q: "query=" + q),
        ("text/plain", lambda q: json.dumps({"query": q})),
    ],
)
def test_cop_post_csrf_with_a_simple_content_type_does_not_run(
    hub: HubProcess, gql: GraphQLClient, content_type: str, encode: Callable[[str], str]
) -> None:
    phone = unique_phone()
    refused = httpx.post(
        f"{hub.url}/graphql", content=encode(register_mutation(phone)), headers={"Content-Type": content_type}
    )
    assert refused.status_code == 415 and codes(refused) == ["UNSUPPORTED_MEDIA_TYPE"]
    assert not registered(gql, phone)


def test_cop_multipart_needs_the_preflight_header(hub: HubProcess, gql: GraphQLClient) -> None:
    phone = unique_phone()
    form = {"operations": json.dumps({"query": register_mutation(phone)}), "map": "{}"}
    refused = httpx.post(f"{hub.url}/graphql", files={"x": ("x.txt", b"x")}, data=form)
    assert (
        refused.status_code == 400 and "GraphQL-Require-Preflight" in refused.json()["errors"][0]["message"]
    )
    assert not registered(gql, phone)
    allowed = httpx.post(
        f"{hub.url}/graphql",
        files={"x": ("x.txt", b"x")},
        data={"operations": json.dumps({"query": "{ __typename }"}), "map": "{}"},
        headers={"GraphQL-Require-Preflight": "1"},
    )
    assert allowed.status_code == 200 and allowed.json()["data"] == {"__typename": "Query"}


def test_cop_unhandled_errors_show_no_internals(hub: HubProcess) -> None:
    for query in ("query cop { __typename {}", "qwerty cop { abc }"):
        body = post_json(hub, {"query": query}).json()
        text = json.dumps(body)
        assert body["errors"] and "Traceback" not in text and "exception" not in text.lower()


# ------------------------------------------------------------------ masking of unexpected errors


def drop_table(hub: HubProcess, table: str) -> None:
    if hub.database.backend == "sqlite":
        with sqlite3.connect(hub.database.url.split("///", 1)[1]) as conn:
            conn.execute("PRAGMA foreign_keys = OFF")
            conn.execute(f"DROP TABLE {table}")
        return

    async def run() -> None:
        import asyncpg

        conn = await asyncpg.connect(hub.database.url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute(f"DROP TABLE {table} CASCADE")
        finally:
            await conn.close()

    _run_in_thread(run)


def test_an_unexpected_error_is_masked_with_an_id_the_log_names(new_hub) -> None:
    hub = new_hub(demo=False)
    # Make the database fail for real under the running hub: the accounts table disappears.
    drop_table(hub, "accounts")
    failed = post_json(
        hub, {"query": 'mutation { login(input: {phone: "0912345678", password: "x"}) { errors { code } } }'}
    )
    error = failed.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    error_id = error["extensions"]["errorId"]
    assert error_id in error["message"]
    text = json.dumps(failed.json()).lower()
    assert (
        "traceback" not in text
        and "sqlalchemy" not in text
        and "sqlite" not in text
        and "asyncpg" not in text
    )
    assert hub.log_path is not None
    lines = hub.log_path.read_text().splitlines()  # all of it: a traceback line is long
    logged = [json.loads(line) for line in lines if error_id in line and line.startswith("{")]
    assert logged and "Traceback" in logged[0]["exception"]
    # Deliberate errors are not masked meanwhile: the client's mistakes keep their message and code.
    invalid = post_json(hub, {"query": "{ viewr }"}).json()["errors"][0]
    assert invalid["message"].startswith("Cannot query field") and "errorId" not in invalid.get(
        "extensions", {}
    )
    bad_token = httpx.post(
        f"{hub.url}/graphql",
        json={"query": "{ viewer { account { id } } }"},
        headers={"Authorization": "Bearer nope"},
    )
    assert bad_token.status_code == 401 and codes(bad_token) == ["UNAUTHENTICATED"]


# ------------------------------------------------------------------ authorization matrix

ACCOUNT = "query($id: ID!) { node(id: $id) { ... on Account { id phone fullName } } }"
VIEWER = "{ viewer { account { id phone } } }"


@dataclass
class Actor:
    name: str
    token: str | None
    account_id: str | None


@pytest.fixture(scope="module")
def actors(hub: HubProcess, gql: GraphQLClient) -> dict[str, Actor]:
    found = {"anonymous": Actor("anonymous", None, None)}
    for name in ("resident_a", "resident_b"):
        payload = register(gql)
        found[name] = Actor(name, payload["accessToken"], payload["account"]["id"])
    for name, role, agency in (("cadre", "cadre", "SXD"), ("admin", "admin", None)):
        phone = unique_phone()
        args = [
            "create-user",
            "--phone",
            phone,
            "--password",
            STRONG_PASSWORD,
            "--name",
            f"Test {name}",
            "--role",
            role,
        ]
        hub.run_cli(*args, *(["--agency", agency] if agency else []), check=True)
        login = gql(
            "mutation($i: LoginInput!) { login(input: $i) { accessToken account { id } } }",
            {"i": {"phone": phone, "password": STRONG_PASSWORD}},
        )["login"]
        found[name] = Actor(name, login["accessToken"], login["account"]["id"])
    return found


@dataclass(frozen=True)
class Case:
    """One read or change of personal data, and what each actor must get: "own"/"a" (whose data is
    returned), None (null), or an error code."""

    name: str
    query: str
    variables: Callable[[dict[str, Actor]], dict[str, Any]]
    pick: Callable[[dict[str, Any]], str | None]
    expected: dict[str, str | None]


CASES = [
    Case(
        "viewer",
        VIEWER,
        lambda a: {},
        lambda d: d["viewer"] and d["viewer"]["account"]["id"],
        {"anonymous": None, "resident_a": "own", "resident_b": "own", "cadre": "own", "admin": "own"},
    ),
    Case(
        "node(Account of A)",
        ACCOUNT,
        lambda a: {"id": a["resident_a"].account_id},
        lambda d: d["node"] and d["node"]["id"],
        {
            "anonymous": "UNAUTHENTICATED",
            "resident_a": "a",
            "resident_b": "FORBIDDEN",
            "cadre": "FORBIDDEN",
            "admin": "a",
        },
    ),
    # Feedback and dossier rows join here as those features land: one Case each.
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("actor_name", ["anonymous", "resident_a", "resident_b", "cadre", "admin"])
def test_authorization_matrix(
    gql: GraphQLClient, actors: dict[str, Actor], case: Case, actor_name: str
) -> None:
    actor = actors[actor_name]
    response = gql.post(case.query, case.variables(actors), token=actor.token)
    body = response.json()
    expected = case.expected[actor_name]
    if expected is None:
        assert not body.get("errors") and case.pick(body["data"]) is None, body
    elif expected in ("own", "a"):
        owner = actor if expected == "own" else actors["resident_a"]
        assert not body.get("errors"), body
        assert case.pick(body["data"]) == owner.account_id
    else:
        assert codes(response) == [expected], body
        assert "phone" not in json.dumps(body.get("data") or {})
