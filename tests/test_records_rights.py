"""Personal data rights end to end: a copy of everything (exportMyData) and erasure (deleteMyAccount)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import STRONG_PASSWORD, register, unique_phone
from tests.feedback_helpers import categories, submit
from tests.oidc_issuer import LocalIssuer
from tests.records_helpers import (
    NID_LOGIN,
    dossier_code,
    event,
    ingest,
    my_dossiers,
    national_id,
    new_event_id,
    staff,
)
from tests.support import GraphQLClient, HubProcess, query_db

EXPORT = "mutation { exportMyData { data errors { field code message } } }"
DELETE = """mutation($input: DeleteMyAccountInput!) { deleteMyAccount(input: $input) {
  ok errors { field code message } } }"""
REFRESH = (
    """mutation($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken errors { code } } }"""
)
FEEDBACK = """query($id: ID!) { node(id: $id) { ... on Feedback { title author { displayName } } } }"""


@pytest.fixture(scope="module")
def hub_and_issuer(records: tuple[HubProcess, LocalIssuer]) -> tuple[HubProcess, LocalIssuer]:
    return records


@pytest.fixture(scope="module")
def rgql(records: tuple[HubProcess, LocalIssuer]) -> Iterator[GraphQLClient]:
    client = GraphQLClient(records[0].url, language="en")
    yield client
    client.close()


def _nid_login(gql: GraphQLClient, issuer: LocalIssuer, nid: str, phone: str) -> dict[str, Any]:
    nonce = new_event_id()
    token = issuer.id_token(nonce=nonce, national_id=nid, phone=phone)
    query = NID_LOGIN.replace("accessToken account", "accessToken refreshToken account")
    payload = gql(query, {"input": {"idToken": token, "nonce": nonce}})["loginWithNationalIdentity"]
    assert payload["errors"] == [], payload["errors"]
    return payload


def test_export_holds_account_feedback_dossiers_notifications_and_access_log(
    hub_and_issuer: tuple[HubProcess, LocalIssuer], rgql: GraphQLClient
) -> None:
    hub, issuer = hub_and_issuer
    nid, phone, code = national_id(), unique_phone(), dossier_code()
    me = _nid_login(rgql, issuer, nid, phone)
    token = me["accessToken"]
    ingest(
        hub.url, [event(code, nid, "PROCESSING", "2026-11-25T08:30:00+07:00", note="Chuyển phòng chuyên môn")]
    )
    category = next(iter(categories(rgql).values()))["id"]
    feedback = submit(rgql, token, category, title="Đèn đường hỏng ở Bãi Sau")
    admin = staff(hub, rgql, unique_phone())
    rgql("query($id: ID!) { node(id: $id) { id } }", {"id": me["account"]["id"]}, token=admin)

    payload = rgql(EXPORT, token=token)["exportMyData"]
    assert payload["errors"] == []
    data = payload["data"]
    assert data["format"] == "citizen-hub/personal-data-export/v1"
    assert data["account"]["phone"] == phone and data["account"]["nationalId"] == nid
    assert data["account"]["nationalIdVerified"] is True
    assert [f["title"] for f in data["feedback"]] == ["Đèn đường hỏng ở Bãi Sau"]
    assert data["feedback"][0]["referenceCode"] == feedback["referenceCode"]
    assert data["feedback"][0]["timeline"][0]["kind"] == "SUBMITTED"
    [dossier] = data["dossiers"]
    assert dossier["code"] == code and dossier["history"][0]["note"] == "Chuyển phòng chuyên môn"
    assert isinstance(data["notifications"], list)
    [access] = data["dataAccessLog"]
    assert access["what"] == "account details" and access["accessor"]["role"] == "ADMIN"
    # Only the person: anonymous visitors get an error, not someone's data.
    anonymous = rgql.post(EXPORT).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_delete_erases_personal_data_keeps_feedback_anonymised_and_ends_sign_ins(
    hub_and_issuer: tuple[HubProcess, LocalIssuer], rgql: GraphQLClient
) -> None:
    hub, issuer = hub_and_issuer
    nid, phone, code = national_id(), unique_phone(), dossier_code()
    me = _nid_login(rgql, issuer, nid, phone)
    token = me["accessToken"]
    ingest(hub.url, [event(code, nid, "RECEIVED", "2026-11-25T08:00:00+07:00")])
    category = next(iter(categories(rgql).values()))["id"]
    feedback = submit(rgql, token, category, title="Cây đổ chắn đường")

    about = (
        "SELECT count(*) FROM outbox_events WHERE subject_type = 'Dossier' AND CAST(payload AS TEXT) LIKE :c"
    )
    assert query_db(hub.database.url, about, {"c": f"%{code}%"}) == [(1,)]
    wrong = rgql(DELETE, {"input": {"confirmPhone": unique_phone()}}, token=token)["deleteMyAccount"]
    assert wrong["ok"] is False and wrong["errors"][0]["field"] == ["input", "confirmPhone"]
    assert my_dossiers(rgql, token)["totalCount"] == 1  # nothing changed

    done = rgql(DELETE, {"input": {"confirmPhone": phone}}, token=token)["deleteMyAccount"]
    assert done == {"ok": True, "errors": []}
    # The feedback stays public, without its author.
    public = rgql(FEEDBACK, {"id": feedback["id"]})["node"]
    assert public["title"] == "Cây đổ chắn đường" and public["author"] is None
    # Nothing personal is left in the account row; the mirrored dossier is gone.
    account_pk = int(base64.b64decode(me["account"]["id"]).decode().split(":")[1])
    [row] = query_db(
        hub.database.url,
        "SELECT phone, full_name, email, national_id, password_hash FROM accounts WHERE id = :id",
        {"id": account_pk},
    )
    assert phone not in row and nid not in row and "Nguyễn Văn An" not in row
    assert query_db(hub.database.url, "SELECT count(*) FROM dossiers WHERE code = :c", {"c": code}) == [(0,)]
    # The outbox events about it (their payloads name the code) went with it.
    assert query_db(hub.database.url, about, {"c": f"%{code}%"}) == [(0,)]
    # Every sign-in ended: the refresh token is refused.
    refreshed = rgql(REFRESH, {"input": {"refreshToken": me["refreshToken"]}})["refreshToken"]
    assert refreshed["accessToken"] is None and refreshed["errors"]
    # Signing in with the national identity again starts a new, empty account.
    again = _nid_login(rgql, issuer, nid, phone)
    assert again["account"]["id"] != me["account"]["id"]
    assert my_dossiers(rgql, again["accessToken"])["totalCount"] == 0


def test_an_account_with_a_password_must_give_it(rgql: GraphQLClient) -> None:
    resident = register(rgql)
    phone, token = resident["account"]["phone"], resident["accessToken"]
    refused = rgql(DELETE, {"input": {"confirmPhone": phone, "password": "not it"}}, token=token)
    assert refused["deleteMyAccount"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    done = rgql(DELETE, {"input": {"confirmPhone": phone, "password": STRONG_PASSWORD}}, token=token)
    assert done["deleteMyAccount"]["ok"] is True
    login = rgql(
        "mutation($i: LoginInput!) { login(input: $i) { accessToken errors { code } } }",
        {"i": {"phone": phone, "password": STRONG_PASSWORD}},
    )["login"]
    assert login["accessToken"] is None and login["errors"][0]["code"] == "INVALID_CREDENTIALS"
