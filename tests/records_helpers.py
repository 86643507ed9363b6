"""Helpers for the records tests: post dossier events signed as the LGSP platform signs them."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import STRONG_PASSWORD, register, start_hub, unique_phone
from tests.oidc_issuer import LocalIssuer
from tests.support import GraphQLClient, HubProcess

LGSP_SECRET = "lgsp-shared-secret-for-tests"
WEBHOOK = "/integrations/lgsp/dossier-events"
KNOWN_PROCEDURE = "1.001193"  # Đăng ký khai sinh, in the demo catalogue
KNOWN_AGENCY = "UBND-VUNGTAU"

_ids = itertools.count(random.randrange(10**8, 9 * 10**8))
_national = itertools.count(random.randrange(10**7, 9 * 10**7))


def national_id() -> str:
    return f"0791{next(_national):08d}"


def new_event_id() -> str:
    return f"lgsp-{next(_ids)}"


def dossier_code() -> str:
    return f"000.00.12.H03-261125-{next(_ids)}"


def event(code: str, nid: str, status: str, occurred: str, **extra: Any) -> dict[str, Any]:
    body = {
        "eventId": new_event_id(),
        "dossierCode": code,
        "citizenNationalId": nid,
        "procedureCode": KNOWN_PROCEDURE,
        "agencyCode": KNOWN_AGENCY,
        "status": status,
        "occurredAt": occurred,
        "receivedAt": "2026-11-25T08:00:00+07:00",
        "dueAt": "2026-12-02T17:00:00+07:00",
    }
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}


def sign(body: bytes, secret: str = LGSP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_events(
    url: str, events: list[dict[str, Any]], *, secret: str = LGSP_SECRET, client: httpx.Client | None = None
) -> httpx.Response:
    body = json.dumps({"events": events}, ensure_ascii=False).encode()
    headers = {"content-type": "application/json", "x-signature-256": sign(body, secret)}
    if client is not None:
        return client.post(url + WEBHOOK, content=body, headers=headers)
    return httpx.post(url + WEBHOOK, content=body, headers=headers, timeout=60)


def ingest(url: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    response = post_events(url, events)
    assert response.status_code == 200, response.text
    return response.json()


NID_LOGIN = """mutation($input: NationalIdentityLoginInput!) { loginWithNationalIdentity(input: $input) {
  accessToken account { id phone } errors { field code message } } }"""


def verified_citizen(
    hub: HubProcess, gql: GraphQLClient, nid: str, issuer: LocalIssuer | None = None
) -> dict[str, Any]:
    """A resident whose national ID is verified; returns {"accessToken", "account": {"id", "phone"}}.

    With a local issuer the resident signs in with the national identity (fast); without, the national ID
    is verified at "an agency's counter" (the command line).
    """
    if issuer is None:
        payload = register(gql, nationalId=nid)
        hub.run_cli("verify-identity", "--phone", payload["account"]["phone"], check=True)
        return payload
    nonce = new_event_id()
    token = issuer.id_token(nonce=nonce, national_id=nid, phone=unique_phone())
    payload = gql(NID_LOGIN, {"input": {"idToken": token, "nonce": nonce}})["loginWithNationalIdentity"]
    assert payload["errors"] == [], payload["errors"]
    return payload


@contextlib.contextmanager
def records_hub(tmp: Path) -> Iterator[tuple[HubProcess, LocalIssuer]]:
    """A hub that takes LGSP events and national identity logins from a local issuer."""
    issuer = LocalIssuer()
    env = {
        "LGSP_WEBHOOK_SECRET": LGSP_SECRET,
        "RATE_LIMIT_BUCKET_SIZE": "100000000",
        "RECORDS_SWEEP_SECONDS": "0.5",
        **issuer.hub_env,
    }
    process = start_hub(tmp, env)
    try:
        yield process, issuer
    finally:
        process.stop()
        process.database.drop()
        issuer.close()


def staff(hub: HubProcess, gql: GraphQLClient, phone: str, role: str = "admin") -> str:
    """An access token for a new admin (or cadre) created on the command line."""
    args = ["create-user", "--phone", phone, "--password", STRONG_PASSWORD, "--name", "Lê Văn Quản"]
    args += ["--role", role]
    if role == "cadre":
        args += ["--agency", KNOWN_AGENCY]
    hub.run_cli(*args, check=True)
    login = gql(
        "mutation($i: LoginInput!) { login(input: $i) { accessToken errors { message } } }",
        {"i": {"phone": phone, "password": STRONG_PASSWORD}},
    )["login"]
    assert login["accessToken"], login
    return login["accessToken"]


DOSSIERS = """query($status: [DossierStatus!], $first: Int, $after: String) { viewer {
  dossiers(status: $status, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
  edges { node { id code status procedureName procedure { code } agency { code } receivedAt dueAt completedAt
  isOverdue history { status note occurredAt } } } } } }"""


def my_dossiers(gql: GraphQLClient, token: str, **variables: Any) -> dict[str, Any]:
    return gql(DOSSIERS, variables, token=token)["viewer"]["dossiers"]
