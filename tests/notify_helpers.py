"""Helpers for the notification tests: inbox queries, waiting for the dispatcher, WebSocket clients."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import websockets

from tests.support import GraphQLClient

T = TypeVar("T")

INBOX = """
query($unread: Boolean, $first: Int, $after: String) {
  viewer {
    unreadNotificationCount
    notifications(unreadOnly: $unread, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node {
        id kind title body createdAt readAt
        subject { id ... on Feedback { referenceCode status } ... on Announcement { title severity } }
      } }
    }
  }
}"""

MARK_READ = """
mutation($input: MarkNotificationsReadInput!) {
  markNotificationsRead(input: $input) { unreadCount errors { field code } }
}"""


def wait_for(probe: Callable[[], T | None], timeout: float = 15.0, what: str = "condition") -> T:
    """Poll `probe` until it returns something truthy (the dispatcher works asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def inbox(gql: GraphQLClient, token: str, **variables: Any) -> dict[str, Any]:
    return gql(INBOX, variables, token=token)["viewer"]


def wait_inbox(gql: GraphQLClient, token: str, count: int, timeout: float = 15.0) -> dict[str, Any]:
    """The viewer's inbox once it holds at least `count` notifications."""

    def probe() -> dict[str, Any] | None:
        viewer = inbox(gql, token, first=20)
        # Both: the page and the count are two statements, and the dispatcher may commit between them.
        found = viewer["notifications"]
        return viewer if found["totalCount"] >= count and len(found["edges"]) >= min(count, 20) else None

    return wait_for(probe, timeout, f"{count} notifications")


# ---------------------------------------------------------------- graphql-transport-ws


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://") + "/graphql"


class WsClient:
    """A minimal graphql-transport-ws client over `websockets`, as a browser or app would speak it."""

    def __init__(self, conn: websockets.ClientConnection) -> None:
        self.conn = conn
        self._ids = 0

    @classmethod
    async def connect(
        cls, base_url: str, token: str | None = None, *, origin: str | None = None, payload: Any = None
    ) -> WsClient:
        headers = {"Origin": origin} if origin else None
        conn = await websockets.connect(
            ws_url(base_url), subprotocols=["graphql-transport-ws"], additional_headers=headers
        )
        client = cls(conn)
        init: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            init["payload"] = payload
        elif token is not None:
            init["payload"] = {"Authorization": f"Bearer {token}"}
        await conn.send(json.dumps(init))
        return client

    async def acked(self) -> dict[str, Any]:
        message = json.loads(await asyncio.wait_for(self.conn.recv(), 10))
        assert message["type"] == "connection_ack", message
        return message

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._ids += 1
        op_id = str(self._ids)
        await self.conn.send(
            json.dumps(
                {"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}}
            )
        )
        return op_id

    async def next_message(self, wait: float = 15.0) -> dict[str, Any]:
        """The next message other than ping/pong."""
        while True:
            message = json.loads(await asyncio.wait_for(self.conn.recv(), wait))
            if message["type"] == "ping":
                await self.conn.send(json.dumps({"type": "pong"}))
                continue
            if message["type"] != "pong":
                return message

    async def close_code(self, wait: float = 15.0) -> int | None:
        """Wait for the server to close the connection; its close code."""
        try:
            while True:
                await asyncio.wait_for(self.conn.recv(), wait)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None

    async def close(self) -> None:
        await self.conn.close()


NOTIFICATION_RECEIVED = "subscription { notificationReceived { id kind title body subject { id } } }"
