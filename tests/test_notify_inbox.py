"""The inbox: feedback changes reach the author, followers, supporters and cadres, in their language."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import register
from tests.feedback_helpers import categories, resident, staff, submit
from tests.notify_helpers import MARK_READ, inbox, wait_for, wait_inbox
from tests.support import GraphQLClient, HubProcess

TRANSITION = """
mutation($input: TransitionFeedbackInput!) { transitionFeedback(input: $input) { errors { code } } }"""
REPLY = """mutation($input: ReplyToFeedbackInput!) { replyToFeedback(input: $input) { errors { code } } }"""
REOPEN = """mutation($input: ReopenFeedbackInput!) { reopenFeedback(input: $input) { errors { code } } }"""
FOLLOW = """mutation($input: SetFeedbackFlagInput!) { followFeedback(input: $input) { errors { code } } }"""
SUPPORT = """mutation($input: SetFeedbackFlagInput!) { supportFeedback(input: $input) { errors { code } } }"""


def run(gql: GraphQLClient, mutation: str, token: str, **fields: Any) -> None:
    payload = next(iter(gql(mutation, {"input": fields}, token=token).values()))
    assert payload["errors"] == [], payload["errors"]


def titles(viewer: dict[str, Any]) -> list[str]:
    return [edge["node"]["title"] for edge in viewer["notifications"]["edges"]]


@pytest.fixture(scope="module")
def story(hub: HubProcess, gql: GraphQLClient) -> dict[str, Any]:
    """A feedback handled by a cadre, with an English-speaking author, a follower and a supporter."""
    cadre = staff(hub, gql, "cadre", "UBND-VUNGTAU")
    author = register(gql, fullName="Lê Văn Tác", language="EN")["accessToken"]
    follower = resident(gql, "Đỗ Thị Theo")
    supporter = resident(gql, "Võ Văn Ủng")
    bystander = resident(gql, "Ngô Văn Ngoài")
    fb = submit(gql, author, categories(gql)["ROADS"]["id"])
    run(gql, FOLLOW, follower, id=fb["id"], value=True)
    run(gql, SUPPORT, supporter, id=fb["id"], value=True)
    run(gql, TRANSITION, cadre, id=fb["id"], status="IN_PROGRESS", expectedVersion=1)
    run(gql, REPLY, cadre, id=fb["id"], message="Tổ duy tu sẽ đến trong hôm nay.")
    return {
        "fb": fb,
        "cadre": cadre,
        "author": author,
        "follower": follower,
        "supporter": supporter,
        "bystander": bystander,
    }


def test_changes_reach_author_followers_and_supporters_in_their_language(gql, story):
    ref = story["fb"]["referenceCode"]
    wait_inbox(gql, story["author"], 2)
    # Read again once both are in: the page, its total and the unread count are separate statements, and
    # the dispatcher may have committed the second notification between them while we waited.
    author = inbox(gql, story["author"], first=20)
    assert titles(author) == [f"The agency replied to {ref}", f"Feedback {ref}: In progress"]
    assert author["unreadNotificationCount"] == 2
    node = author["notifications"]["edges"][0]["node"]
    assert node["kind"] == "FEEDBACK_UPDATE" and node["readAt"] is None
    assert node["subject"] == {"id": story["fb"]["id"], "referenceCode": ref, "status": "IN_PROGRESS"}
    for who in ("follower", "supporter"):
        viewer = wait_inbox(gql, story[who], 2)
        assert titles(viewer) == [f"Cơ quan đã trả lời phản ánh {ref}", f"Phản ánh {ref}: Đang xử lý"]
    # Nobody else hears of it; the cadre who acted is not told about their own moves.
    assert inbox(gql, story["bystander"])["notifications"]["totalCount"] == 0
    cadre_titles = titles(inbox(gql, story["cadre"], first=20))
    assert f"New feedback assigned: {ref}" not in cadre_titles  # cadres speak Vietnamese by default
    assert f"Phản ánh mới được giao: {ref}" in cadre_titles
    assert not any(t.startswith(f"Phản ánh {ref}:") or "trả lời" in t for t in cadre_titles)


def test_reopening_tells_the_agency(gql, story):
    fb, cadre = story["fb"], story["cadre"]
    run(gql, TRANSITION, cadre, id=fb["id"], status="RESOLVED", expectedVersion=3)
    wait_inbox(gql, story["author"], 3)
    run(gql, REOPEN, story["author"], id=fb["id"], reason="Ổ gà vẫn còn nguyên.")
    ref = fb["referenceCode"]

    def reopened() -> bool:
        return f"Phản ánh {ref} được mở lại" in titles(inbox(gql, cadre, first=20))

    wait_for(reopened, what="the cadre's reopen notification")
    follower = wait_inbox(gql, story["follower"], 4)
    assert titles(follower)[0] == f"Phản ánh {ref} được mở lại"


def test_mark_read_given_ids_or_all_and_only_ones_own(gql, story):
    author = wait_inbox(gql, story["author"], 3)
    ids = [edge["node"]["id"] for edge in author["notifications"]["edges"]]
    # Someone else's ids change nothing for anyone.
    other = gql(MARK_READ, {"input": {"ids": ids}}, token=story["bystander"])["markNotificationsRead"]
    assert other == {"unreadCount": 0, "errors": []}
    assert inbox(gql, story["author"])["unreadNotificationCount"] == len(ids)
    one = gql(MARK_READ, {"input": {"ids": ids[:1]}}, token=story["author"])["markNotificationsRead"]
    assert one == {"unreadCount": len(ids) - 1, "errors": []}
    unread = inbox(gql, story["author"], unread=True)
    assert [e["node"]["id"] for e in unread["notifications"]["edges"]] == ids[1:]
    assert unread["notifications"]["totalCount"] == len(ids) - 1
    read = inbox(gql, story["author"])["notifications"]["edges"][0]["node"]
    assert read["id"] == ids[0] and read["readAt"] is not None
    everything = gql(MARK_READ, {"input": {}}, token=story["author"])["markNotificationsRead"]
    assert everything == {"unreadCount": 0, "errors": []}
    assert inbox(gql, story["author"], unread=True)["notifications"]["totalCount"] == 0


def test_mark_read_refuses_bad_ids_and_visitors(gql, story):
    bad = gql(MARK_READ, {"input": {"ids": ["not-an-id"]}}, token=story["follower"])["markNotificationsRead"]
    assert bad["errors"] == [{"field": ["input", "ids", "0"], "code": "INVALID"}]
    anonymous = gql(MARK_READ, {"input": {}})["markNotificationsRead"]
    assert [e["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]


def test_inbox_pages_with_cursors_and_node_is_the_recipients_alone(gql, story):
    first = inbox(gql, story["follower"], first=1)["notifications"]
    assert first["pageInfo"]["hasNextPage"] is True and first["totalCount"] >= 3
    second = inbox(gql, story["follower"], first=1, after=first["pageInfo"]["endCursor"])["notifications"]
    assert second["edges"][0]["node"]["id"] != first["edges"][0]["node"]["id"]
    nid = first["edges"][0]["node"]["id"]
    query = "query($id: ID!) { node(id: $id) { ... on Notification { id title } } }"
    assert gql(query, {"id": nid}, token=story["follower"])["node"]["id"] == nid
    assert gql(query, {"id": nid}, token=story["bystander"])["node"] is None
    assert gql(query, {"id": nid})["node"] is None


def test_an_inbox_page_costs_the_same_statements_whatever_its_size(gql, story):
    counts = []
    for size in (1, 4):
        response = gql.post(
            "query($n: Int) { viewer { notifications(first: $n) { edges { node { id title subject { id "
            "... on Feedback { referenceCode category { code } unit { name } assignedAgency { code } } "
            "} } } } } }",
            {"n": size},
            token=story["follower"],
        )
        assert response.status_code == 200 and not response.json().get("errors")
        assert len(response.json()["data"]["viewer"]["notifications"]["edges"]) == size
        counts.append(int(response.headers["x-sql-statements"]))
    assert counts[0] == counts[1], counts
