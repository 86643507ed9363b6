"""Webhooks for apps: public feedback events reach a real local receiver, signed, retried, logged."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.feedback_helpers import categories, resident, submit
from tests.support import GraphQLClient, HubProcess

SUBSCRIBE = """
mutation($input: SubscribeWebhookInput!) {
  subscribeWebhook(input: $input) { webhook { id url events } secret errors { code field } }
}
"""
DELIVERIES = """
{ appWebhookDeliveries(first: 20) { totalCount edges { node {
    eventType status attempts lastResponseStatus payload deliveredAt } } } }
"""


class Receiver:
    """A webhook endpoint on a loopback port; answers with the queued statuses, then 200."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.received: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append({"headers": dict(self.headers), "body": body})
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/citizen-hub"

    def close(self) -> None:
        self.server.shutdown()

    def wait(self, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.received


@pytest.fixture(scope="module")
def webhook_hub(tmp_path_factory) -> Any:
    from tests.conftest import start_hub

    hub = start_hub(
        tmp_path_factory.mktemp("webhooks"),
        {"WEBHOOK_RETRY_BASE_SECONDS": "1", "RATE_LIMIT_BUCKET_SIZE": "100000000"},
    )
    yield hub
    hub.stop()
    hub.database.drop()


def app_token(hub: HubProcess) -> str:
    out = hub.run_cli(
        "create-app", "--name", "Bản tin Phản ánh", "--scopes", "read:public", check=True
    ).stdout
    client_id = re.search(r"client_id=(\S+)", out).group(1)
    secret = re.search(r"client_secret=(\S+)", out).group(1)
    response = httpx.post(
        f"{hub.url}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    return response.json()["access_token"]


def test_feedback_events_are_delivered_signed_and_logged(webhook_hub: HubProcess) -> None:
    gql = GraphQLClient(webhook_hub.url)
    token = app_token(webhook_hub)
    receiver = Receiver(statuses=[500])  # the first attempt fails: it must be retried
    try:
        payload = gql(
            SUBSCRIBE, {"input": {"url": receiver.url, "events": ["feedback.assigned"]}}, token=token
        )
        payload = payload["subscribeWebhook"]
        assert payload["errors"] == [] and payload["secret"].startswith("whsec_")
        assert payload["webhook"]["events"] == ["feedback.assigned"]
        secret = payload["secret"]

        category = categories(gql)["ROADS"]["id"]
        feedback = submit(gql, resident(gql), category)
        received = receiver.wait(2)
        assert len(received) == 2, "one failed attempt, then the retry"
        first, second = received
        assert (
            first["body"] == second["body"]
            and first["headers"]["X-Hub-Delivery"] == (second["headers"]["X-Hub-Delivery"])
        )
        body = second["body"]
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert second["headers"]["X-Hub-Signature-256"] == expected
        event = json.loads(body)
        assert event["type"] == "feedback.assigned"
        public = event["data"]["feedback"]
        assert public["referenceCode"] == feedback["referenceCode"] and public["status"] == "ASSIGNED"
        # The public view only: rounded coordinates, nothing about the author.
        assert public["location"]["latitude"] == round(feedback["location"]["latitude"], 3)
        assert "author" not in json.dumps(public).lower()

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            log = gql(DELIVERIES, token=token)["appWebhookDeliveries"]
            if log["edges"] and log["edges"][0]["node"]["status"] == "DELIVERED":
                break
            time.sleep(0.3)
        node = log["edges"][0]["node"]
        assert node["status"] == "DELIVERED" and node["attempts"] == 2 and node["lastResponseStatus"] == 200
        assert json.loads(node["payload"]) == event
    finally:
        receiver.close()


def test_only_apps_subscribe_and_urls_are_checked(webhook_hub: HubProcess) -> None:
    gql = GraphQLClient(webhook_hub.url)
    refused = gql.post(SUBSCRIBE, {"input": {"url": "https://example.org/hook"}}, token=resident(gql)).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    token = app_token(webhook_hub)
    for url, field in (("http://example.org/hook", "url"), ("ftp://x", "url")):
        payload = gql(SUBSCRIBE, {"input": {"url": url}}, token=token)["subscribeWebhook"]
        assert payload["errors"] == [{"code": "INVALID", "field": ["input", field]}]
    payload = gql(
        SUBSCRIBE, {"input": {"url": "https://example.org/h", "events": ["feedback.eaten"]}}, token=token
    )
    assert payload["subscribeWebhook"]["errors"] == [{"code": "INVALID", "field": ["input", "events"]}]


def test_an_app_reads_only_its_own_delivery_log(webhook_hub: HubProcess) -> None:
    gql = GraphQLClient(webhook_hub.url)
    log = gql(DELIVERIES, token=app_token(webhook_hub))["appWebhookDeliveries"]
    assert log == {"totalCount": 0, "edges": []}
