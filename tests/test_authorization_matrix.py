"""One authorization matrix over the reads and changes of personal data: who gets what.

Actors: anonymous, resident A (author of an anonymous report, owner of a dossier), resident B, a cadre of
the agency the report went to, a cadre of another agency, an admin, and an app acting for A with and
without the scopes. Expectations per actor: OWN (the actor's own data), A (resident A's data), NONE
(null or empty: nothing revealed), SKIP (not meaningful), or an error code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import STRONG_PASSWORD, unique_phone
from tests.feedback_helpers import SUBMIT, categories, feedback_input
from tests.records_helpers import dossier_code, event, ingest, national_id, verified_citizen
from tests.support import GraphQLClient, HubProcess

OWN, A, NONE, SKIP = "OWN", "A", "NONE", "SKIP"
ACTORS = [
    "anonymous",
    "resident_a",
    "resident_b",
    "cadre",
    "cadre_other",
    "admin",
    "app_scoped",
    "app_public",
]
REDIRECT = "http://127.0.0.1:9/cb"


@dataclass
class World:
    tokens: dict[str, str | None]
    account: dict[str, str]  # actor -> Account global id
    phone_a: str
    feedback_id: str
    dossier_id: str
    version: int


def _login(gql: GraphQLClient, phone: str) -> dict[str, Any]:
    return gql(
        "mutation($i: LoginInput!) { login(input: $i) { accessToken account { id } } }",
        {"i": {"phone": phone, "password": STRONG_PASSWORD}},
    )["login"]


def _staff(hub: HubProcess, gql: GraphQLClient, role: str, agency: str | None) -> dict[str, Any]:
    phone = unique_phone()
    args = ["create-user", "--phone", phone, "--password", STRONG_PASSWORD, "--name", f"Cán bộ {role}"]
    hub.run_cli(*args, "--role", role, *(["--agency", agency] if agency else []), check=True)
    return _login(gql, phone)


def _app_token_for(hub: HubProcess, gql: GraphQLClient, resident_token: str, scope: str) -> str:
    out = hub.run_cli(
        "create-app",
        "--name",
        f"App {scope}",
        "--scopes",
        "read:public read:profile read:feedback read:dossiers",
        "--redirect-uri",
        REDIRECT,
        check=True,
    ).stdout
    client_id = re.search(r"client_id=(\S+)", out).group(1)
    secret = re.search(r"client_secret=(\S+)", out).group(1)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    url = gql(
        "mutation($i: AuthorizeAppInput!) { authorizeApp(input: $i) { redirectUrl } }",
        {"i": {"clientId": client_id, "redirectUri": REDIRECT, "codeChallenge": challenge, "scope": scope}},
        token=resident_token,
    )["authorizeApp"]["redirectUrl"]
    code = parse_qs(urlsplit(url).query)["code"][0]
    response = httpx.post(
        f"{hub.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
    )
    return response.json()["access_token"]


@pytest.fixture(scope="module")
def world(records) -> tuple[HubProcess, World]:
    hub, _issuer = records
    gql = GraphQLClient(hub.url)
    nid = national_id()
    a = verified_citizen(hub, gql, nid)
    b = verified_citizen(hub, gql, national_id())
    roads = categories(gql)["ROADS"]["id"]
    feedback = gql(SUBMIT, {"input": feedback_input(roads, anonymous=True)}, token=a["accessToken"])
    feedback = feedback["submitFeedback"]["feedback"]
    assigned = feedback["assignedAgency"]["code"]
    other = "SYT" if assigned != "SYT" else "SGDDT"
    cadre = _staff(hub, gql, "cadre", assigned)
    cadre_other = _staff(hub, gql, "cadre", other)
    admin = _staff(hub, gql, "admin", None)
    ingest(hub.url, [event(dossier_code(), nid, "RECEIVED", "2026-11-25T08:30:00+07:00")])
    dossier = gql("{ viewer { dossiers(first: 1) { edges { node { id } } } } }", token=a["accessToken"])
    tokens = {
        "anonymous": None,
        "resident_a": a["accessToken"],
        "resident_b": b["accessToken"],
        "cadre": cadre["accessToken"],
        "cadre_other": cadre_other["accessToken"],
        "admin": admin["accessToken"],
        "app_scoped": _app_token_for(hub, gql, a["accessToken"], "read:profile read:feedback read:dossiers"),
        "app_public": _app_token_for(hub, gql, a["accessToken"], "read:public"),
    }
    account = {
        "resident_a": a["account"]["id"],
        "resident_b": b["account"]["id"],
        "cadre": cadre["account"]["id"],
        "cadre_other": cadre_other["account"]["id"],
        "admin": admin["account"]["id"],
        "app_scoped": a["account"]["id"],
        "app_public": a["account"]["id"],
    }
    return hub, World(
        tokens,
        account,
        a["account"]["phone"],
        feedback["id"],
        dossier["viewer"]["dossiers"]["edges"][0]["node"]["id"],
        feedback["version"],
    )


@dataclass(frozen=True)
class Case:
    name: str
    query: str
    variables: Callable[[World], dict[str, Any]]
    # What the answer reveals, as the value compared with the expectation (None when nothing).
    pick: Callable[[dict[str, Any], World], Any]
    # The value that means "A's data" / "the actor's own data".
    a_value: Callable[[World, str], Any]
    expected: dict[str, str]


def _row(
    anonymous: str, a: str, b: str, cadre: str, other: str, admin: str, scoped: str, public: str
) -> dict:
    return dict(zip(ACTORS, (anonymous, a, b, cadre, other, admin, scoped, public), strict=True))


FEEDBACK_NODE = "query($id: ID!) { node(id: $id) { ... on Feedback { %s } } }"
CASES = [
    Case(
        "viewer.account",
        "{ viewer { account { id phone } } }",
        lambda w: {},
        lambda d, w: d["viewer"] and d["viewer"]["account"]["id"],
        lambda w, actor: w.account.get(actor),
        _row(NONE, OWN, OWN, OWN, OWN, OWN, OWN, "FORBIDDEN"),
    ),
    Case(
        "node(Account A)",
        "query($id: ID!) { node(id: $id) { ... on Account { id phone } } }",
        lambda w: {"id": w.account["resident_a"]},
        lambda d, w: d["node"] and d["node"]["id"],
        lambda w, actor: w.account["resident_a"],
        _row("UNAUTHENTICATED", A, "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", A, A, "FORBIDDEN"),
    ),
    Case(
        "viewer.feedbacks",
        "{ viewer { feedbacks(first: 5) { edges { node { id } } } } }",
        lambda w: {},
        lambda d, w: d["viewer"] and [e["node"]["id"] for e in d["viewer"]["feedbacks"]["edges"]] or None,
        lambda w, actor: [w.feedback_id],
        _row(NONE, A, NONE, NONE, NONE, NONE, A, "FORBIDDEN"),
    ),
    Case(
        "author of an anonymous report",
        FEEDBACK_NODE % "author { displayName }",
        lambda w: {"id": w.feedback_id},
        lambda d, w: d["node"] and d["node"]["author"] and "revealed",
        lambda w, actor: "revealed",
        _row(NONE, A, NONE, A, NONE, A, SKIP, SKIP),
    ),
    Case(
        "authorContact (phone)",
        FEEDBACK_NODE % "authorContact { phone }",
        lambda w: {"id": w.feedback_id},
        lambda d, w: d["node"] and d["node"]["authorContact"] and d["node"]["authorContact"]["phone"],
        lambda w, actor: w.phone_a,
        _row(NONE, NONE, NONE, A, NONE, NONE, NONE, NONE),
    ),
    Case(
        "viewer.dossiers",
        "{ viewer { dossiers(first: 5) { edges { node { id } } } } }",
        lambda w: {},
        lambda d, w: d["viewer"] and [e["node"]["id"] for e in d["viewer"]["dossiers"]["edges"]] or None,
        lambda w, actor: [w.dossier_id],
        _row(NONE, A, NONE, NONE, NONE, NONE, A, "FORBIDDEN"),
    ),
    Case(
        "node(Dossier of A)",
        "query($id: ID!) { node(id: $id) { ... on Dossier { id } } }",
        lambda w: {"id": w.dossier_id},
        lambda d, w: d["node"] and d["node"]["id"],
        lambda w, actor: w.dossier_id,
        _row("UNAUTHENTICATED", A, NONE, NONE, NONE, A, SKIP, SKIP),
    ),
    Case(
        "transitionFeedback (stale version)",
        """mutation($input: TransitionFeedbackInput!) { transitionFeedback(input: $input) {
             feedback { id } errors { code } } }""",
        lambda w: {
            "input": {"id": w.feedback_id, "status": "IN_PROGRESS", "expectedVersion": w.version + 99}
        },
        lambda d, w: None,
        lambda w, actor: None,
        # The assigned cadre passes the permission check and meets the stale version; nobody changes anything.
        _row(
            "UNAUTHENTICATED",
            "FORBIDDEN",
            "FORBIDDEN",
            "CONFLICT",
            "FORBIDDEN",
            SKIP,
            "FORBIDDEN",
            "FORBIDDEN",
        ),
    ),
]


def _codes(body: dict[str, Any]) -> list[str]:
    found = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
    for value in (body.get("data") or {}).values():
        if isinstance(value, dict) and value.get("errors"):
            found += [e["code"] for e in value["errors"]]
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_authorization_matrix(world: tuple[HubProcess, World], case: Case) -> None:
    hub, w = world
    gql = GraphQLClient(hub.url)
    failures = []
    for actor in ACTORS:
        expected = case.expected[actor]
        if expected == SKIP:
            continue
        response = gql.post(case.query, case.variables(w), token=w.tokens[actor])
        body = response.json()
        codes = _codes(body)
        if expected in (OWN, A):
            got = None if codes else case.pick(body["data"], w)
            want = case.a_value(w, actor)
            if got != want:
                failures.append(f"{actor}: expected {want!r}, got {got!r} {codes or ''}")
        elif expected == NONE:
            got = None if codes else case.pick(body.get("data") or {}, w)
            if codes or got:
                failures.append(f"{actor}: expected nothing, got {got!r} {codes}")
        elif expected not in codes:
            failures.append(f"{actor}: expected {expected}, got {codes} {json.dumps(body)[:200]}")
        if w.phone_a in json.dumps(body) and actor not in ("cadre", "resident_a", "admin", "app_scoped"):
            failures.append(f"{actor}: A's phone number leaked")
    assert failures == [], "\n".join(failures)
