"""The PWA's lists page on with "show more"; a cadre hands a report to another agency and marks one as a
duplicate; Web Push is asked for only after a report or in Settings, a notification's click opens its
screen, and switching push off or signing out ends it for this browser on the hub too. Debian's Chromium
(Playwright) against a real hub, axe-core on the new controls.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import STRONG_PASSWORD, register, unique_phone
from tests.feedback_helpers import VUNG_TAU, categories, submit
from tests.pwa_support import axe_violations, browser_context, describe  # noqa: F401
from tests.support import GraphQLClient, HubProcess, query_db

# Counts the page's calls of Notification.requestPermission (the real one still runs).
COUNT_PERMISSION_REQUESTS = """
window.__permissionRequests = 0;
if (window.Notification) {
  const ask = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = (...args) => { window.__permissionRequests += 1; return ask(...args); };
}
"""
# Headless Chromium has no push service (pushManager.subscribe fails): this stands in for the browser's
# side of one, keeping its subscription in localStorage so that it outlives a reload. The hub is not stubbed:
# the PWA registers and unregisters through its real GraphQL API.
FAKE_PUSH_SERVICE = """
(() => {
  const conf = %s, KEY = '__pushEndpoint';
  const bytes = (b64) => Uint8Array.from(atob(b64.replace(/-/g, '+').replace(/_/g, '/')),
    (c) => c.charCodeAt(0)).buffer;
  const subscription = (endpoint) => ({ endpoint, getKey: (name) => bytes(conf[name]),
    unsubscribe: async () => { localStorage.removeItem(KEY); return true; } });
  PushManager.prototype.getSubscription = async function () {
    const endpoint = localStorage.getItem(KEY);
    return endpoint ? subscription(endpoint) : null;
  };
  PushManager.prototype.subscribe = async function () {
    localStorage.setItem(KEY, conf.base + crypto.randomUUID());
    return subscription(localStorage.getItem(KEY));
  };
})();
"""
BROWSER_ENDPOINT = "() => localStorage.getItem('__pushEndpoint')"
SIGNED_OUT = """() => new Promise((resolve, reject) => { const r = indexedDB.open('citizen-hub');
  r.onerror = reject;
  r.onsuccess = () => { const get = r.result.transaction('kv').objectStore('kv').get('refreshToken');
  get.onsuccess = () => resolve(get.result === undefined); }; })"""
LINKS = "(sel) => [...document.querySelectorAll(sel)].map((a) => a.getAttribute('href'))"
SETTLED = "() => !document.querySelector('main').textContent.includes('Đang tải')"
H1_IS = "(n) => document.querySelector('main h1').textContent === n"
PAGE_ERRORS: list[str] = []
NAVIGATE = "(p) => { history.pushState(null, '', p); dispatchEvent(new PopStateEvent('popstate')); }"
OFFERED = "(id) => [...document.querySelectorAll('[name=duplicateOfId] option')].some(o => o.value === id)"
FEEDBACK = """query($id: ID!) { node(id: $id) { ... on Feedback {
  status version duplicateOf { id } assignedAgency { id code name } } } }"""


@pytest.fixture(scope="module")
def page(browser_context: Any) -> Any:  # noqa: F811
    page = browser_context.new_page()
    page.add_init_script(COUNT_PERMISSION_REQUESTS)
    page.on("pageerror", lambda e: PAGE_ERRORS.append(f"{e} (at {page.url})"))
    return page


def sign_in(page: Any, hub: HubProcess, phone: str, next_path: str) -> None:
    page.goto(f"{hub.url}/signin?next={quote(next_path, safe='')}")
    page.wait_for_selector("main h1[tabindex]")
    page.get_by_label("Số điện thoại").fill(phone)
    page.get_by_label("Mật khẩu").fill(STRONG_PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(hub.url + next_path)


def sign_out(page: Any, hub: HubProcess) -> None:
    page.goto(hub.url + "/me")
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(hub.url + "/")


def nav(page: Any, path: str) -> None:
    """Client-side navigation, as a tap on a link does."""
    page.evaluate(NAVIGATE, path)
    page.wait_for_selector("main h1[tabindex]")
    page.wait_for_function(SETTLED)


def show_more(page: Any, item_links: str, before: int) -> list[str]:
    """Press "Xem thêm"; returns the list's links once the next page is in."""
    page.get_by_role("button", name="Xem thêm").click()
    page.wait_for_function(f"(n) => document.querySelectorAll({item_links!r}).length > n", arg=before)
    return page.evaluate(LINKS, item_links)


def test_show_more_on_my_reports_the_feed_and_the_catalogue(
    page: Any, hub: HubProcess, gql: GraphQLClient
) -> None:
    phone = unique_phone()
    token = register(gql, phone=phone)["accessToken"]
    category = next(iter(categories(gql).values()))["id"]
    mine = [submit(gql, token, category, title=f"Rác tồn đọng số {i:02d}")["id"] for i in range(23)]
    sign_in(page, hub, phone, "/my-reports")
    page.wait_for_function("() => document.querySelectorAll('#my-reports a').length === 20")
    links = show_more(page, "#my-reports a", 20)
    assert sorted(links) == sorted(f"/reports/{quote(i, safe='')}" for i in mine)  # every one, once
    assert page.get_by_role("button", name="Xem thêm").count() == 0  # nothing more to show
    # Reading goes on where the new items start.
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == links[20]

    nav(page, "/feed")
    assert len(page.evaluate(LINKS, "main li.card a")) == 20
    assert axe_violations(page) == []  # with the button showing
    links = show_more(page, "main li.card a", 20)
    assert len(links) == 40 and len(set(links)) == 40  # the second page follows, no report twice

    nav(page, "/services")
    page.wait_for_function("() => document.querySelectorAll('main li.card a').length === 20")
    links = show_more(page, "main li.card a", 20)
    assert len(links) == 40 and len(set(links)) == 40
    total = int("".join(c for c in page.locator("main [role=status]").inner_text() if c.isdigit()))
    assert total > 40 and page.get_by_role("button", name="Xem thêm").count() == 1
    assert PAGE_ERRORS == []
    sign_out(page, hub)


def test_cadre_hands_a_report_over_and_marks_a_duplicate(
    page: Any, hub: HubProcess, gql: GraphQLClient
) -> None:
    token = register(gql)["accessToken"]
    category = next(iter(categories(gql).values()))["id"]
    # A few hundred metres from where other tests report, so that the original is the nearest candidate.
    spot = {"latitude": VUNG_TAU["latitude"] + 0.004, "longitude": VUNG_TAU["longitude"] - 0.002}
    near = {"latitude": spot["latitude"] + 0.0004, "longitude": spot["longitude"]}
    original = submit(gql, token, category, title="Cây đổ chắn lối đi", location=spot)
    again = submit(gql, token, category, title="Cây đổ giữa đường", location=near)
    agency = original["assignedAgency"]["code"]
    assert again["assignedAgency"]["code"] == agency
    phone = unique_phone()
    hub.run_cli(
        *("create-user", "--phone", phone, "--password", STRONG_PASSWORD, "--name", "Đỗ Văn Cán"),
        *("--role", "cadre", "--agency", agency),
        check=True,
    )
    sign_in(page, hub, phone, f"/reports/{quote(again['id'], safe='')}")
    page.wait_for_function(H1_IS, arg="Cây đổ giữa đường")
    # The original is offered among the reports of the same kind nearby; the report itself is not.
    choice = page.get_by_label("Phản ánh gốc")
    page.wait_for_function(OFFERED, arg=original["id"])
    values = choice.locator("option").evaluate_all("(os) => os.map((o) => o.value)")
    assert again["id"] not in values
    assert axe_violations(page) == [], describe(axe_violations(page))
    page.get_by_role("button", name="Đánh dấu trùng").click()  # nothing chosen yet: said, not sent
    page.locator(".error-summary").wait_for()
    assert choice.get_attribute("aria-invalid") == "true"
    assert gql(FEEDBACK, {"id": again["id"]})["node"]["status"] != "DUPLICATE"
    choice.select_option(original["id"])
    page.get_by_role("button", name="Đánh dấu trùng").click()
    page.locator("dl.facts").get_by_text("Trùng lặp").wait_for()
    marked = gql(FEEDBACK, {"id": again["id"]})["node"]
    assert marked["status"] == "DUPLICATE" and marked["duplicateOf"]["id"] == original["id"]
    assert page.get_by_label("Phản ánh gốc").count() == 0  # closed: no more hand-over or duplicate

    page.goto(f"{hub.url}/reports/{quote(original['id'], safe='')}")
    page.wait_for_function(H1_IS, arg="Cây đổ chắn lối đi")
    target = page.get_by_label("Cơ quan xử lý")
    page.wait_for_selector("select[name=agencyId] option:nth-child(2)", state="attached")
    names = target.locator("option").evaluate_all("(os) => os.map((o) => o.value)")
    assert original["assignedAgency"]["id"] not in names  # not to the agency that holds it
    target.select_option(index=1)
    chosen = target.evaluate("(s) => s.selectedOptions[0].textContent")
    page.get_by_role("button", name="Chuyển cơ quan").click()
    page.locator("dl.facts").get_by_text(chosen).wait_for()
    moved = gql(FEEDBACK, {"id": original["id"]})["node"]
    assert moved["assignedAgency"]["name"] == chosen and moved["status"] == "ASSIGNED"
    assert PAGE_ERRORS == []
    sign_out(page, hub)


def test_push_permission_is_asked_only_after_a_report_or_in_settings(
    page: Any, hub: HubProcess, gql: GraphQLClient
) -> None:
    phone = unique_phone()
    register(gql, phone=phone)
    sign_in(page, hub, phone, "/")
    for path in ["/services", "/feed", "/my-reports", "/notifications", "/dossiers", "/settings", "/report"]:
        nav(page, path)
    assert page.evaluate("() => Notification.permission") == "default"
    assert page.evaluate("() => window.__permissionRequests") == 0  # looking around asks nothing
    page.wait_for_selector("select[name=categoryId] option:nth-child(2)", state="attached")
    page.get_by_label("Loại vấn đề").select_option(index=1)
    page.get_by_label("Tiêu đề").fill("Đèn tín hiệu giao thông tắt")
    page.get_by_label("Mô tả").fill("Đèn ở ngã tư tắt từ sáng, xe cộ lộn xộn.")
    page.wait_for_selector("select[name=ward] option:nth-child(2)", state="attached")
    page.get_by_label("Hoặc chọn phường, xã").select_option(index=1)
    page.get_by_role("button", name="Gửi phản ánh").click()
    page.locator(".notice.ok").wait_for()
    page.wait_for_function("() => window.__permissionRequests === 1")  # once the report is sent
    nav(page, "/settings")
    nav(page, "/report")  # another visit to the form does not ask again
    assert page.evaluate("() => window.__permissionRequests") == 1
    nav(page, "/settings")
    page.get_by_label("Nhận thông báo đẩy trên thiết bị này").click()
    page.wait_for_function("() => window.__permissionRequests === 2")  # the person switched it on
    assert PAGE_ERRORS == []
    sign_out(page, hub)


def test_a_notification_click_opens_the_screen_it_is_about(
    page: Any, hub: HubProcess, gql: GraphQLClient
) -> None:
    """The hub's push payload → the worker's notification → a click: the open app shows the report."""
    context = page.context
    first = gql("{ feedbacks(first: 1) { edges { node { id } } } }")["feedbacks"]["edges"][0]
    feedback_id = first["node"]["id"]
    context.grant_permissions(["notifications"], origin=hub.url)
    page.goto(hub.url + "/feed")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    cdp = context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(300)
    registration = next(r for r in registrations if r["scopeURL"] == hub.url + "/" and not r["isDeleted"])
    link_id = feedback_id.replace("+", "-").replace("/", "_")
    payload = {"title": "Phản ánh bạn theo dõi có tin mới", "link": f"{hub.url}/#/feedback/{link_id}"}
    shown = "async () => (await (await navigator.serviceWorker.ready).getNotifications()).length"
    for _attempt in range(3):  # a stopped worker is started for the message; on a busy machine, ask again
        message = {"origin": hub.url, "registrationId": registration["registrationId"]}
        cdp.send("ServiceWorker.deliverPushMessage", {**message, "data": json.dumps(payload)})
        for _ in range(40):  # the worker shows it asynchronously
            if page.evaluate(shown):
                break
            page.wait_for_timeout(100)
        if page.evaluate(shown):
            break
    assert page.evaluate(shown) == 1
    # Headless Chromium has no notification to tap: the worker gets the click event a tap would send.
    worker = next(w for w in context.service_workers if w.url.startswith(hub.url))
    worker.evaluate(
        "async () => { const [n] = await self.registration.getNotifications();"
        " self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n })); }"
    )
    page.wait_for_url(f"{hub.url}/reports/{quote(feedback_id, safe='')}")
    page.wait_for_selector("main h2#tl-h")  # the report's page, with its timeline
    assert page.evaluate(shown) == 0  # and the notification is gone
    assert PAGE_ERRORS == []


def fake_push_keys(base: str) -> dict[str, str]:
    """A subscription's keys as a browser makes them: a P-256 public point and a 16-byte secret."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    point = ec.generate_private_key(ec.SECP256R1()).public_key()
    raw = point.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return {
        "base": base,
        "p256dh": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "auth": base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="),
    }


def test_push_off_and_sign_out_end_push_to_this_browser_on_the_hub(
    browser_context: Any,  # noqa: F811
    hub: HubProcess,
    gql: GraphQLClient,
) -> None:
    """A shared phone: switching push off, or signing out, leaves the hub no subscription for this browser."""
    context = browser_context
    context.grant_permissions(["notifications"], origin=hub.url)
    base = f"http://127.0.0.1:9/push/{uuid.uuid4()}/"  # loopback: the hub accepts http there
    page = context.new_page()
    page.add_init_script(FAKE_PUSH_SERVICE % json.dumps(fake_push_keys(base)))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"{e} (at {page.url})"))

    def on_hub() -> list[str]:
        rows = query_db(
            hub.database.url,
            "SELECT endpoint FROM push_subscriptions WHERE endpoint LIKE :b",
            {"b": base + "%"},
        )
        return [row[0] for row in rows]

    def switch_push(on: bool) -> None:
        toggle = page.get_by_label("Nhận thông báo đẩy trên thiết bị này")
        toggle.check() if on else toggle.uncheck()
        status = "Đã bật thông báo đẩy." if on else "Đã tắt thông báo đẩy."
        page.locator("main [role=status]").get_by_text(status).wait_for()

    phone = unique_phone()
    register(gql, phone=phone)
    sign_in(page, hub, phone, "/settings")
    switch_push(True)
    first = page.evaluate(BROWSER_ENDPOINT)
    assert first.startswith(base) and on_hub() == [first]  # the PWA registered the browser's subscription
    assert axe_violations(page) == [], describe(axe_violations(page))
    switch_push(False)
    assert page.evaluate(BROWSER_ENDPOINT) is None  # the browser's subscription ended
    assert on_hub() == []  # and the hub no longer has it

    # Sign-out: even when the browser no longer hands out the subscription (dropped by the push service,
    # permission withdrawn), the endpoint the PWA registered is unregistered.
    switch_push(True)
    second = page.evaluate(BROWSER_ENDPOINT)
    assert on_hub() == [second]
    page.evaluate("() => localStorage.removeItem('__pushEndpoint')")
    sign_out(page, hub)
    assert on_hub() == []
    assert page.evaluate(SIGNED_OUT)
    nav(page, "/settings")  # the next person on this phone starts with push off
    assert not page.get_by_label("Nhận thông báo đẩy trên thiết bị này").is_checked()

    # Offline, sign-out still completes; the browser's subscription ends, so the push service will refuse the
    # hub's next message to it (and the hub drops a subscription that is gone).
    sign_in(page, hub, phone, "/settings")
    switch_push(True)
    third = page.evaluate(BROWSER_ENDPOINT)
    nav(page, "/me")
    context.set_offline(True)
    try:
        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_url(hub.url + "/")
        page.wait_for_function(SIGNED_OUT)
        assert page.evaluate(BROWSER_ENDPOINT) is None
    finally:
        context.set_offline(False)
    assert on_hub() == [third]  # nobody could tell the hub: it learns from the push service
    assert errors == []
    page.close()
