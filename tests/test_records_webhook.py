"""The LGSP webhook end to end: real HTTP posts signed as the platform signs them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.oidc_issuer import LocalIssuer
from tests.records_helpers import (
    WEBHOOK,
    dossier_code,
    event,
    ingest,
    my_dossiers,
    national_id,
    post_events,
    sign,
    verified_citizen,
)
from tests.support import GraphQLClient, HubProcess, query_db


@pytest.fixture(scope="module")
def lgsp_hub(records: tuple[HubProcess, LocalIssuer]) -> HubProcess:
    return records[0]


@pytest.fixture(scope="module")
def issuer(records: tuple[HubProcess, LocalIssuer]) -> LocalIssuer:
    return records[1]


@pytest.fixture(scope="module")
def lgsp_gql(lgsp_hub: HubProcess) -> Iterator[GraphQLClient]:
    client = GraphQLClient(lgsp_hub.url)
    yield client
    client.close()


def _stored(hub: HubProcess, code: str) -> tuple[int, int]:
    dossiers = query_db(hub.database.url, "SELECT count(*) FROM dossiers WHERE code = :c", {"c": code})
    events = query_db(
        hub.database.url,
        "SELECT count(*) FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id WHERE d.code = :c",
        {"c": code},
    )
    return dossiers[0][0], events[0][0]


def test_without_a_secret_the_webhook_is_unavailable(hub: HubProcess) -> None:
    body = b'{"events": []}'
    response = httpx.post(hub.url + WEBHOOK, content=body, headers={"x-signature-256": sign(body)})
    assert response.status_code == 503


def test_missing_or_wrong_signatures_are_refused_and_store_nothing(lgsp_hub: HubProcess) -> None:
    code = dossier_code()
    one = event(code, national_id(), "RECEIVED", "2026-11-25T08:00:00+07:00")
    body = json.dumps({"events": [one]}).encode()
    url = lgsp_hub.url + WEBHOOK
    assert httpx.post(url, content=body).status_code == 401
    wrong_secret = httpx.post(url, content=body, headers={"x-signature-256": sign(body, "not-the-secret")})
    assert wrong_secret.status_code == 401
    other_body = httpx.post(url, content=body, headers={"x-signature-256": sign(body + b" ")})
    assert other_body.status_code == 401
    not_hex = httpx.post(url, content=body, headers={"x-signature-256": "sha256=zz"})
    assert not_hex.status_code == 401
    assert _stored(lgsp_hub, code) == (0, 0)
    # The right signature, with upper-case hex as some platforms send it, is accepted.
    upper = "sha256=" + sign(body).split("=", 1)[1].upper()
    assert httpx.post(url, content=body, headers={"x-signature-256": upper}).status_code == 200
    assert _stored(lgsp_hub, code) == (1, 1)


def test_bodies_over_one_mebibyte_are_refused_even_without_content_length(lgsp_hub: HubProcess) -> None:
    big = json.dumps({"events": [], "padding": "x" * (1024 * 1024)}).encode()
    url = lgsp_hub.url + WEBHOOK
    declared = httpx.post(url, content=big, headers={"x-signature-256": sign(big)})
    assert declared.status_code == 413

    def chunks() -> Iterator[bytes]:  # chunked transfer: no Content-Length to trust
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    streamed = httpx.post(url, content=chunks(), headers={"x-signature-256": sign(big)})
    assert streamed.status_code == 413
    just_fits = json.dumps({"events": [], "padding": "x" * (1024 * 1024 - 40)}).encode()
    assert len(just_fits) <= 1024 * 1024
    assert httpx.post(url, content=just_fits, headers={"x-signature-256": sign(just_fits)}).status_code == 200


def test_a_batch_with_bad_events_lists_every_problem_and_stores_nothing(lgsp_hub: HubProcess) -> None:
    nid, good_code = national_id(), dossier_code()
    events = [
        event(good_code, nid, "RECEIVED", "2026-11-25T08:00:00+07:00"),
        event(dossier_code(), nid, "LOST", "2026-11-25T08:00:00+07:00"),
        event(dossier_code(), "12345", "PROCESSING", "yesterday", dossierCode=None),
        "not an object",
        event(dossier_code(), nid, "RECEIVED", "2026-11-25T08:00:00", receivedAt=None),
    ]
    response = post_events(lgsp_hub.url, events)  # type: ignore[arg-type]
    assert response.status_code == 422
    problems = {(p["index"], p["field"]) for p in response.json()["errors"]}
    assert problems == {
        (1, "status"),
        (2, "citizenNationalId"),
        (2, "occurredAt"),
        (2, "dossierCode"),
        (3, ""),
        (4, "occurredAt"),
        (4, "receivedAt"),
    }
    assert all(p["message"] for p in response.json()["errors"])
    assert _stored(lgsp_hub, good_code) == (0, 0)
    not_json = b"{events"
    bad = httpx.post(lgsp_hub.url + WEBHOOK, content=not_json, headers={"x-signature-256": sign(not_json)})
    assert bad.status_code == 400


def test_replays_are_duplicates_and_out_of_order_events_keep_the_latest_status(
    lgsp_hub: HubProcess, lgsp_gql: GraphQLClient, issuer: LocalIssuer
) -> None:
    nid, code = national_id(), dossier_code()
    citizen = verified_citizen(lgsp_hub, lgsp_gql, nid, issuer)
    received = event(code, nid, "RECEIVED", "2026-11-25T08:00:00+07:00", note="Tiếp nhận hồ sơ")
    processing = event(code, nid, "PROCESSING", "2026-11-25T08:30:00+07:00", note="Chuyển phòng chuyên môn")
    ready = event(code, nid, "RESULT_READY", "2026-11-27T10:00:00+07:00", dueAt=None)
    # The latest event arrives first, then the older ones, then everything again.
    assert ingest(lgsp_hub.url, [ready]) == {"accepted": 1, "duplicates": 0}
    assert ingest(lgsp_hub.url, [processing, received]) == {"accepted": 2, "duplicates": 0}
    assert ingest(lgsp_hub.url, [received, processing, ready, ready]) == {"accepted": 0, "duplicates": 4}
    assert _stored(lgsp_hub, code) == (1, 3)
    [edge] = my_dossiers(lgsp_gql, citizen["accessToken"])["edges"]
    dossier = edge["node"]
    assert dossier["code"] == code and dossier["status"] == "RESULT_READY"
    assert [h["status"] for h in dossier["history"]] == ["RECEIVED", "PROCESSING", "RESULT_READY"]
    assert dossier["history"][1]["note"] == "Chuyển phòng chuyên môn"
    assert dossier["history"][0]["occurredAt"] == "2026-11-25T08:00:00+07:00"
    # dueAt came with the older events only: still known.
    assert dossier["dueAt"] == "2026-12-02T17:00:00+07:00"
    assert dossier["procedure"] == {"code": "1.001193"} and dossier["agency"] == {"code": "UBND-VUNGTAU"}
    assert dossier["procedureName"] == "Đăng ký khai sinh"
    assert dossier["completedAt"] is None


def test_unknown_codes_are_kept_as_text(
    lgsp_hub: HubProcess, lgsp_gql: GraphQLClient, issuer: LocalIssuer
) -> None:
    nid, code = national_id(), dossier_code()
    citizen = verified_citizen(lgsp_hub, lgsp_gql, nid, issuer)
    at = "2026-11-25T09:00:00+07:00"
    unknown = event(code, nid, "COMPLETED", at, procedureCode="9.999999", agencyCode="XYZ")
    assert ingest(lgsp_hub.url, [unknown])["accepted"] == 1
    dossier = my_dossiers(lgsp_gql, citizen["accessToken"])["edges"][0]["node"]
    assert dossier["procedure"] is None and dossier["agency"] is None
    assert dossier["procedureName"] == "9.999999"
    assert dossier["completedAt"] == "2026-11-25T09:00:00+07:00"
    later = "2026-11-25T09:05:00+07:00"
    named = event(code, nid, "COMPLETED", later, procedureCode="9.999999", procedureName="Thủ tục lạ")
    ingest(lgsp_hub.url, [named])
    assert my_dossiers(lgsp_gql, citizen["accessToken"])["edges"][0]["node"]["procedureName"] == "Thủ tục lạ"


def test_overlapping_batches_posted_at_once_store_each_event_once_with_the_right_status(
    lgsp_hub: HubProcess,
) -> None:
    nid = national_id()
    codes = [dossier_code() for _ in range(6)]
    statuses = ["RECEIVED", "PROCESSING", "SUPPLEMENT_REQUESTED", "PROCESSING", "RESULT_READY", "COMPLETED"]
    timeline = {
        code: [
            event(code, nid, status, f"2026-11-2{5 + step // 3}T0{step + 1}:00:00+07:00")
            for step, status in enumerate(statuses)
        ]
        for code in codes
    }
    all_events = [e for events in timeline.values() for e in events]
    # Eight batches, each a different overlapping slice of the same events, in different orders.
    batches = [list(reversed(all_events)) if i % 2 else list(all_events) for i in range(4)]
    batches += [all_events[i * 9 : i * 9 + 18][::-1] for i in range(4)]
    results: list[httpx.Response] = []
    barrier = threading.Barrier(len(batches))

    def post(batch: list) -> None:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            results.append(post_events(lgsp_hub.url, batch, client=client))

    threads = [threading.Thread(target=post, args=(b,)) for b in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [200] * len(batches), [r.text for r in results]
    assert sum(r.json()["accepted"] for r in results) == len(all_events)
    assert sum(r.json()["duplicates"] for r in results) == sum(len(b) for b in batches) - len(all_events)
    rows = query_db(
        lgsp_hub.database.url,
        "SELECT d.code, d.status, count(e.id) FROM dossiers d JOIN dossier_events e ON e.dossier_id = d.id "
        "WHERE d.citizen_national_id = :nid GROUP BY d.code, d.status",
        {"nid": nid},
    )
    assert sorted(rows) == sorted((code, "COMPLETED", len(statuses)) for code in codes)


def test_a_batch_costs_the_same_statements_whatever_its_size(
    lgsp_hub: HubProcess, lgsp_gql: GraphQLClient, issuer: LocalIssuer
) -> None:
    """Set-based ingest: a 100-event batch (50 new changes that move the due time, 50 replays) sends as many
    SQL statements as a 2-event one, and every applied change has its outbox row."""
    counts = []
    for size in (1, 50):
        nid = national_id()
        verified_citizen(lgsp_hub, lgsp_gql, nid, issuer)
        codes = [dossier_code() for _ in range(size)]
        first = [event(code, nid, "RECEIVED", "2026-11-25T08:00:00+07:00") for code in codes]
        ingest(lgsp_hub.url, first)
        later = [
            event(
                code,
                nid,
                "SUPPLEMENT_REQUESTED",
                "2026-11-26T08:00:00+07:00",
                dueAt="2026-12-09T17:00:00+07:00",
            )
            for code in codes
        ]
        response = post_events(lgsp_hub.url, later + first)
        assert response.status_code == 200, response.text
        assert response.json() == {"accepted": size, "duplicates": size}
        counts.append(int(response.headers["x-sql-statements"]))
        told = query_db(
            lgsp_hub.database.url,
            "SELECT count(*) FROM outbox_events o JOIN dossiers d ON d.id = o.subject_id "
            "WHERE o.subject_type = 'Dossier' AND d.citizen_national_id = :nid",
            {"nid": nid},
        )
        assert told[0][0] == 2 * size  # RECEIVED, then SUPPLEMENT_REQUESTED: each dossier's owner told twice
    # Lock (upsert … RETURNING, owners included), events, outbox, state, moved due times.
    assert counts[0] == counts[1] <= 5, counts
