"""Dossier owners hear of every applied status change, and once of a passed due time (with the new date)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.oidc_issuer import LocalIssuer
from tests.records_helpers import dossier_code, event, ingest, national_id, verified_citizen
from tests.support import GraphQLClient, HubProcess, query_db

INBOX = """{ viewer { notifications(first: 50) { totalCount edges { node {
  kind title body subject { ... on Dossier { code status } } } } } } }"""


@pytest.fixture(scope="module")
def notify_gql(records: tuple[HubProcess, LocalIssuer]) -> Any:
    client = GraphQLClient(records[0].url, language="en")
    yield client
    client.close()


def _inbox(gql: GraphQLClient, token: str, until: int, timeout: float = 15) -> list[dict[str, Any]]:
    """The inbox, oldest first, once it holds at least `until` notifications (delivery is asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        edges = gql(INBOX, token=token)["viewer"]["notifications"]["edges"]
        if len(edges) >= until or time.monotonic() > deadline:
            return [e["node"] for e in reversed(edges)]
        time.sleep(0.2)


def test_each_applied_change_tells_the_owner_once(
    records: tuple[HubProcess, LocalIssuer], notify_gql: GraphQLClient
) -> None:
    hub, issuer = records
    nid, code = national_id(), dossier_code()
    token = verified_citizen(hub, notify_gql, nid, issuer)["accessToken"]
    received = event(code, nid, "RECEIVED", "2026-11-25T08:00:00+07:00")
    processing = event(code, nid, "PROCESSING", "2026-11-25T09:00:00+07:00", note="Chuyển phòng chuyên môn")
    supplement = event(code, nid, "SUPPLEMENT_REQUESTED", "2026-11-26T10:00:00+07:00", note="Thiếu bản sao")
    ingest(hub.url, [received, supplement])
    # A replay and an older event arriving late change nothing the owner sees, and tell nothing.
    ingest(hub.url, [received, processing, supplement])
    inbox = _inbox(notify_gql, token, until=2)
    time.sleep(1.5)
    inbox = _inbox(notify_gql, token, until=2)
    assert [(n["kind"], n["title"], n["body"]) for n in inbox] == [
        ("DOSSIER_UPDATE", f"Dossier {code}: received", ""),
        ("DOSSIER_UPDATE", f"Dossier {code}: more documents needed", "Thiếu bản sao"),
    ]
    assert inbox[1]["subject"] == {"code": code, "status": "SUPPLEMENT_REQUESTED"}
    # SUPPLEMENT_REQUESTED and RESULT_READY push with high urgency; the others do not.
    ready = event(code, nid, "RESULT_READY", "2026-11-27T10:00:00+07:00")
    ingest(hub.url, [ready])
    assert _inbox(notify_gql, token, until=3)[-1]["title"] == f"Dossier {code}: result ready"
    rows = query_db(
        hub.database.url,
        "SELECT payload, audience FROM outbox_events WHERE subject_type = 'Dossier' AND subject_id = "
        "(SELECT id FROM dossiers WHERE code = :c) ORDER BY id",
        {"c": code},
    )
    urgency = [_json(audience)["urgent"] for _payload, audience in rows]
    assert urgency == [False, True, True]


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, str) else value


def test_a_passed_due_time_is_told_once_and_a_new_date_is_told(
    records: tuple[HubProcess, LocalIssuer], notify_gql: GraphQLClient
) -> None:
    hub, issuer = records
    nid, code = national_id(), dossier_code()
    token = verified_citizen(hub, notify_gql, nid, issuer)["accessToken"]
    ingest(
        hub.url,
        [event(code, nid, "PROCESSING", "2026-01-05T09:00:00+07:00", dueAt="2026-01-06T17:00:00+07:00")],
    )
    inbox = _inbox(notify_gql, token, until=2)
    assert [n["title"] for n in inbox] == [
        f"Dossier {code}: being processed",
        f"Dossier {code} is past its due time",
    ]
    assert inbox[1]["body"] == "It was due at 17:00 06/01/2026. The agency apologises for the delay."
    time.sleep(2)  # several sweeps later: still told once
    assert len(_inbox(notify_gql, token, until=3, timeout=0)) == 2
    # The agency sets a new date: the owner is told it.
    later = event(code, nid, "PROCESSING", "2026-01-07T09:00:00+07:00", dueAt="2099-12-02T17:00:00+07:00")
    ingest(hub.url, [later])
    inbox = _inbox(notify_gql, token, until=4)
    assert [n["title"] for n in inbox[2:]] == [
        f"Dossier {code}: being processed",
        f"Dossier {code} is late: new due time 17:00 02/12/2099",
    ]
