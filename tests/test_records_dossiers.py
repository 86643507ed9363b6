"""Dossiers as their owner sees them, and as nobody else does; the access log of admin reads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import register, unique_phone
from tests.oidc_issuer import LocalIssuer
from tests.records_helpers import (
    DOSSIERS,
    dossier_code,
    event,
    ingest,
    my_dossiers,
    national_id,
    staff,
    verified_citizen,
)
from tests.support import GraphQLClient, HubProcess


@pytest.fixture(scope="module")
def lgsp_hub(records: tuple[HubProcess, LocalIssuer]) -> HubProcess:
    return records[0]


@pytest.fixture(scope="module")
def issuer(records: tuple[HubProcess, LocalIssuer]) -> LocalIssuer:
    return records[1]


@pytest.fixture(scope="module")
def lgsp_gql(lgsp_hub: HubProcess) -> Iterator[GraphQLClient]:
    client = GraphQLClient(lgsp_hub.url, language="en")
    yield client
    client.close()


NODE = """query($id: ID!) { node(id: $id) { id ... on Dossier { code status } ... on Account { phone } } }"""
LOG = """{ viewer { dataAccessLog { totalCount edges { node { what purpose occurredAt
  accessor { displayName role } } } } } }"""


def test_an_unverified_account_sees_none_and_verifying_reveals_earlier_dossiers(
    lgsp_hub: HubProcess, lgsp_gql: GraphQLClient, issuer: LocalIssuer
) -> None:
    nid, code = national_id(), dossier_code()
    ingest(lgsp_hub.url, [event(code, nid, "RECEIVED", "2026-11-25T08:00:00+07:00")])
    resident = register(lgsp_gql, nationalId=nid)
    # Typing a national ID in proves nothing: the dossier stays hidden until it is verified.
    assert my_dossiers(lgsp_gql, resident["accessToken"])["totalCount"] == 0
    lgsp_hub.run_cli("verify-identity", "--phone", resident["account"]["phone"], check=True)
    page = my_dossiers(lgsp_gql, resident["accessToken"])
    assert page["totalCount"] == 1 and page["edges"][0]["node"]["code"] == code


def test_newest_first_with_a_status_filter_and_pages(
    lgsp_hub: HubProcess, lgsp_gql: GraphQLClient, issuer: LocalIssuer
) -> None:
    nid = national_id()
    token = verified_citizen(lgsp_hub, lgsp_gql, nid, issuer)["accessToken"]
    codes = [dossier_code() for _ in range(5)]
    statuses = ["RECEIVED", "PROCESSING", "COMPLETED", "PROCESSING", "REJECTED"]
    ingest(
        lgsp_hub.url,
        [
            event(
                code, nid, status, f"2026-11-2{i}T10:00:00+07:00", receivedAt=f"2026-11-2{i}T08:00:00+07:00"
            )
            for i, (code, status) in enumerate(zip(codes, statuses, strict=True))
        ],
    )
    everything = my_dossiers(lgsp_gql, token)
    assert everything["totalCount"] == 5
    assert [e["node"]["code"] for e in everything["edges"]] == codes[::-1]
    processing = my_dossiers(lgsp_gql, token, status=["PROCESSING", "REJECTED"])
    assert [e["node"]["code"] for e in processing["edges"]] == [codes[4], codes[3], codes[1]]
    first = my_dossiers(lgsp_gql, token, first=2)
    assert first["pageInfo"]["hasNextPage"] and len(first["edges"]) == 2
    rest = my_dossiers(lgsp_gql, token, first=10, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["code"] for e in rest["edges"]] == codes[2::-1]
    assert not rest["pageInfo"]["hasNextPage"]


def test_is_overdue_when_the_due_time_passed_and_it_is_not_finished(
    lgsp_hub: HubProcess, lgsp_gql: GraphQLClient, issuer: LocalIssuer
) -> None:
    nid = national_id()
    token = verified_citizen(lgsp_hub, lgsp_gql, nid, issuer)["accessToken"]
    late, done, future = dossier_code(), dossier_code(), dossier_code()
    past = "2026-01-02T17:00:00+07:00"
    ingest(
        lgsp_hub.url,
        [
            event(late, nid, "SUPPLEMENT_REQUESTED", "2026-01-01T09:00:00+07:00", dueAt=past),
            event(done, nid, "COMPLETED", "2026-01-01T09:00:00+07:00", dueAt=past),
            event(future, nid, "PROCESSING", "2026-01-01T09:00:00+07:00", dueAt="2099-01-01T17:00:00+07:00"),
        ],
    )
    overdue = {e["node"]["code"]: e["node"]["isOverdue"] for e in my_dossiers(lgsp_gql, token)["edges"]}
    assert overdue == {late: True, done: False, future: False}


def test_node_is_for_the_owner_and_admins_whose_reads_the_owner_sees(
    lgsp_hub: HubProcess, lgsp_gql: GraphQLClient, issuer: LocalIssuer
) -> None:
    nid, code = national_id(), dossier_code()
    owner = verified_citizen(lgsp_hub, lgsp_gql, nid, issuer)
    ingest(lgsp_hub.url, [event(code, nid, "PROCESSING", "2026-11-25T08:30:00+07:00")])
    dossier_id = my_dossiers(lgsp_gql, owner["accessToken"])["edges"][0]["node"]["id"]
    assert lgsp_gql(NODE, {"id": dossier_id}, token=owner["accessToken"])["node"]["code"] == code
    # Another resident and an anonymous visitor get nothing, and leave no trace.
    other = register(lgsp_gql)
    assert lgsp_gql(NODE, {"id": dossier_id}, token=other["accessToken"])["node"] is None
    anonymous = lgsp_gql.post(NODE, {"id": dossier_id}).json()
    assert (
        anonymous["data"]["node"] is None
        and anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    )
    assert lgsp_gql(LOG, token=owner["accessToken"])["viewer"]["dataAccessLog"]["totalCount"] == 0
    # An admin may read it, and the account: both reads go into the owner's log.
    admin = staff(lgsp_hub, lgsp_gql, unique_phone())
    assert lgsp_gql(NODE, {"id": dossier_id}, token=admin)["node"]["code"] == code
    account_id = owner["account"]["id"]
    assert lgsp_gql(NODE, {"id": account_id}, token=admin)["node"]["phone"] == owner["account"]["phone"]
    log = lgsp_gql(LOG, token=owner["accessToken"])["viewer"]["dataAccessLog"]
    assert log["totalCount"] == 2
    entries = [(e["node"]["what"], e["node"]["purpose"], e["node"]["accessor"]["role"]) for e in log["edges"]]
    assert entries == [
        ("account details", "administrator review of the account", "ADMIN"),
        ("administrative dossier", f"administrator review of {code}", "ADMIN"),
    ]
    assert log["edges"][0]["node"]["accessor"]["displayName"] == "Lê Văn Quản"
    # The owner reading their own data is not "someone else".
    lgsp_gql(NODE, {"id": account_id}, token=owner["accessToken"])
    assert lgsp_gql(LOG, token=owner["accessToken"])["viewer"]["dataAccessLog"]["totalCount"] == 2
    # Nobody can change or delete the log through the API: no mutation touches it.
    fields = lgsp_gql("{ __schema { mutationType { fields { name } } } }")["__schema"]["mutationType"][
        "fields"
    ]
    assert not [f["name"] for f in fields if "access" in f["name"].lower() and "log" in f["name"].lower()]


def test_a_page_of_many_dossiers_costs_the_statements_of_a_page_of_two(
    lgsp_hub: HubProcess, lgsp_gql: GraphQLClient, issuer: LocalIssuer
) -> None:
    counts = []
    for size in (2, 25):
        nid = national_id()
        token = verified_citizen(lgsp_hub, lgsp_gql, nid, issuer)["accessToken"]
        events = []
        for _ in range(size):
            code = dossier_code()
            events.append(event(code, nid, "RECEIVED", "2026-11-25T08:00:00+07:00"))
            events.append(event(code, nid, "PROCESSING", "2026-11-25T09:00:00+07:00", procedureCode="9.1"))
        ingest(lgsp_hub.url, events)
        response = lgsp_gql.post(DOSSIERS, {"first": 25}, token=token)
        assert response.status_code == 200 and not response.json().get("errors"), response.text
        edges = response.json()["data"]["viewer"]["dossiers"]["edges"]
        assert len(edges) == size and all(len(e["node"]["history"]) == 2 for e in edges)
        counts.append(int(response.headers["x-sql-statements"]))
    assert counts[0] == counts[1] <= 8, counts
