"""Access tokens: only the hub's algorithm and keys are trusted; key rotation keeps old tokens valid."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import register
from tests.support import GraphQLClient, HubProcess

VIEWER = "{ viewer { account { id } } }"


def hub_private_key(hub: HubProcess) -> tuple[str, ec.EllipticCurvePrivateKey]:
    keys_dir = Path(hub.data_dir) / "keys"
    manifest = json.loads((keys_dir / "keys.json").read_text())["keys"]
    active = [k for k in manifest if not k["retiredAt"]][-1]
    key = serialization.load_pem_private_key((keys_dir / active["file"]).read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return active["kid"], key


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def assert_unauthenticated(gql: GraphQLClient, token: str) -> None:
    response = gql.post(VIEWER, token=token)
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["data"] is None


def test_access_token_has_the_required_claims(hub: HubProcess, gql: GraphQLClient) -> None:
    token = register(gql)["accessToken"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256" and header["typ"] == "at+jwt" and header["kid"]
    claims = claims_of(token)
    assert claims["iss"] == hub.url and claims["aud"] == "citizen-hub" and claims["sub"]
    assert 0 < claims["exp"] - claims["iat"] <= 15 * 60


def test_token_verifies_against_the_published_jwks(hub: HubProcess, gql: GraphQLClient) -> None:
    token = register(gql)["accessToken"]
    jwks = httpx.get(f"{hub.url}/.well-known/jwks.json").json()
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(token, key.key, algorithms=["ES256"], audience="citizen-hub", issuer=hub.url)
    assert claims["sub"]


def test_alg_none_is_refused(gql: GraphQLClient) -> None:
    claims = claims_of(register(gql)["accessToken"])
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "at+jwt"}).encode()).rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    assert_unauthenticated(gql, f"{header.decode()}.{body.decode()}.")


def test_hs256_signed_with_the_public_key_is_refused(hub: HubProcess, gql: GraphQLClient) -> None:
    token = register(gql)["accessToken"]
    kid, key = hub_private_key(hub)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "at+jwt", "kid": kid}
    payload = json.dumps(claims_of(token)).encode()
    # PyJWT refuses to HMAC with a PEM key, which is the point; forge by hand as an attacker would.
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps(header).encode())}.{b64(payload)}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert_unauthenticated(gql, f"{signing_input}.{b64(signature)}")


@pytest.mark.parametrize(
    "change",
    [
        {"iss": "https://evil.example"},
        {"aud": "another-service"},
        {"exp": int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())},
    ],
    ids=["wrong-iss", "wrong-aud", "expired"],
)
def test_properly_signed_but_wrong_claims_are_refused(
    hub: HubProcess, gql: GraphQLClient, change: dict
) -> None:
    kid, key = hub_private_key(hub)
    claims = {**claims_of(register(gql)["accessToken"]), **change}
    token = jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid, "typ": "at+jwt"})
    assert_unauthenticated(gql, token)


def test_a_token_signed_by_another_key_is_refused(hub: HubProcess, gql: GraphQLClient) -> None:
    kid, _ = hub_private_key(hub)
    other = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(
        claims_of(register(gql)["accessToken"]),
        other,
        algorithm="ES256",
        headers={"kid": kid, "typ": "at+jwt"},
    )
    assert_unauthenticated(gql, token)


def test_a_tampered_token_is_refused(gql: GraphQLClient) -> None:
    token = register(gql)["accessToken"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "ADMIN"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert_unauthenticated(gql, f"{header}.{forged}.{signature}")


@pytest.mark.parametrize(
    "token", ["garbage", "a.b.c", "e30.e30.e30"], ids=["garbage", "three-parts", "empty-json"]
)
def test_malformed_tokens_are_refused(gql: GraphQLClient, token: str) -> None:
    assert_unauthenticated(gql, token)


def test_a_non_bearer_authorization_header_is_refused(hub: HubProcess) -> None:
    response = httpx.post(
        f"{hub.url}/graphql", json={"query": VIEWER}, headers={"Authorization": "Basic YTpi"}
    )
    assert response.status_code == 401


def test_a_valid_token_reads_the_viewer(gql: GraphQLClient) -> None:
    payload = register(gql)
    assert gql(VIEWER, token=payload["accessToken"])["viewer"]["account"]["id"] == payload["account"]["id"]


def test_rotate_keys_keeps_old_tokens_valid_until_they_expire(new_hub) -> None:
    hub = new_hub({"ACCESS_TOKEN_SECONDS": "6"}, demo=False)
    gql = GraphQLClient(hub.url)
    old = register(gql)
    old_kid = jwt.get_unverified_header(old["accessToken"])["kid"]

    done = hub.run_cli("rotate-keys", check=True)
    assert "new signing key" in done.stdout
    time.sleep(1.2)  # servers re-read the key manifest at most once a second

    kids = [k["kid"] for k in httpx.get(f"{hub.url}/.well-known/jwks.json").json()["keys"]]
    assert len(kids) == 2 and old_kid in kids
    assert gql(VIEWER, token=old["accessToken"])["viewer"], "a token signed before rotation still works"
    new = register(gql)
    new_kid = jwt.get_unverified_header(new["accessToken"])["kid"]
    assert new_kid != old_kid and new_kid in kids

    time.sleep(6.5)  # the old key's last token has expired
    kids = [k["kid"] for k in httpx.get(f"{hub.url}/.well-known/jwks.json").json()["keys"]]
    assert kids == [new_kid]
    assert_unauthenticated(gql, old["accessToken"])
