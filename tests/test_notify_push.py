"""Web Push end to end: a local push service checks the VAPID signature and decrypts what the hub sends."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.conftest import register
from tests.feedback_helpers import categories, staff, submit
from tests.notify_helpers import wait_for
from tests.support import GraphQLClient, HubProcess, free_port, query_db

REGISTER_PUSH = """
mutation($input: PushSubscriptionInput!) {
  registerPushSubscription(input: $input) { ok errors { field code } }
}"""
UNREGISTER_PUSH = """
mutation($endpoint: String!) {
  unregisterPushSubscription(input: {endpoint: $endpoint}) { ok errors { code } }
}"""
PREFERENCES = """
mutation($kinds: [NotificationKind!]!) {
  setNotificationPreferences(input: {pushKinds: $kinds}) { preferences { pushKinds } errors { code } }
}"""
REPLY = """mutation($input: ReplyToFeedbackInput!) { replyToFeedback(input: $input) { errors { code } } }"""
PUBLISH = """
mutation($input: PublishAnnouncementInput!) { publishAnnouncement(input: $input) { errors { code } } }"""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """What a browser keeps for one push subscription: its key pair and auth secret."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    @property
    def p256dh(self) -> str:
        return b64url(self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))


class PushService:
    """A push service on a loopback port. Each path answers the statuses queued for it (then 201)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.browsers: dict[str, Browser] = {}
        self.script: dict[str, list[int]] = defaultdict(list)
        self.received: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.attempts: dict[str, int] = defaultdict(int)
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def endpoint(self, name: str) -> str:
        self.browsers[name] = Browser()
        return f"{self.base}/push/{name}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                name = self.path.rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                service.attempts[name] += 1
                script = service.script[name]
                status = script.pop(0) if script else 201
                if status == 201:
                    service.received[name].append(service.check(name, dict(self.headers), body))
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def check(self, name: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        """What a real push service and browser verify: the VAPID JWT, then the aes128gcm payload."""
        lowered = {k.lower(): v for k, v in headers.items()}
        scheme, _, params = lowered["authorization"].partition(" ")
        assert scheme.lower() == "vapid"
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        raw_key = unb64url(fields["k"])
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw_key)
        claims = jwt.decode(fields["t"], public, algorithms=["ES256"], audience=self.base)
        assert claims["exp"] > time.time() and claims["sub"].startswith(("mailto:", "https://"))
        assert lowered["content-encoding"] == "aes128gcm"
        browser = self.browsers[name]
        plain = http_ece.decrypt(body, private_key=browser.key, auth_secret=browser.auth, version="aes128gcm")
        return {
            "vapid_key": fields["k"],
            "ttl": int(lowered["ttl"]),
            "urgency": lowered.get("urgency"),
            "message": json.loads(plain),
        }


@pytest.fixture(scope="module")
def push_service() -> Any:
    service = PushService()
    service.thread.start()
    yield service
    service.server.shutdown()


@pytest.fixture(scope="module")
def units(gql: GraphQLClient) -> dict[str, str]:
    rows = gql("{ administrativeUnits(level: COMMUNE) { id code } }")["administrativeUnits"]
    return {row["code"]: row["id"] for row in rows}


def subscribe(gql: GraphQLClient, token: str, service: PushService, name: str) -> None:
    endpoint = service.endpoint(name)
    browser = service.browsers[name]
    data = {"endpoint": endpoint, "p256dh": browser.p256dh, "auth": b64url(browser.auth)}
    payload = gql(REGISTER_PUSH, {"input": data}, token=token)["registerPushSubscription"]
    assert payload == {"ok": True, "errors": []}


def test_push_subscriptions_must_be_https_with_valid_keys(gql):
    token = register(gql)["accessToken"]
    browser = Browser()
    good = {"p256dh": browser.p256dh, "auth": b64url(browser.auth)}
    for endpoint in ("http://push.example.com/x", "ftp://127.0.0.1/x", "not a url"):
        payload = gql(REGISTER_PUSH, {"input": {"endpoint": endpoint, **good}}, token=token)
        assert payload["registerPushSubscription"]["errors"] == [
            {"field": ["input", "endpoint"], "code": "INVALID"}
        ]
    bad_keys = {"endpoint": "https://push.example.com/x", "p256dh": "AAAA", "auth": b64url(b"short")}
    errors = gql(REGISTER_PUSH, {"input": bad_keys}, token=token)["registerPushSubscription"]["errors"]
    assert sorted(e["field"][1] for e in errors) == ["auth", "p256dh"]
    visitor = gql(REGISTER_PUSH, {"input": {"endpoint": "https://push.example.com/y", **good}})
    assert [e["code"] for e in visitor["registerPushSubscription"]["errors"]] == ["UNAUTHENTICATED"]


def test_a_change_comes_by_push_signed_encrypted_and_without_personal_data(hub, gql, push_service):
    cadre = staff(hub, gql, "cadre", "UBND-VUNGTAU")
    author = register(gql, fullName="Quách Thị Đẩy", language="EN")
    subscribe(gql, author["accessToken"], push_service, "author")
    fb = submit(gql, author["accessToken"], categories(gql)["ROADS"]["id"])
    gql(REPLY, {"input": {"id": fb["id"], "message": "Đã nhận."}}, token=cadre)
    got = wait_for(lambda: push_service.received["author"], what="the push message")[0]
    assert got["vapid_key"] == gql("{ webPushPublicKey }")["webPushPublicKey"]
    assert got["urgency"] == "normal" and got["ttl"] > 0
    message = got["message"]
    assert message["title"] == f"The agency replied to {fb['referenceCode']}"  # the recipient's language
    assert message["link"].startswith(hub.url) and set(message) == {"title", "link"}
    text = json.dumps(message, ensure_ascii=False)
    assert author["account"]["phone"] not in text and "Quách" not in text


def test_preferences_mute_a_kind_but_emergencies_always_push(hub, gql, push_service, units):
    cadre = staff(hub, gql, "cadre", "UBND-VUNGTAU")
    admin = staff(hub, gql, "admin")
    quiet = register(gql, fullName="Âu Thị Lặng", homeUnitId=units["26506"])["accessToken"]
    subscribe(gql, quiet, push_service, "quiet")
    prefs = gql(PREFERENCES, {"kinds": ["ANNOUNCEMENT"]}, token=quiet)["setNotificationPreferences"]
    assert prefs == {"preferences": {"pushKinds": ["ANNOUNCEMENT"]}, "errors": []}
    assert gql("{ viewer { notificationPreferences { pushKinds } } }", token=quiet)["viewer"] == {
        "notificationPreferences": {"pushKinds": ["ANNOUNCEMENT"]}
    }
    fb = submit(gql, quiet, categories(gql)["ROADS"]["id"])
    gql(REPLY, {"input": {"id": fb["id"], "message": "Đã nhận."}}, token=cadre)
    # Muted kinds still reach the inbox.
    wait_for(
        lambda: gql("{ viewer { unreadNotificationCount } }", token=quiet)["viewer"][
            "unreadNotificationCount"
        ],
        what="the inbox",
    )
    assert gql(PREFERENCES, {"kinds": []}, token=quiet)["setNotificationPreferences"]["errors"] == []
    warning = {"title": "Lốc xoáy", "body": "Tránh xa bờ biển.", "unitIds": [units["26506"]]}
    gql(PUBLISH, {"input": {**warning, "severity": "WARNING"}}, token=admin)
    gql(PUBLISH, {"input": {**warning, "title": "Sơ tán khẩn cấp", "severity": "EMERGENCY"}}, token=admin)
    got = wait_for(lambda: push_service.received["quiet"], what="the emergency push")
    time.sleep(1)  # give the muted ones every chance to (wrongly) arrive
    titles = [m["message"]["title"] for m in push_service.received["quiet"]]
    assert titles == ["Sơ tán khẩn cấp"] and got[0]["urgency"] == "high"


def test_gone_subscriptions_are_deleted_and_busy_push_services_are_retried(hub, gql, push_service):
    cadre = staff(hub, gql, "cadre", "UBND-VUNGTAU")
    author = register(gql)["accessToken"]
    subscribe(gql, author, push_service, "busy")
    subscribe(gql, author, push_service, "gone")
    push_service.script["busy"] = [429, 503]
    push_service.script["gone"] = [410]
    fb = submit(gql, author, categories(gql)["ROADS"]["id"])
    gql(REPLY, {"input": {"id": fb["id"], "message": "Đã nhận."}}, token=cadre)
    wait_for(lambda: push_service.received["busy"], timeout=20, what="the retried push")
    assert push_service.attempts["busy"] == 3
    endpoint = f"{push_service.base}/push/gone"
    rows = query_db(
        hub.database.url, "SELECT id FROM push_subscriptions WHERE endpoint = :e", {"e": endpoint}
    )
    assert rows == [] and push_service.attempts["gone"] == 1


def test_an_unregistered_browser_gets_no_more_pushes(hub, gql, push_service):
    cadre = staff(hub, gql, "cadre", "UBND-VUNGTAU")
    author, other = register(gql)["accessToken"], register(gql)["accessToken"]
    subscribe(gql, author, push_service, "signed-out")
    subscribe(gql, author, push_service, "still-in")
    endpoint = f"{push_service.base}/push/signed-out"
    # Someone else cannot switch off another account's push; a visitor must sign in.
    assert gql(UNREGISTER_PUSH, {"endpoint": endpoint}, token=other)["unregisterPushSubscription"]["ok"]
    visitor = gql(UNREGISTER_PUSH, {"endpoint": endpoint})["unregisterPushSubscription"]
    assert visitor == {"ok": False, "errors": [{"code": "UNAUTHENTICATED"}]}
    count = "SELECT count(*) FROM push_subscriptions WHERE endpoint = :e"
    assert query_db(hub.database.url, count, {"e": endpoint}) == [(1,)]
    mine = gql(UNREGISTER_PUSH, {"endpoint": endpoint}, token=author)["unregisterPushSubscription"]
    assert mine == {"ok": True, "errors": []}
    assert query_db(hub.database.url, count, {"e": endpoint}) == [(0,)]
    fb = submit(gql, author, categories(gql)["ROADS"]["id"])
    gql(REPLY, {"input": {"id": fb["id"], "message": "Đã nhận."}}, token=cadre)
    wait_for(lambda: push_service.received["still-in"], what="the push to the other browser")
    time.sleep(0.5)
    assert push_service.attempts["signed-out"] == 0


def test_vapid_keys_come_from_the_environment_or_data_dir(hub: HubProcess, gql, new_hub):
    key = ec.generate_private_key(ec.SECP256R1())
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    given = new_hub({"VAPID_PRIVATE_KEY": pem}, demo=False)
    client = GraphQLClient(given.url)
    try:
        expected = b64url(key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))
        assert client("{ webPushPublicKey }")["webPushPublicKey"] == expected
    finally:
        client.close()
    # Generated on first start, kept in DATA_DIR: the same key after a restart.
    assert (hub.data_dir / "keys" / "vapid-private.pem").exists()
    assert len(unb64url(gql("{ webPushPublicKey }")["webPushPublicKey"])) == 65


def owed_pushes(url: str, endpoint: str) -> list[tuple[Any, ...]]:
    """The push_deliveries rows still owed to one browser: (attempts, last_error)."""
    return query_db(
        url,
        "SELECT d.attempts, d.last_error FROM push_deliveries d"
        " JOIN push_subscriptions s ON s.id = d.subscription_id WHERE s.endpoint = :e",
        {"e": endpoint},
    )


def test_a_push_service_down_twice_gets_the_push_exactly_once(hub, gql, push_service):
    cadre = staff(hub, gql, "cadre", "UBND-VUNGTAU")
    author = register(gql, language="EN")["accessToken"]
    subscribe(gql, author, push_service, "twice-down")
    push_service.script["twice-down"] = [503, 503]
    fb = submit(gql, author, categories(gql)["ROADS"]["id"])
    gql(REPLY, {"input": {"id": fb["id"], "message": "Đã nhận."}}, token=cadre)
    wait_for(lambda: push_service.received["twice-down"], timeout=20, what="the push after two 503s")
    endpoint = f"{push_service.base}/push/twice-down"
    wait_for(lambda: not owed_pushes(hub.database.url, endpoint), what="the delivery row to go")
    time.sleep(1)  # a wrongly repeated send would arrive now
    received = push_service.received["twice-down"]
    assert push_service.attempts["twice-down"] == 3 and len(received) == 1
    assert received[0]["message"]["title"] == f"The agency replied to {fb['referenceCode']}"


def test_a_pending_push_survives_a_restart_of_the_hub(new_hub, push_service):
    # Long enough a backoff that the hub is stopped between two attempts; short enough to keep the test quick.
    hub = new_hub({"PUSH_BACKOFF_SECONDS": "3", "DISPATCH_POLL_SECONDS": "0.2"})
    gql = GraphQLClient(hub.url)
    try:
        cadre = staff(hub, gql, "cadre", "UBND-VUNGTAU")
        author = register(gql, language="EN")["accessToken"]
        subscribe(gql, author, push_service, "restart")
        endpoint = f"{push_service.base}/push/restart"
        push_service.script["restart"] = [503] * 100
        fb = submit(gql, author, categories(gql)["ROADS"]["id"])
        gql(REPLY, {"input": {"id": fb["id"], "message": "Đã nhận."}}, token=cadre)
        wait_for(
            lambda: [r for r in owed_pushes(hub.database.url, endpoint) if r[0] >= 1],
            timeout=20,
            what="a failed first attempt",
        )
        hub.stop()
        # The hub is gone; what it still owes is in the database, not in its memory.
        assert owed_pushes(hub.database.url, endpoint) == [(1, "HTTP 503")]
        assert push_service.received["restart"] == []
        push_service.script["restart"] = []  # the push service is back
        hub.start()
        got = wait_for(
            lambda: push_service.received["restart"], timeout=20, what="the push after the restart"
        )
        assert got[0]["message"]["title"] == f"The agency replied to {fb['referenceCode']}"
        wait_for(lambda: not owed_pushes(hub.database.url, endpoint), what="the delivery row to go")
        time.sleep(1)
        assert len(push_service.received["restart"]) == 1
    finally:
        gql.close()
