"""GraphQL limits, query cost, the rate limit (memory and Redis), persisted queries and the timeout.

Each limit is tried just under and just over its default (issue 8, part 2); hubs with other settings
show the limits follow the environment.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.support import GraphQLClient, HubProcess, redis_available

REDIS_URL = "redis://127.0.0.1:6379/0"


def post(
    hub: HubProcess, query: str | None, headers: dict[str, str] | None = None, **body: Any
) -> httpx.Response:
    payload: dict[str, Any] = {"query": query} if query is not None else {}
    payload.update(body)
    return httpx.post(f"{hub.url}/graphql", json=payload, headers=headers or {}, timeout=30)


def codes(response: httpx.Response) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in response.json().get("errors") or []]


def nested_type_query(depth: int) -> str:
    """A valid query exactly `depth` fields deep: agencies { unit { parent { parent { … { code } } } } }."""
    inner = "code"
    for _ in range(depth - 3):
        inner = f"parent {{ {inner} }}"
    return f"{{ agencies {{ unit {{ {inner} }} }} }}"


# ------------------------------------------------------------------ each limit, just under and over


@pytest.mark.parametrize(
    ("under", "over", "code"),
    [
        (nested_type_query(10), nested_type_query(11), "MAX_DEPTH_EXCEEDED"),
        (
            "{ " + " ".join(f"a{i}: __typename" for i in range(15)) + " }",
            "{ " + " ".join(f"a{i}: __typename" for i in range(16)) + " }",
            "MAX_ALIASES_EXCEEDED",
        ),
        (
            "{ " + "__typename @include(if: true) " * 8 + "}",
            "{ " + "__typename @include(if: true) " * 9 + "}",
            "MAX_DIRECTIVES_EXCEEDED",
        ),
        # `{` + 222 × 9 tokens + `}` = 2,000 tokens; one field more is 2,001.
        (
            "{ " + '__type(name: "Query") { name } ' * 222 + "}",
            "{ " + '__type(name: "Query") { name } ' * 222 + "__typename }",
            "MAX_TOKENS_EXCEEDED",
        ),
        # 100 spreads of a fragment of 10 fields: 1,000 points (graphql-core's validation recurses too
        # deeply on 1,000 sibling fields, so the fragment keeps the document flat).
        (
            "{ " + "...F " * 100 + "} fragment F on Query { " + "__typename " * 10 + "}",
            "{ __typename " + "...F " * 100 + "} fragment F on Query { " + "__typename " * 10 + "}",
            "QUERY_TOO_COMPLEX",
        ),
    ],
    ids=["depth", "aliases", "directives", "tokens", "cost"],
)
def test_each_limit_admits_its_maximum_and_refuses_one_more(
    hub: HubProcess, under: str, over: str, code: str
):
    ok = post(hub, under)
    assert ok.status_code == 200 and not ok.json().get("errors"), ok.text[:500]
    refused = post(hub, over)
    assert refused.status_code == 200
    body = refused.json()
    assert body["data"] is None
    assert codes(refused) == [code], body["errors"]  # one clear error, not one per offending node


def test_the_page_size_stays_at_most_100(hub: HubProcess, gql: GraphQLClient) -> None:
    names = [f["name"] for f in gql('{ __type(name: "Query") { fields { name } } }')["__type"]["fields"]]
    if "procedures" not in names:
        pytest.skip("no connection with `first` in the schema yet (the catalogue adds procedures)")
    ok = post(hub, "{ procedures(first: 100) { totalCount } }")
    assert not ok.json().get("errors"), ok.text
    refused = post(hub, "{ procedures(first: 101) { totalCount } }")
    assert "at most 100" in refused.json()["errors"][0]["message"]


def test_a_connection_costs_first_times_what_it_selects(hub: HubProcess, gql: GraphQLClient) -> None:
    names = [f["name"] for f in gql('{ __type(name: "Query") { fields { name } } }')["__type"]["fields"]]
    if "procedures" not in names:
        pytest.skip("no connection with `first` in the schema yet (the catalogue adds procedures)")
    query = "query($n: Int) { procedures(first: $n) { edges { node { id } } } }"
    # procedures 1 + n × (edges 1 + node 1 + id 1)
    assert (
        post(hub, query, variables={"n": 5}).json()["extensions"]["cost"]["requestedQueryCost"] == 1 + 5 * 3
    )
    assert post(hub, query, variables={}).json()["extensions"]["cost"]["requestedQueryCost"] == 1 + 20 * 3
    # 1 + 100 × 10 = 1,001 points: refused before anything runs, although 100 is a valid page size.
    heavy = "{ procedures(first: 100) { edges { node { id id id id id id id id } } } }"
    assert codes(post(hub, heavy)) == ["QUERY_TOO_COMPLEX"]


def test_every_response_reports_its_cost_and_mutations_cost_more(hub: HubProcess) -> None:
    query = post(hub, "{ __typename viewer { account { id } } }").json()
    cost = query["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 4 and cost["actualQueryCost"] == 4
    status = cost["throttleStatus"]
    assert set(status) == {"maximumAvailable", "currentlyAvailable", "restoreRate"}
    assert 0 <= status["currentlyAvailable"] <= status["maximumAvailable"]
    mutation = post(hub, 'mutation { logout(input: {refreshToken: "nope"}) { ok } }').json()
    assert mutation["extensions"]["cost"]["requestedQueryCost"] == 10 + 1  # the mutation field, then `ok`
    refused = post(hub, "{ nope }").json()  # refused by validation: parsing it was work, 1 point
    assert refused["extensions"]["cost"] == {**refused["extensions"]["cost"], "actualQueryCost": 1}


def test_introspection_is_open_and_priced(hub: HubProcess) -> None:
    body = post(hub, "{ __schema { queryType { name } types { name } } }").json()
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    assert body["extensions"]["cost"]["actualQueryCost"] == 5  # 5 fields; plain lists are not multiplied


# ------------------------------------------------------------------ the token bucket


def test_a_principal_that_spent_its_bucket_gets_429_with_retry_after(new_hub) -> None:
    hub = new_hub({"RATE_LIMIT_BUCKET_SIZE": "30", "RATE_LIMIT_RESTORE_RATE": "0.1"}, demo=False)
    client = GraphQLClient(hub.url)
    # Registering costs 13 points of the anonymous (client IP) bucket: 17 left.
    token = client(
        "mutation($i: RegisterInput!) { register(input: $i) { accessToken errors { code } } }",
        {
            "i": {
                "phone": f"098{uuid.uuid4().int % 10**7:07d}",
                "password": "Hoa sen nở giữa hè 2026",
                "fullName": "Lê Văn Cường",
            }
        },
    )["register"]["accessToken"]
    five = "{ a: __typename b: __typename c: __typename d: __typename e: __typename }"
    left = [
        post(hub, five).json()["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] for _ in range(3)
    ]
    assert left == [12, 7, 2]
    throttled = post(hub, five)
    assert throttled.status_code == 429
    # 3 points missing at 0.1 point a second: 30 s, less the refill since (a slow machine takes seconds).
    assert 20 <= int(throttled.headers["retry-after"]) <= 30
    body = throttled.json()
    assert body["data"] is None and codes(throttled) == ["THROTTLED"]
    assert body["extensions"]["cost"]["actualQueryCost"] == 0  # refused work is not charged
    # The signed-in resident draws from a bucket of their own.
    mine = post(hub, five, headers={"Authorization": f"Bearer {token}"})
    assert (
        mine.status_code == 200
        and mine.json()["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 25
    )
    client.close()


def test_hubs_sharing_a_redis_share_the_buckets(new_hub) -> None:
    if reason := redis_available():
        pytest.skip(f"needs Redis: {reason}")
    env = {
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}:",  # parallel runs never meet
        "RATE_LIMIT_BUCKET_SIZE": "10",
        "RATE_LIMIT_RESTORE_RATE": "0.1",
    }
    first, second = new_hub(env, demo=False, name="a"), new_hub(env, demo=False, name="b")
    three = "{ a: __typename b: __typename c: __typename }"
    seen = [post(h, three) for h in (first, second, first)]
    assert [r.json()["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] for r in seen] == [7, 4, 1]
    throttled = post(second, three)
    assert throttled.status_code == 429 and codes(throttled) == ["THROTTLED"]


# ------------------------------------------------------------------ persisted queries


def sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def persisted(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def test_automatic_persisted_queries_round_trip(hub: HubProcess) -> None:
    query = f"query Apq{uuid.uuid4().hex} {{ __typename }}"
    digest = sha(query)
    unknown = post(hub, None, extensions=persisted(digest))
    assert unknown.status_code == 200
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"  # what Apollo clients look for
    assert codes(unknown) == ["PERSISTED_QUERY_NOT_FOUND"]
    registered = post(hub, query, extensions=persisted(digest))
    assert registered.json()["data"] == {"__typename": "Query"}
    by_hash = post(hub, None, extensions=persisted(digest))
    assert by_hash.json()["data"] == {"__typename": "Query"}
    # Apollo's GET form of a hashed query (useGETForHashedQueries).
    got = httpx.get(
        f"{hub.url}/graphql",
        params={"extensions": json.dumps(persisted(digest))},
        headers={"Accept": "application/graphql-response+json, application/json;q=0.9"},
    )
    assert got.status_code == 200 and got.json()["data"] == {"__typename": "Query"}
    mismatch = post(hub, "{ __typename }", extensions=persisted(digest))
    assert codes(mismatch) == ["PERSISTED_QUERY_HASH_MISMATCH"]


def test_an_invalid_document_is_not_registered(hub: HubProcess) -> None:
    query = f"query Bad{uuid.uuid4().hex} {{ noSuchField }}"
    assert post(hub, query, extensions=persisted(sha(query))).json()["errors"]
    assert codes(post(hub, None, extensions=persisted(sha(query)))) == ["PERSISTED_QUERY_NOT_FOUND"]


def test_allowlist_mode_runs_only_listed_documents(new_hub, tmp_path) -> None:
    listed = "query PwaHello { __typename }"
    manifest = tmp_path / "persisted-queries.json"
    manifest.write_text(json.dumps({sha(listed): listed}))
    hub = new_hub({"PERSISTED_QUERIES": "allowlist", "PERSISTED_QUERIES_FILE": str(manifest)}, demo=False)
    assert post(hub, None, extensions=persisted(sha(listed))).json()["data"] == {"__typename": "Query"}
    assert post(hub, listed).json()["data"] == {"__typename": "Query"}  # sent in full: still in the list
    for refused in (post(hub, "{ __typename }"), post(hub, None, extensions=persisted(sha("{ x }")))):
        assert refused.json()["data"] is None
        assert codes(refused) == ["PERSISTED_QUERY_NOT_IN_LIST"]
    # A client cannot add to the list the way APQ registers.
    other = "query Other { __typename }"
    assert codes(post(hub, other, extensions=persisted(sha(other)))) == ["PERSISTED_QUERY_NOT_IN_LIST"]


# ------------------------------------------------------------------ timeout


def test_an_operation_running_past_the_timeout_is_stopped(new_hub) -> None:
    # A timeout of a microsecond: whatever waits on the database is stopped at its first wait.
    hub = new_hub({"GRAPHQL_TIMEOUT_SECONDS": "0.000001"}, demo=False)
    started = time.monotonic()
    stopped = post(hub, 'mutation { login(input: {phone: "0912345678", password: "x"}) { errors { code } } }')
    assert codes(stopped) == ["TIMEOUT"] and stopped.json()["data"] is None
    assert time.monotonic() - started < 5
    # The hub goes on serving (the session was released): a query that needs no waiting still runs.
    assert post(hub, "{ __typename }").json()["data"] == {"__typename": "Query"}
