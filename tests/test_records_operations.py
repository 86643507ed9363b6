"""The operations centre: the admins' live feed over graphql-transport-ws, and feedback counts by area."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import register, unique_phone
from tests.feedback_helpers import categories, submit
from tests.notify_helpers import WsClient
from tests.oidc_issuer import LocalIssuer
from tests.records_helpers import dossier_code, event, ingest, national_id, staff
from tests.support import GraphQLClient, HubProcess

FEED = """subscription { operationsEvents { kind reference title status occurredAt
  agency { code } unit { code } } }"""
BREAKDOWN = """query($since: DateTime, $until: DateTime, $by: [FeedbackBreakdownDimension!]) {
  feedbackBreakdown(since: $since, until: $until, by: $by) { total open overdue resolved resolvedOnTime
  unit { code } category { code } } }"""


@pytest.fixture(scope="module")
def ops_gql(records: tuple[HubProcess, LocalIssuer]) -> Iterator[GraphQLClient]:
    client = GraphQLClient(records[0].url, language="en")
    yield client
    client.close()


async def _until(client: WsClient, wanted: set[tuple[str, str]], wait: float = 20) -> list[dict[str, Any]]:
    """Feed messages until every (kind, reference) of `wanted` was seen."""
    seen: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while not wanted <= {(m["kind"], m["reference"]) for m in seen}:
        message = await client.next_message(max(0.1, deadline - loop.time()))
        assert message["type"] == "next", message
        seen.append(message["payload"]["data"]["operationsEvents"])
    return seen


async def test_admins_see_submissions_status_changes_and_passed_due_times_live(
    records: tuple[HubProcess, LocalIssuer], ops_gql: GraphQLClient
) -> None:
    hub, _ = records
    admin = await asyncio.to_thread(staff, hub, ops_gql, unique_phone())
    resident = await asyncio.to_thread(register, ops_gql)
    category = (await asyncio.to_thread(categories, ops_gql))["ROADS"]["id"]
    client = await WsClient.connect(hub.url, admin)
    try:
        await client.acked()
        await client.subscribe(FEED)
        await asyncio.sleep(1.5)  # the feed has read where the tables stand
        nid, code, late = national_id(), dossier_code(), dossier_code()
        soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
        events = [
            event(code, nid, "SUPPLEMENT_REQUESTED", "2026-11-25T08:00:00+07:00"),
            event(late, nid, "PROCESSING", "2026-11-25T08:00:00+07:00", dueAt=soon),
        ]
        await asyncio.to_thread(ingest, hub.url, events)
        feedback = await asyncio.to_thread(submit, ops_gql, resident["accessToken"], category)
        seen = await _until(
            client,
            {
                ("DOSSIER_STATUS_CHANGED", code),
                ("FEEDBACK_SUBMITTED", feedback["referenceCode"]),
                ("DOSSIER_OVERDUE", late),
            },
        )
    finally:
        await client.close()
    by_key = {(m["kind"], m["reference"]): m for m in seen}
    changed = by_key[("DOSSIER_STATUS_CHANGED", code)]
    assert changed["status"] == "SUPPLEMENT_REQUESTED" and changed["title"] == "Đăng ký khai sinh"
    assert changed["agency"] == {"code": "UBND-VUNGTAU"}
    submitted = by_key[("FEEDBACK_SUBMITTED", feedback["referenceCode"])]
    assert submitted["title"] == feedback["title"] and submitted["unit"] == {"code": feedback["unit"]["code"]}
    # Each thing once.
    assert len(seen) == len(by_key)


async def test_only_admins_may_watch(records: tuple[HubProcess, LocalIssuer], ops_gql: GraphQLClient) -> None:
    hub, _ = records
    resident = await asyncio.to_thread(register, ops_gql)
    citizen = await WsClient.connect(hub.url, resident["accessToken"])
    await citizen.acked()
    await citizen.subscribe(FEED)
    assert await citizen.close_code() == 4403
    visitor = await WsClient.connect(hub.url)
    await visitor.acked()
    await visitor.subscribe(FEED)
    assert await visitor.close_code() == 4401


def test_feedback_breakdown_counts_by_unit_and_category_in_a_window(
    records: tuple[HubProcess, LocalIssuer], ops_gql: GraphQLClient
) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    token = register(ops_gql)["accessToken"]
    by_code = categories(ops_gql)
    roads, lights = by_code["ROADS"]["id"], next(c["id"] for k, c in by_code.items() if k != "ROADS")
    made = [submit(ops_gql, token, roads), submit(ops_gql, token, roads), submit(ops_gql, token, lights)]
    rows = ops_gql(BREAKDOWN, {"since": start.isoformat(), "by": ["CATEGORY"]})["feedbackBreakdown"]
    assert [(r["category"]["code"], r["total"], r["open"], r["unit"]) for r in rows] == [
        ("ROADS", 2, 2, None),
        (next(k for k, c in by_code.items() if c["id"] == lights), 1, 1, None),
    ]
    both = ops_gql(BREAKDOWN, {"since": start.isoformat()})["feedbackBreakdown"]
    assert sum(r["total"] for r in both) == 3
    assert {r["unit"]["code"] for r in both} == {f["unit"]["code"] for f in made}
    # Windows: the one ending before the submissions does not count them; the one ending after does.
    long_ago = (start - timedelta(days=400)).isoformat()
    before = ops_gql(BREAKDOWN, {"since": long_ago, "until": start.isoformat(), "by": ["UNIT"]})
    until_now = ops_gql(BREAKDOWN, {"since": long_ago, "by": ["UNIT"]})
    totals = [sum(r["total"] for r in q["feedbackBreakdown"]) for q in (before, until_now)]
    assert totals[1] - totals[0] == 3
