"""The HTTP surface beside GraphQL: health, readiness, JWKS, GraphiQL, headers, request log."""

from __future__ import annotations

import json
import os

import httpx

from tests.support import HubProcess


def test_healthz_answers_ok(hub: HubProcess) -> None:
    response = httpx.get(f"{hub.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ok_while_the_database_answers(hub: HubProcess) -> None:
    response = httpx.get(f"{hub.url}/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_readyz_is_503_when_the_database_does_not_answer(new_hub) -> None:
    process = new_hub(demo=False)
    assert httpx.get(f"{process.url}/readyz").status_code == 200
    if process.database.backend == "sqlite":
        # The database file goes away under the running hub (a directory stands in its place).
        path = process.database.url.split("///", 1)[1]
        os.replace(path, path + ".gone")
        for suffix in ("-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        os.mkdir(path)
    else:
        process.database.drop()
    response = httpx.get(f"{process.url}/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"].startswith("error")
    assert httpx.get(f"{process.url}/healthz").status_code == 200


def test_jwks_publishes_an_asymmetric_key_with_kid(hub: HubProcess) -> None:
    keys = httpx.get(f"{hub.url}/.well-known/jwks.json").json()["keys"]
    assert keys and all(k["kid"] and k["kty"] == "EC" and k["alg"] == "ES256" for k in keys)
    assert all("d" not in k for k in keys), "private key material must never be published"


def test_graphql_get_in_a_browser_opens_graphiql_with_a_csp(hub: HubProcess) -> None:
    response = httpx.get(f"{hub.url}/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
    csp = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp


def test_every_response_carries_security_headers_and_a_request_id(hub: HubProcess) -> None:
    response = httpx.get(f"{hub.url}/healthz", headers={"X-Request-ID": "trace-12345678"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"]
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-request-id"] == "trace-12345678"


def test_one_structured_log_line_per_request(hub: HubProcess) -> None:
    response = httpx.get(f"{hub.url}/healthz", headers={"X-Request-ID": "logline-abcdef12"})
    assert response.status_code == 200
    lines = [json.loads(line) for line in hub.log().splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("request_id") == "logline-abcdef12"]
    assert len(mine) == 1
    assert mine[0]["path"] == "/healthz" and mine[0]["status"] == 200 and "duration_ms" in mine[0]
