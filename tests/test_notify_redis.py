"""Two server processes on one database and one Redis behave as one: fan-out crosses processes."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.feedback_helpers import categories, resident, staff, submit
from tests.notify_helpers import NOTIFICATION_RECEIVED, WsClient
from tests.support import REDIS_URL, GraphQLClient, HubProcess, redis_available

REPLY = """mutation($input: ReplyToFeedbackInput!) { replyToFeedback(input: $input) { errors { code } } }"""

pytestmark = pytest.mark.skipif(bool(redis_available()), reason=str(redis_available()))


async def test_a_subscriber_on_one_process_hears_of_a_change_made_through_another(new_hub):
    env = {
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        "DISPATCH_POLL_SECONDS": "5",
        # One hub behind a load balancer: one issuer, and (shared DATA_DIR) one signing key.
        "JWT_ISSUER": "https://hub.example",
    }
    # B starts first and takes the dispatcher lease; A only serves its WebSocket subscribers.
    b = new_hub(env, name="b")
    a = HubProcess(data_dir=b.data_dir, database=b.database, env=dict(env)).start()
    gql_a, gql_b = GraphQLClient(a.url), GraphQLClient(b.url)
    try:
        cadre = staff(b, gql_b, "cadre", "UBND-VUNGTAU")
        author = resident(gql_b, "Trịnh Văn Xa")
        fb = submit(gql_b, author, categories(gql_b)["ROADS"]["id"])
        client = await WsClient.connect(a.url, author)
        follower = await WsClient.connect(a.url)
        # Plain fields only: sent by the resolver, not executed per subscriber (graphql_schema/notify.py).
        plain = await WsClient.connect(a.url, author)
        try:
            await client.acked()
            await follower.acked()
            await plain.acked()
            await client.subscribe(NOTIFICATION_RECEIVED)
            await plain.subscribe("subscription { notificationReceived { id title } }")
            await follower.subscribe(
                "subscription($id: ID!) { feedbackUpdated(id: $id) { version } }", {"id": fb["id"]}
            )
            await asyncio.sleep(0.5)
            reply = await asyncio.to_thread(
                gql_b, REPLY, {"input": {"id": fb["id"], "message": "Đã tiếp nhận."}}, token=cadre
            )
            assert reply["replyToFeedback"]["errors"] == []
            # Within a fraction of B's 5 s poll: the commit wakes the dispatcher, Redis carries the rest.
            message = await client.next_message(wait=4)
            received = message["payload"]["data"]["notificationReceived"]
            assert received["title"] == f"Cơ quan đã trả lời phản ánh {fb['referenceCode']}"
            direct = (await plain.next_message(wait=4))["payload"]["data"]["notificationReceived"]
            assert direct == {"id": received["id"], "title": received["title"]}

            # The submission's own event may reach A after the follower subscribed (a busy machine delays
            # B's dispatcher): an earlier version first is fine, as long as version 2 follows.
            async def next_version() -> int:
                return (await follower.next_message(wait=4))["payload"]["data"]["feedbackUpdated"]["version"]

            versions = [await next_version()]
            while versions[-1] < 2:
                versions.append(await next_version())
            assert versions[-1] == 2 and versions == sorted(versions), versions
            # One dispatcher (the lease holder) published it, once: no second copy from the other process.
            with pytest.raises(TimeoutError):
                await client.next_message(wait=2)
            with pytest.raises(TimeoutError):
                await plain.next_message(wait=0.5)
            # A change sent to A (which does not hold the lease) wakes B's dispatcher through Redis,
            # long before B's 5 s poll.
            again = await asyncio.to_thread(
                gql_a, REPLY, {"input": {"id": fb["id"], "message": "Đang xử lý."}}, token=cadre
            )
            assert again["replyToFeedback"]["errors"] == []
            second = await client.next_message(wait=3)
            assert second["payload"]["data"]["notificationReceived"]["id"] != received["id"]
        finally:
            await client.close()
            await follower.close()
            await plain.close()
        # Process A's inbox reads the same database.
        inbox = gql_a("{ viewer { unreadNotificationCount } }", token=author)
        assert inbox["viewer"]["unreadNotificationCount"] == 2
    finally:
        gql_a.close()
        gql_b.close()
        a.stop()
