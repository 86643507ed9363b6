"""National identity login against a local OpenID Connect issuer (own keys, JWKS on a loopback port)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tests.conftest import register, unique_phone
from tests.oidc_issuer import CLIENT_ID, LocalIssuer
from tests.records_helpers import dossier_code, event, ingest, my_dossiers, national_id
from tests.support import GraphQLClient, HubProcess

LOGIN = """mutation($input: NationalIdentityLoginInput!) { loginWithNationalIdentity(input: $input) {
  accessToken refreshToken account { id phone fullName nationalIdMasked nationalIdVerified }
  errors { field code message } } }"""


@pytest.fixture(scope="module")
def nid_hub(records: tuple[HubProcess, LocalIssuer]) -> HubProcess:
    return records[0]


@pytest.fixture(scope="module")
def issuer(records: tuple[HubProcess, LocalIssuer]) -> LocalIssuer:
    return records[1]


@pytest.fixture(scope="module")
def nid_gql(nid_hub: HubProcess) -> Iterator[GraphQLClient]:
    client = GraphQLClient(nid_hub.url, language="en")
    yield client
    client.close()


def login(gql: GraphQLClient, token: str, nonce: str) -> dict[str, Any]:
    return gql(LOGIN, {"input": {"idToken": token, "nonce": nonce}})["loginWithNationalIdentity"]


def test_first_login_creates_a_verified_account_that_sees_its_earlier_dossiers(
    nid_hub: HubProcess, nid_gql: GraphQLClient, issuer: LocalIssuer
) -> None:
    nid, code, phone = national_id(), dossier_code(), unique_phone()
    ingest(nid_hub.url, [event(code, nid, "RECEIVED", "2026-11-25T08:00:00+07:00")])
    token = issuer.id_token(nonce="n-1", national_id=nid, phone="+84" + phone[1:], sub="vneid-first")
    first = login(nid_gql, token, "n-1")
    assert first["errors"] == [] and first["accessToken"] and first["refreshToken"]
    assert first["account"]["phone"] == phone and first["account"]["fullName"] == "Nguyễn Văn An"
    assert first["account"]["nationalIdVerified"] is True
    assert first["account"]["nationalIdMasked"] == nid[:3] + "******" + nid[-3:]
    assert [e["node"]["code"] for e in my_dossiers(nid_gql, first["accessToken"])["edges"]] == [code]
    # Again, with another nonce and the cccd claim some issuers use: the same account.
    again = issuer.id_token(
        nonce="n-2", national_id=None, cccd=nid, phone="+84" + phone[1:], sub="vneid-first"
    )
    assert login(nid_gql, again, "n-2")["account"]["id"] == first["account"]["id"]


def test_login_links_the_account_with_the_same_phone(
    nid_hub: HubProcess, nid_gql: GraphQLClient, issuer: LocalIssuer
) -> None:
    nid, code = national_id(), dossier_code()
    existing = register(nid_gql)
    phone = existing["account"]["phone"]
    ingest(nid_hub.url, [event(code, nid, "PROCESSING", "2026-11-25T08:00:00+07:00")])
    assert my_dossiers(nid_gql, existing["accessToken"])["totalCount"] == 0
    linked = login(nid_gql, issuer.id_token(nonce="n", national_id=nid, phone=phone, algorithm="ES256"), "n")
    assert linked["errors"] == [] and linked["account"]["id"] == existing["account"]["id"]
    assert linked["account"]["nationalIdVerified"] is True
    assert my_dossiers(nid_gql, existing["accessToken"])["totalCount"] == 1


def _forged_hs256(issuer: LocalIssuer, nonce: str) -> str:
    """Algorithm confusion: HS256 with the issuer's public RSA key as the shared secret."""
    kid = issuer.kid("RS256")
    public = (
        issuer.keys[kid][1]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    now = int(time.time())
    claims = {"iss": issuer.url, "aud": CLIENT_ID, "sub": "x", "iat": now, "exp": now + 300, "nonce": nonce}
    claims["national_id"] = national_id()
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "kid": kid}).encode()).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    import hashlib
    import hmac

    signature = hmac.new(public, header + b"." + payload, hashlib.sha256).digest()
    return (header + b"." + payload + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


def _unsigned(issuer: LocalIssuer, nonce: str) -> str:
    now = int(time.time())
    claims = {"iss": issuer.url, "aud": CLIENT_ID, "sub": "x", "iat": now, "exp": now + 300, "nonce": nonce}
    return jwt.encode({**claims, "national_id": national_id()}, None, algorithm="none")  # type: ignore[arg-type]


def test_tokens_that_are_not_the_issuers_for_this_hub_now_are_refused(
    nid_gql: GraphQLClient, issuer: LocalIssuer
) -> None:
    phone, nid = unique_phone(), national_id()
    now = int(time.time())
    unpublished = issuer.add_key("RS256", publish=False)
    bad = {
        "wrong nonce": (issuer.id_token(nonce="other", national_id=nid, phone=phone), "nonce"),
        "expired": (
            issuer.id_token(nonce="n", national_id=nid, phone=phone, exp=now - 600, iat=now - 900),
            "idToken",
        ),
        "issued in the future": (
            issuer.id_token(nonce="n", national_id=nid, phone=phone, iat=now + 900),
            "idToken",
        ),
        "other audience": (
            issuer.id_token(nonce="n", national_id=nid, phone=phone, aud="other-app"),
            "idToken",
        ),
        "other issuer": (
            issuer.id_token(nonce="n", national_id=nid, phone=phone, iss="https://evil"),
            "idToken",
        ),
        "unknown key": (issuer.id_token(nonce="n", national_id=nid, phone=phone, kid=unpublished), "idToken"),
        "HS256 with the public key": (_forged_hs256(issuer, "n"), "idToken"),
        "alg none": (_unsigned(issuer, "n"), "idToken"),
        "garbage": ("not.a.token", "idToken"),
    }
    for reason, (token, field) in bad.items():
        payload = login(nid_gql, token, "n")
        assert payload["accessToken"] is None, reason
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [
            (["input", field], "INVALID_CREDENTIALS")
        ], (
            reason,
            payload["errors"],
        )
    no_id = login(nid_gql, issuer.id_token(nonce="n", national_id=None, phone=phone), "n")
    assert no_id["accessToken"] is None and no_id["errors"][0]["code"] == "INVALID"
    no_phone = login(nid_gql, issuer.id_token(nonce="n", national_id=national_id()), "n")
    assert no_phone["accessToken"] is None and no_phone["errors"][0]["code"] == "REQUIRED"


def test_keys_are_cached_and_fetched_again_for_a_new_kid(nid_gql: GraphQLClient, issuer: LocalIssuer) -> None:
    token = issuer.id_token(nonce="n", national_id=national_id(), phone=unique_phone(), algorithm="EdDSA")
    assert login(nid_gql, token, "n")["errors"] == []
    before = issuer.jwks_requests
    for _ in range(3):
        token = issuer.id_token(nonce="n", national_id=national_id(), phone=unique_phone())
        assert login(nid_gql, token, "n")["errors"] == []
    assert issuer.jwks_requests == before  # served from the cache
    # The issuer rotates: a token with the new kid makes the hub fetch the keys again, once.
    rotated = issuer.add_key("ES256")
    time.sleep(2.1)  # the hub refetches at most every 2 s, so made-up kids cannot flood the issuer
    token = issuer.id_token(
        nonce="n", national_id=national_id(), phone=unique_phone(), algorithm="ES256", kid=rotated
    )
    assert login(nid_gql, token, "n")["errors"] == []
    assert issuer.jwks_requests == before + 1


def test_without_settings_national_identity_login_is_off(gql: GraphQLClient) -> None:
    payload = gql(LOGIN, {"input": {"idToken": "x.y.z", "nonce": "n"}})["loginWithNationalIdentity"]
    assert payload["accessToken"] is None and payload["errors"][0]["code"] == "FORBIDDEN"
