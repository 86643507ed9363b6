"""The feedback lifecycle: cadres move it, authors reopen and rate, residents support and follow."""

from __future__ import annotations

from typing import Any

import pytest

from tests.feedback_helpers import (
    FEEDBACK_FIELDS,
    categories,
    execute_sql,
    jpeg_bytes,
    multipart,
    resident,
    staff,
    submit,
)
from tests.support import GraphQLClient, HubProcess

TRANSITION = f"""
mutation($input: TransitionFeedbackInput!) {{
  transitionFeedback(input: $input) {{ feedback {{ {FEEDBACK_FIELDS} }} errors {{ field code message }} }}
}}"""
ASSIGN = f"""
mutation($input: AssignFeedbackInput!) {{
  assignFeedback(input: $input) {{ feedback {{ {FEEDBACK_FIELDS} }} errors {{ field code }} }}
}}"""
REPLY = f"""
mutation($input: ReplyToFeedbackInput!) {{
  replyToFeedback(input: $input) {{ feedback {{ {FEEDBACK_FIELDS} }} errors {{ field code }} }}
}}"""
REOPEN = f"""
mutation($input: ReopenFeedbackInput!) {{
  reopenFeedback(input: $input) {{ feedback {{ {FEEDBACK_FIELDS} }} errors {{ field code }} }}
}}"""
RATE = f"""
mutation($input: RateFeedbackInput!) {{
  rateFeedback(input: $input) {{ feedback {{ {FEEDBACK_FIELDS} }} errors {{ field code }} }}
}}"""
SUPPORT = """
mutation($input: SetFeedbackFlagInput!) {
  supportFeedback(input: $input) {
    feedback { id supportCount viewerHasSupported viewerIsFollowing } errors { code }
  }
}"""
FOLLOW = """
mutation($input: SetFeedbackFlagInput!) {
  followFeedback(input: $input) { feedback { id viewerIsFollowing } errors { code } }
}"""
CONTACT = """
query($id: ID!) {
  node(id: $id) { ... on Feedback { authorContact { fullName phone } author { displayName } } }
}
"""
ACCESS_LOG = """
{ viewer { dataAccessLog(first: 10) {
  totalCount edges { node { what purpose accessor { displayName role agency { code } } } } } } }
"""


@pytest.fixture(scope="module")
def people(hub: HubProcess, gql: GraphQLClient) -> dict[str, str]:
    return {
        "cadre": staff(hub, gql, "cadre", "UBND-VUNGTAU"),
        "other_cadre": staff(hub, gql, "cadre", "UBND-BARIA"),
        "admin": staff(hub, gql, "admin"),
        "resident": resident(gql),
    }


def run(gql: GraphQLClient, mutation: str, token: str, **fields: Any) -> dict[str, Any]:
    data = gql(mutation, {"input": fields}, token=token)
    return next(iter(data.values()))


def ok(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["errors"] == [], payload["errors"]
    return payload["feedback"]


def new_feedback(gql: GraphQLClient, author: str, **fields: Any) -> dict[str, Any]:
    return submit(gql, author, categories(gql)["ROADS"]["id"], **fields)


def test_the_assigned_agency_moves_it_to_resolved_and_the_author_rates_it(gql, people):
    author = resident(gql, "Phạm Minh Tâm")
    fb = new_feedback(gql, author)
    assert fb["status"] == "ASSIGNED" and fb["version"] == 1
    started = ok(
        run(
            gql,
            TRANSITION,
            people["cadre"],
            id=fb["id"],
            status="IN_PROGRESS",
            expectedVersion=1,
            message="Đã tiếp nhận, cử tổ duy tu.",
        )
    )
    assert started["status"] == "IN_PROGRESS" and started["version"] == 2
    replied = ok(run(gql, REPLY, people["cadre"], id=fb["id"], message="Dự kiến xong trong 2 ngày."))
    assert replied["version"] == 3
    resolved = ok(run(gql, TRANSITION, people["cadre"], id=fb["id"], status="RESOLVED", expectedVersion=3))
    assert resolved["status"] == "RESOLVED"
    rated = ok(run(gql, RATE, author, id=fb["id"], rating=5, comment="Cảm ơn phường!"))
    assert rated["status"] == "CLOSED" and rated["rating"] == 5
    kinds = [(e["kind"], e["status"]) for e in rated["timeline"]]
    assert kinds == [
        ("SUBMITTED", "SUBMITTED"),
        ("ASSIGNED", "ASSIGNED"),
        ("STATUS_CHANGED", "IN_PROGRESS"),
        ("REPLY", None),
        ("STATUS_CHANGED", "RESOLVED"),
        ("RATED", "CLOSED"),
    ]
    cadre_event = rated["timeline"][2]
    assert (
        cadre_event["actor"]["role"] == "CADRE" and cadre_event["actor"]["agency"]["code"] == "UBND-VUNGTAU"
    )
    assert rated["timeline"][0]["actor"]["displayName"] == "Tâm P."
    assert rated["timeline"][1]["actor"] is None  # routing is the system's doing
    # Rated once: a second rating is refused.
    again = run(gql, RATE, author, id=fb["id"], rating=1)
    assert [e["code"] for e in again["errors"]] == ["ALREADY_EXISTS"]


def test_cadre_mutations_check_role_agency_version_and_the_machine(gql, people):
    author = resident(gql)
    fb = new_feedback(gql, author)
    move = {"id": fb["id"], "status": "IN_PROGRESS", "expectedVersion": 1}
    for who in ("resident", "other_cadre"):
        payload = run(gql, TRANSITION, people[who], **move)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["input", "id"], "FORBIDDEN")]
    assert [
        e["code"] for e in run(gql, REPLY, people["other_cadre"], id=fb["id"], message="x")["errors"]
    ] == ["FORBIDDEN"]
    assert [e["code"] for e in run(gql, TRANSITION, author, **move)["errors"]] == ["FORBIDDEN"]
    stale = run(gql, TRANSITION, people["cadre"], **{**move, "expectedVersion": 7})
    assert [(e["field"], e["code"]) for e in stale["errors"]] == [(["input", "expectedVersion"], "CONFLICT")]
    closed_too_early = run(gql, TRANSITION, people["cadre"], **{**move, "status": "CLOSED"})
    assert [e["code"] for e in closed_too_early["errors"]] == ["INVALID_TRANSITION"]
    no_reason = run(gql, TRANSITION, people["cadre"], **{**move, "status": "REJECTED"})
    assert [(e["field"], e["code"]) for e in no_reason["errors"]] == [(["input", "message"], "REQUIRED")]
    rejected = ok(
        run(
            gql,
            TRANSITION,
            people["admin"],
            **{**move, "status": "REJECTED", "message": "Không thuộc thẩm quyền."},
        )
    )
    assert rejected["status"] == "REJECTED" and rejected["version"] == 2
    # Nothing leaves REJECTED.
    again = run(gql, TRANSITION, people["admin"], id=fb["id"], status="IN_PROGRESS", expectedVersion=2)
    assert [e["code"] for e in again["errors"]] == ["INVALID_TRANSITION"]


def test_reassignment_by_admin_and_by_the_holding_agency(gql, people):
    fb = new_feedback(gql, resident(gql))
    agencies = {a["code"]: a["id"] for a in gql("{ agencies { id code } }")["agencies"]}
    forbidden = run(
        gql, ASSIGN, people["other_cadre"], id=fb["id"], agencyId=agencies["SXD"], expectedVersion=1
    )
    assert [e["code"] for e in forbidden["errors"]] == ["FORBIDDEN"]
    passed_on = ok(
        run(gql, ASSIGN, people["cadre"], id=fb["id"], agencyId=agencies["SXD"], expectedVersion=1)
    )
    assert passed_on["assignedAgency"]["code"] == "SXD" and passed_on["status"] == "ASSIGNED"
    assert passed_on["timeline"][-1]["kind"] == "ASSIGNED"
    # The former agency no longer holds it.
    gone = run(gql, TRANSITION, people["cadre"], id=fb["id"], status="IN_PROGRESS", expectedVersion=2)
    assert [e["code"] for e in gone["errors"]] == ["FORBIDDEN"]
    back = ok(
        run(gql, ASSIGN, people["admin"], id=fb["id"], agencyId=agencies["UBND-VUNGTAU"], expectedVersion=2)
    )
    assert back["assignedAgency"]["code"] == "UBND-VUNGTAU" and back["version"] == 3
    queue = gql(
        "{ viewer { assignedFeedbacks(status: [ASSIGNED], first: 100) { edges { node { id } } } } }",
        token=people["cadre"],
    )["viewer"]["assignedFeedbacks"]
    assert fb["id"] in [e["node"]["id"] for e in queue["edges"]]


def test_the_author_reopens_a_resolved_feedback(gql, people):
    author = resident(gql)
    fb = new_feedback(gql, author)
    ok(run(gql, TRANSITION, people["cadre"], id=fb["id"], status="RESOLVED", expectedVersion=1))
    stranger = run(gql, REOPEN, resident(gql), id=fb["id"], reason="Chưa sửa")
    assert [e["code"] for e in stranger["errors"]] == ["FORBIDDEN"]
    variables = {"input": {"id": fb["id"], "reason": "Ổ gà vẫn còn nguyên.", "photos": [None]}}
    response = multipart(
        gql, REOPEN, variables, {"input.photos.0": ("still.jpg", jpeg_bytes(), "image/jpeg")}, token=author
    )
    reopened = ok(response.json()["data"]["reopenFeedback"])
    assert reopened["status"] == "IN_PROGRESS"
    last = reopened["timeline"][-1]
    assert (
        last["kind"] == "REOPENED" and last["message"] == "Ổ gà vẫn còn nguyên." and len(last["photos"]) == 1
    )
    # Not resolved any more: cannot be rated, nor reopened again.
    assert [e["code"] for e in run(gql, RATE, author, id=fb["id"], rating=4)["errors"]] == [
        "INVALID_TRANSITION"
    ]
    assert [e["code"] for e in run(gql, REOPEN, author, id=fb["id"], reason="x")["errors"]] == [
        "INVALID_TRANSITION"
    ]


def test_support_follows_and_withdraws_once_per_account(gql, people):
    fb = new_feedback(gql, resident(gql))
    neighbour = resident(gql)
    first = ok(run(gql, SUPPORT, neighbour, id=fb["id"], value=True))
    assert first == {"id": fb["id"], "supportCount": 1, "viewerHasSupported": True, "viewerIsFollowing": True}
    twice = ok(run(gql, SUPPORT, neighbour, id=fb["id"], value=True))
    assert twice["supportCount"] == 1
    ok(run(gql, SUPPORT, resident(gql), id=fb["id"], value=True))
    withdrawn = ok(run(gql, SUPPORT, neighbour, id=fb["id"], value=False))
    assert withdrawn["supportCount"] == 1 and withdrawn["viewerHasSupported"] is False
    assert withdrawn["viewerIsFollowing"] is True  # withdrawing support does not unfollow
    followed = gql("{ viewer { followedFeedbacks { totalCount edges { node { id } } } } }", token=neighbour)
    assert [e["node"]["id"] for e in followed["viewer"]["followedFeedbacks"]["edges"]] == [fb["id"]]
    assert ok(run(gql, FOLLOW, neighbour, id=fb["id"], value=False))["viewerIsFollowing"] is False
    assert (
        gql("{ viewer { followedFeedbacks { totalCount } } }", token=neighbour)["viewer"][
            "followedFeedbacks"
        ]["totalCount"]
        == 0
    )
    anonymous = run(gql, SUPPORT, None, id=fb["id"], value=True)  # type: ignore[arg-type]
    assert [e["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]


def test_a_duplicate_hands_its_supporters_and_followers_to_the_original(gql, people):
    original = new_feedback(gql, resident(gql))
    copy = new_feedback(gql, resident(gql))
    both, only_copy = resident(gql), resident(gql)
    for token in (both, only_copy):
        ok(run(gql, SUPPORT, token, id=copy["id"], value=True))
    ok(run(gql, SUPPORT, both, id=original["id"], value=True))
    missing = run(gql, TRANSITION, people["cadre"], id=copy["id"], status="DUPLICATE", expectedVersion=1)
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [(["input", "duplicateOfId"], "REQUIRED")]
    marked = ok(
        run(
            gql,
            TRANSITION,
            people["cadre"],
            id=copy["id"],
            status="DUPLICATE",
            expectedVersion=1,
            duplicateOfId=original["id"],
        )
    )
    assert marked["status"] == "DUPLICATE" and marked["duplicateOf"] == {"id": original["id"]}
    assert marked["supportCount"] == 0
    query = "query($id: ID!) { node(id: $id) { ... on Feedback { supportCount viewerIsFollowing } } }"
    assert gql(query, {"id": original["id"]})["node"]["supportCount"] == 2
    assert gql(query, {"id": original["id"]}, token=only_copy)["node"]["viewerIsFollowing"] is True


def test_author_contact_only_for_the_assigned_agency_and_every_read_is_logged(hub, gql, people):
    author = resident(gql, "Võ Thị Riêng")
    fb = new_feedback(gql, author, anonymous=True)
    for who in ("resident", "other_cadre", "admin"):
        assert gql(CONTACT, {"id": fb["id"]}, token=people[who])["node"]["authorContact"] is None
    assert gql(CONTACT, {"id": fb["id"]})["node"] == {"authorContact": None, "author": None}
    log = gql(ACCESS_LOG, token=author)["viewer"]["dataAccessLog"]
    assert log["totalCount"] == 0
    seen = gql(CONTACT, {"id": fb["id"]}, token=people["cadre"])["node"]
    assert seen["authorContact"]["fullName"] == "Võ Thị Riêng"
    assert seen["author"] is not None  # the assigned agency learns who wrote an anonymous report
    admin_view = gql(CONTACT, {"id": fb["id"]}, token=people["admin"])["node"]
    assert admin_view["author"] is not None and admin_view["authorContact"] is None
    log = gql(ACCESS_LOG, token=author, headers={"Accept-Language": "en"})["viewer"]["dataAccessLog"]
    assert log["totalCount"] == 1
    entry = log["edges"][0]["node"]
    assert entry["what"] == "contact details"
    assert entry["purpose"] == f"handling feedback {fb['referenceCode']}"
    assert entry["accessor"]["role"] == "CADRE" and entry["accessor"]["agency"]["code"] == "UBND-VUNGTAU"
    # The log is read-only: the API offers no way to change it, and the database refuses to.
    mutations = gql("{ __schema { mutationType { fields { name } } } }")["__schema"]["mutationType"]["fields"]
    assert not [f["name"] for f in mutations if "dataaccess" in f["name"].lower().replace("_", "")]
    for statement in ("UPDATE data_access_events SET purpose = 'x'", "DELETE FROM data_access_events"):
        with pytest.raises(Exception, match="append-only"):
            execute_sql(hub, statement)
    assert gql(ACCESS_LOG, token=author)["viewer"]["dataAccessLog"]["totalCount"] == 1
