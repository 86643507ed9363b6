"""The outbox survives a crash: a change committed before a SIGKILL is notified exactly once after restart."""

from __future__ import annotations

import asyncio
import base64
import signal
from datetime import UTC, datetime, timedelta

from tests.feedback_helpers import categories, db_time, resident, staff, submit
from tests.notify_helpers import NOTIFICATION_RECEIVED, WsClient, wait_for, wait_inbox
from tests.support import GraphQLClient, _run_in_thread, query_db

REPLY = """mutation($input: ReplyToFeedbackInput!) { replyToFeedback(input: $input) { errors { code } } }"""
TRANSITION = """
mutation($input: TransitionFeedbackInput!) { transitionFeedback(input: $input) { errors { code } } }"""


def events_of(url: str, feedback_pk: int) -> list[tuple[int, bool, bool]]:
    """(id, dispatched, delivered) of a feedback's outbox events, oldest first."""
    rows = query_db(
        url,
        "SELECT id, dispatched_at, delivered_at FROM outbox_events "
        "WHERE subject_type = 'Feedback' AND subject_id = :pk ORDER BY id",
        {"pk": feedback_pk},
    )
    return [(pk, dispatched is not None, delivered is not None) for pk, dispatched, delivered in rows]


def execute_db(url: str, sql: str, params: dict) -> None:
    """One committed statement against a hub's database (to put it in the state a crash leaves)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(sql), params)
        finally:
            await engine.dispose()

    _run_in_thread(run)


def feedback_pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


def notifications_of(url: str, event_id: int) -> list[tuple]:
    return query_db(url, "SELECT account_id FROM notifications WHERE event_id = :e", {"e": event_id})


async def test_a_crash_after_commit_loses_nothing_and_a_repeated_dispatch_adds_nothing(new_hub):
    # A dispatcher that leaves events alone for a minute: the change commits, then the process dies.
    hub = new_hub(
        {"DISPATCH_DELAY_SECONDS": "60", "DISPATCH_POLL_SECONDS": "0.2", "DISPATCH_LEASE_SECONDS": "14"}
    )
    gql = GraphQLClient(hub.url)
    try:
        cadre = staff(hub, gql, "cadre", "UBND-VUNGTAU")
        author = resident(gql, "Bùi Văn Sống")
        fb = submit(gql, author, categories(gql)["ROADS"]["id"])
        pk = feedback_pk(fb["id"])
        reply = gql(REPLY, {"input": {"id": fb["id"], "message": "Sẽ xử lý trong tuần."}}, token=cadre)
        assert reply["replyToFeedback"]["errors"] == []
        events = events_of(hub.database.url, pk)
        assert [(d, v) for _, d, v in events] == [(False, False), (False, False)]  # assigned, reply
        reply_event = events[-1][0]
        assert notifications_of(hub.database.url, reply_event) == []

        hub.stop(signal.SIGKILL)
        hub.env.update({"DISPATCH_DELAY_SECONDS": "0"})
        hub.start()
        # Subscribe at once: the killed process's lease has not expired yet, so nothing was dispatched.
        client = await WsClient.connect(hub.url, author)
        try:
            await client.acked()
            await client.subscribe(NOTIFICATION_RECEIVED)
            message = await client.next_message(wait=30)
            assert message["type"] == "next"
            title = message["payload"]["data"]["notificationReceived"]["title"]
            assert title == f"Cơ quan đã trả lời phản ánh {fb['referenceCode']}"
            with_more = asyncio.create_task(client.next_message(wait=3))
            try:
                extra = await with_more
            except TimeoutError:
                extra = None
            assert extra is None, f"delivered twice: {extra}"
        finally:
            await client.close()
        viewer = wait_inbox(gql, author, 1)
        assert viewer["notifications"]["totalCount"] == 1 and viewer["unreadNotificationCount"] == 1
        assert len(notifications_of(hub.database.url, reply_event)) == 1
        assert [(d, v) for _, d, v in events_of(hub.database.url, pk)] == [(True, True), (True, True)]

        # Second crash point: after the notifications were written, before the event was marked (as if the
        # process had died there). The event goes through both steps again and adds nothing.
        # Meanwhile the feedback was resolved over a week ago: the sweep at startup closes it, and says so.
        resolve = {"id": fb["id"], "status": "RESOLVED", "expectedVersion": 2}
        assert gql(TRANSITION, {"input": resolve}, token=cadre)["transitionFeedback"]["errors"] == []
        wait_inbox(gql, author, 2)
        hub.stop()
        execute_db(
            hub.database.url,
            "UPDATE outbox_events SET dispatched_at = NULL, delivered_at = NULL WHERE id = :e",
            {"e": reply_event},
        )
        week_ago = db_time(hub, datetime.now(UTC) - timedelta(days=7, minutes=1))
        execute_db(
            hub.database.url, "UPDATE feedback SET resolved_at = :t WHERE id = :pk", {"t": week_ago, "pk": pk}
        )
        hub.start()
        wait_for(lambda: all(e[2] for e in events_of(hub.database.url, pk)), 30, "every event delivered")
        assert len(notifications_of(hub.database.url, reply_event)) == 1
        viewer = wait_inbox(gql, author, 3)
        ref = fb["referenceCode"]
        assert [e["node"]["title"] for e in viewer["notifications"]["edges"]] == [
            f"Phản ánh {ref}: Đã đóng",
            f"Phản ánh {ref}: Đã xử lý xong",
            f"Cơ quan đã trả lời phản ánh {ref}",
        ]
    finally:
        gql.close()
