"""Live subscriptions over graphql-transport-ws, with real WebSocket clients."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from tests.feedback_helpers import categories, resident, staff, submit
from tests.notify_helpers import NOTIFICATION_RECEIVED, WsClient, ws_url
from tests.support import GraphQLClient, HubProcess

REPLY = """mutation($input: ReplyToFeedbackInput!) { replyToFeedback(input: $input) { errors { code } } }"""
TRANSITION = """
mutation($input: TransitionFeedbackInput!) { transitionFeedback(input: $input) { errors { code } } }"""
FEEDBACK_UPDATED = """
subscription($id: ID!) {
  feedbackUpdated(id: $id) {
    id status version supportCount location { latitude longitude } author { displayName }
  }
}"""
SUPPORT = """mutation($input: SetFeedbackFlagInput!) { supportFeedback(input: $input) { errors { code } } }"""
# Only plain fields: sent by the resolver itself; with `subject`: executed by graphql-core.
PLAIN = """subscription {
  live: notificationReceived { __typename id kind title heading: title body createdAt readAt }
}"""
NESTED = """subscription {
  live: notificationReceived { __typename id kind title heading: title body createdAt readAt subject { id } }
}"""


def run(gql: GraphQLClient, mutation: str, token: str, **fields: Any) -> None:
    payload = next(iter(gql(mutation, {"input": fields}, token=token).values()))
    assert payload["errors"] == [], payload["errors"]


@pytest.fixture(scope="module")
def people(hub: HubProcess, gql: GraphQLClient) -> dict[str, str]:
    return {"cadre": staff(hub, gql, "cadre", "UBND-VUNGTAU"), "author": resident(gql, "Huỳnh Thị Nghe")}


async def test_a_signed_in_subscriber_receives_its_notifications_live(hub, gql, people):
    fb = submit(gql, people["author"], categories(gql)["ROADS"]["id"])
    client = await WsClient.connect(hub.url, people["author"])
    try:
        await client.acked()
        op = await client.subscribe(NOTIFICATION_RECEIVED)
        await asyncio.sleep(0.3)  # the subscription is registered before the change happens
        await asyncio.to_thread(
            run, gql, REPLY, people["cadre"], id=fb["id"], message="Đã cử người kiểm tra."
        )
        message = await client.next_message()
        assert message["type"] == "next" and message["id"] == op, message
        received = message["payload"]["data"]["notificationReceived"]
        assert received["kind"] == "FEEDBACK_UPDATE"
        assert received["title"] == f"Cơ quan đã trả lời phản ánh {fb['referenceCode']}"
        assert received["subject"] == {"id": fb["id"]}
        # The same notification sits in the inbox, with the same id.
        inbox = gql(
            "{ viewer { notifications(first: 1) { edges { node { id } } } } }", token=people["author"]
        )
        assert inbox["viewer"]["notifications"]["edges"][0]["node"]["id"] == received["id"]
    finally:
        await client.close()


async def test_notification_received_needs_a_valid_token(hub):
    visitor = await WsClient.connect(hub.url)
    await visitor.acked()  # visitors may follow public feedback…
    await visitor.subscribe(NOTIFICATION_RECEIVED)
    assert await visitor.close_code() == 4401  # …but have no notifications
    forged = await WsClient.connect(hub.url, "not.a.token")
    assert await forged.close_code() == 4403
    wrong_scheme = await WsClient.connect(hub.url, payload={"Authorization": "Basic dXNlcjpwYXNz"})
    assert await wrong_scheme.close_code() == 4403


async def update_reaching(client: WsClient, **wanted: Any) -> dict[str, Any]:
    """The first feedbackUpdated message showing `wanted`. The submission's own (assignment) event may
    reach the subscriber first when the dispatcher is busy: an earlier state, streamed in order."""
    for _ in range(5):
        seen = (await client.next_message())["payload"]["data"]["feedbackUpdated"]
        if all(seen[k] == v for k, v in wanted.items()):
            return seen
    raise AssertionError(f"no update with {wanted}; last {seen}")


async def test_feedback_updated_streams_the_public_view(hub, gql, people):
    exact = {"latitude": 10.34627, "longitude": 107.08433}
    fb = submit(gql, people["author"], categories(gql)["ROADS"]["id"], anonymous=True, location=exact)
    client = await WsClient.connect(hub.url)  # a visitor: no token
    try:
        await client.acked()
        await client.subscribe(FEEDBACK_UPDATED, {"id": fb["id"]})
        await asyncio.sleep(0.3)
        await asyncio.to_thread(
            run, gql, TRANSITION, people["cadre"], id=fb["id"], status="IN_PROGRESS", expectedVersion=1
        )
        seen = await update_reaching(client, version=2)
        assert seen["id"] == fb["id"] and seen["status"] == "IN_PROGRESS"
        assert seen["author"] is None  # anonymous to the public
        assert (seen["location"]["latitude"], seen["location"]["longitude"]) != (
            exact["latitude"],
            exact["longitude"],
        )  # rounded to about 100 m for the public
        await asyncio.to_thread(run, gql, REPLY, people["cadre"], id=fb["id"], message="Đang xử lý.")
        await update_reaching(client, version=3)
        # A "me too" changes what everyone sees, though it notifies nobody.
        await asyncio.to_thread(run, gql, SUPPORT, resident(gql), id=fb["id"], value=True)
        supported = await update_reaching(client, version=3, supportCount=1)
        assert supported["status"] == "IN_PROGRESS"
    finally:
        await client.close()


async def test_at_most_twenty_subscriptions_per_connection(hub, gql, people):
    fb = submit(gql, people["author"], categories(gql)["ROADS"]["id"])
    client = await WsClient.connect(hub.url, people["author"])
    try:
        await client.acked()
        for _ in range(20):
            await client.subscribe(FEEDBACK_UPDATED, {"id": fb["id"]})
        over = await client.subscribe(FEEDBACK_UPDATED, {"id": fb["id"]})
        message = await client.next_message()
        assert message["type"] == "error" and message["id"] == over
        assert "limit" in message["payload"][0]["message"].lower()
    finally:
        await client.close()


async def test_only_graphql_transport_ws_and_allowed_origins(hub):
    # The legacy subscriptions-transport-ws protocol ("graphql-ws") is off.
    try:
        conn = await websockets.connect(ws_url(hub.url), subprotocols=["graphql-ws"])
    except websockets.InvalidHandshake:
        pass  # refused at the handshake
    else:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await conn.send(json.dumps({"type": "connection_init"}))
            await asyncio.wait_for(conn.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4406
    # A page on another origin may not open a WebSocket with the user's browser.
    with pytest.raises(websockets.InvalidStatus) as refused:
        await WsClient.connect(hub.url, origin="https://evil.example")
    assert refused.value.response.status_code == 403
    # The PWA's origin (PUBLIC_BASE_URL unless ALLOWED_ORIGINS says more) is allowed.
    pwa = await WsClient.connect(hub.url, origin=hub.url)
    await pwa.acked()
    await pwa.close()


@pytest.mark.parametrize("selection", ["executed", "plain"])
async def test_a_token_that_expires_ends_the_subscription(new_hub, selection):
    short = new_hub({"ACCESS_TOKEN_SECONDS": "5", "LOAD_DEMO_DATA": "false"}, demo=False)
    gql = GraphQLClient(short.url)
    try:
        token = resident(gql)
        client = await WsClient.connect(short.url, token)
        await client.acked()
        await client.subscribe(NOTIFICATION_RECEIVED if selection == "executed" else PLAIN)
        code = await client.close_code(wait=15)
        assert code == 4401
    finally:
        gql.close()


async def test_plain_fields_arrive_exactly_as_a_fully_executed_selection(hub, gql, people):
    """A selection of plain fields is sent without re-executing it per subscriber; what the client
    gets must not show it: same data, same extensions, as the selection graphql-core executes."""
    fb = submit(gql, people["author"], categories(gql)["ROADS"]["id"])
    client = await WsClient.connect(hub.url, people["author"])
    try:
        await client.acked()
        plain, nested = await client.subscribe(PLAIN), await client.subscribe(NESTED)
        await asyncio.sleep(0.3)
        for message in ("Đã nhận.", "Đã cử người kiểm tra."):
            await asyncio.to_thread(run, gql, REPLY, people["cadre"], id=fb["id"], message=message)
            got = {m["id"]: m for m in [await client.next_message(), await client.next_message()]}
            assert got.keys() == {plain, nested} and {m["type"] for m in got.values()} == {"next"}
            executed = dict(got[nested]["payload"]["data"]["live"])
            assert executed.pop("subject") == {"id": fb["id"]}
            sent = got[plain]["payload"]["data"]["live"]
            assert list(sent) == list(executed) and sent == executed
            assert sent["__typename"] == "Notification" and sent["heading"] == sent["title"]
            assert sent["readAt"] is None and sent["createdAt"].endswith("+07:00")
            assert got[plain]["payload"].keys() == got[nested]["payload"].keys()
            # Each operation was charged its one rate-limit point at its first result: only what was
            # left in the bucket then may differ.
            costs = [got[op]["payload"]["extensions"]["cost"] for op in (plain, nested)]
            for cost in costs:
                assert cost["actualQueryCost"] == 1
                cost["throttleStatus"].pop("currentlyAvailable")
            assert costs[0] == costs[1]
        # The client ends one operation: nothing more arrives for it, the other still streams.
        await client.conn.send(json.dumps({"id": plain, "type": "complete"}))
        await asyncio.sleep(0.3)
        await asyncio.to_thread(run, gql, REPLY, people["cadre"], id=fb["id"], message="Xong.")
        last = await client.next_message()
        assert last["id"] == nested and last["type"] == "next"
        with pytest.raises(TimeoutError):
            await client.next_message(wait=1.0)
    finally:
        await client.close()
