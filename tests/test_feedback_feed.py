"""The public feed: filters, search without diacritics, distance, orders, pages, nearby reports, stats."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.feedback_helpers import (
    SUBMIT,
    categories,
    db_time,
    execute_sql,
    feedback_input,
    jpeg_bytes,
    multipart,
    pk,
    resident,
    staff,
    submit,
)
from tests.support import GraphQLClient, HubProcess

FEED = """
query($filter: FeedbackFilter, $order: FeedbackOrder, $first: Int, $after: String) {
  feedbacks(filter: $filter, orderBy: $order, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id title status supportCount isOverdue unit { id name } category { code } } }
  }
}"""

# Away from the points other tests and the demo data use (the nearest sample report is 1.1 km off).
HERE = {"latitude": 10.4200, "longitude": 107.1300}
NORTH_80M = {"latitude": 10.42072, "longitude": 107.1300}
EAST_1KM = {"latitude": 10.4200, "longitude": 107.13915}
BA_RIA = {"latitude": 10.4970, "longitude": 107.1680}


@pytest.fixture(scope="module")
def world(hub: HubProcess, gql: GraphQLClient) -> dict[str, Any]:
    """Five reports carrying a word no other test uses, so the shared hub's other data stays out."""
    tag = "zq" + "".join(random.choices(string.ascii_lowercase, k=8))
    since = datetime.now(UTC)  # the hub runs on this machine: one clock
    author = resident(gql)
    cats = categories(gql)
    places = {
        "here": ("ROADS", HERE, "Ổ gà giữa đường"),
        "north": ("ROADS", NORTH_80M, "Vỉa hè bể nát"),
        "east": ("ROADS", EAST_1KM, "Nắp cống hở"),
        "lamp": ("LIGHTING", HERE, "Đèn đường hỏng"),
        "baria": ("ROADS", BA_RIA, "Đường Đồng Khởi sụt lún"),
    }
    made = {
        name: submit(gql, author, cats[code]["id"], location=point, title=f"{title} {tag}", description=title)
        for name, (code, point, title) in places.items()
    }
    return {"tag": tag, "since": since, "author": author, "cats": cats, **made}


def feed(gql: GraphQLClient, token: str | None = None, **variables: Any) -> dict[str, Any]:
    return gql(FEED, variables, token=token)["feedbacks"]


def titles(page: dict[str, Any]) -> list[str]:
    return [e["node"]["title"].rsplit(" ", 1)[0] for e in page["edges"]]


def test_search_ignores_diacritics_case_and_finds_word_prefixes(gql, world):
    tag = world["tag"]
    for words in ("o ga", "Ổ GÀ", "ổ gà", "o g"):
        page = feed(gql, filter={"search": f"{words} {tag}"})
        assert titles(page) == ["Ổ gà giữa đường"], words
    assert titles(feed(gql, filter={"search": f"dong khoi {tag}"})) == ["Đường Đồng Khởi sụt lún"]
    assert feed(gql, filter={"search": tag})["totalCount"] == 5
    assert feed(gql, filter={"search": f"{tag} khongcotu"})["totalCount"] == 0


def test_filters_by_status_category_and_unit(gql, world):
    tag = world["tag"]
    lighting = feed(gql, filter={"search": tag, "categoryId": world["cats"]["LIGHTING"]["id"]})
    assert titles(lighting) == ["Đèn đường hỏng"]
    unit = feed(gql, filter={"search": f"dong khoi {tag}"})["edges"][0]["node"]["unit"]
    assert unit["name"] == "Phường Bà Rịa"
    in_ba_ria = feed(gql, filter={"search": tag, "unitId": unit["id"]})
    assert titles(in_ba_ria) == ["Đường Đồng Khởi sụt lún"]
    assert feed(gql, filter={"search": tag, "status": ["ASSIGNED"]})["totalCount"] == 5
    assert feed(gql, filter={"search": tag, "status": ["RESOLVED", "CLOSED"]})["totalCount"] == 0


def test_near_with_a_radius_and_nearest_first(gql, world):
    tag = world["tag"]
    close = feed(gql, filter={"search": tag, "near": HERE, "radiusMeters": 200}, order="NEAREST")
    assert sorted(titles(close)) == sorted(["Ổ gà giữa đường", "Đèn đường hỏng", "Vỉa hè bể nát"])
    assert titles(close)[-1] == "Vỉa hè bể nát"  # 80 m away, after the two right here
    everything = feed(gql, filter={"search": tag, "near": NORTH_80M}, order="NEAREST")
    assert titles(everything)[0] == "Vỉa hè bể nát" and titles(everything)[-1] == "Đường Đồng Khởi sụt lún"
    assert feed(gql, filter={"search": tag, "near": HERE, "radiusMeters": 1100})["totalCount"] == 4


def test_nearest_without_a_point_is_a_clear_error(gql):
    response = gql.post(FEED, {"order": "NEAREST"})
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST" and "near" in error["message"]
    response = gql.post(FEED, {"filter": {"radiusMeters": 100}})
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_most_supported_first_and_relay_pages(gql, world):
    tag = world["tag"]
    for _ in range(2):
        gql(
            "mutation($i: SetFeedbackFlagInput!) { supportFeedback(input: $i) { errors { code } } }",
            {"i": {"id": world["east"]["id"], "value": True}},
            token=resident(gql),
        )
    ranked = feed(gql, filter={"search": tag}, order="MOST_SUPPORTED")
    assert titles(ranked)[0] == "Nắp cống hở" and ranked["edges"][0]["node"]["supportCount"] == 2
    newest = feed(gql, filter={"search": tag})
    assert titles(newest)[0] == "Đường Đồng Khởi sụt lún"  # the last one submitted
    first = feed(gql, filter={"search": tag}, first=2)
    assert first["totalCount"] == 5 and first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    rest = feed(gql, filter={"search": tag}, first=10, after=first["pageInfo"]["endCursor"])
    assert rest["totalCount"] == 5 and len(rest["edges"]) == 3 and rest["pageInfo"]["hasNextPage"] is False
    assert titles(first) + titles(rest) == titles(newest)
    past_end = feed(gql, filter={"search": tag}, after=rest["pageInfo"]["endCursor"])
    assert past_end["edges"] == [] and past_end["totalCount"] == 5
    too_many = gql.post(FEED, {"first": 101})  # refused by the cost limit or by the page size rule
    assert too_many.json()["errors"][0]["extensions"]["code"] in {"BAD_REQUEST", "QUERY_TOO_COMPLEX"}
    bad_cursor = gql.post(FEED, {"after": "bm90LWEtY3Vyc29y"})
    assert bad_cursor.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_overdue_filter_and_flag(hub, gql, world):
    tag = world["tag"]
    execute_sql(
        hub,
        "UPDATE feedback SET due_at = :due WHERE id = :id",
        {"due": db_time(hub, datetime.now(UTC) - timedelta(hours=1)), "id": pk(world["lamp"]["id"])},
    )
    overdue = feed(gql, filter={"search": tag, "overdue": True})
    assert titles(overdue) == ["Đèn đường hỏng"] and overdue["edges"][0]["node"]["isOverdue"] is True
    assert feed(gql, filter={"search": tag, "overdue": False})["totalCount"] == 4


def test_similar_feedbacks_lists_open_ones_of_the_category_within_150_m(gql, world):
    query = """query($c: ID!, $p: GeoPointInput!) {
      similarFeedbacks(categoryId: $c, location: $p) { id title } }"""
    point = {"latitude": 10.42020, "longitude": 107.1300}  # 22 m from HERE, 58 m from NORTH_80M
    found = gql(query, {"c": world["cats"]["ROADS"]["id"], "p": point})["similarFeedbacks"]
    ids = [f["id"] for f in found]
    assert world["here"]["id"] in ids and world["north"]["id"] in ids
    assert world["east"]["id"] not in ids and world["lamp"]["id"] not in ids  # too far; another category
    assert ids.index(world["here"]["id"]) < ids.index(world["north"]["id"])


def test_stats_count_statuses_on_time_resolution_and_rating(hub, gql, world):
    fb = world["north"]
    cadre = staff(hub, gql, "cadre", fb["assignedAgency"]["code"])
    done = gql(
        "mutation($i: TransitionFeedbackInput!) { transitionFeedback(input: $i) { errors { code } } }",
        {"i": {"id": fb["id"], "status": "RESOLVED", "expectedVersion": 1}},
        token=cadre,
    )["transitionFeedback"]
    assert done["errors"] == []
    rated = gql(
        "mutation($i: RateFeedbackInput!) { rateFeedback(input: $i) { errors { code } } }",
        {"i": {"id": fb["id"], "rating": 4}},
        token=world["author"],
    )["rateFeedback"]
    assert rated["errors"] == []
    query = """query($since: DateTime, $c: ID) { feedbackStats(since: $since, categoryId: $c) {
        total byStatus { status count } resolvedOnTimeRate averageResolutionHours averageRating } }"""
    stats = gql(query, {"since": world["since"].isoformat(), "c": world["cats"]["ROADS"]["id"]})[
        "feedbackStats"
    ]
    by_status = {s["status"]: s["count"] for s in stats["byStatus"]}
    # Later tests of this module may add nothing of ROADS; earlier modules are before `since`.
    assert stats["total"] == 4 and by_status["CLOSED"] == 1 and by_status["ASSIGNED"] == 3
    assert stats["resolvedOnTimeRate"] == 1.0 and stats["averageRating"] == 4.0
    assert 0 <= stats["averageResolutionHours"] < 1


def test_a_resolved_feedback_reads_closed_after_seven_days(hub, gql, world):
    cadre = staff(hub, gql, "cadre", "UBND-BARIA")
    fb = world["baria"]
    gql(
        "mutation($i: TransitionFeedbackInput!) { transitionFeedback(input: $i) { errors { code } } }",
        {"i": {"id": fb["id"], "status": "RESOLVED", "expectedVersion": 1}},
        token=cadre,
    )
    query = "query($id: ID!) { node(id: $id) { ... on Feedback { status } } }"
    assert gql(query, {"id": fb["id"]})["node"]["status"] == "RESOLVED"
    execute_sql(
        hub,
        "UPDATE feedback SET resolved_at = :t WHERE id = :id",
        {"t": db_time(hub, datetime.now(UTC) - timedelta(days=7, minutes=1)), "id": pk(fb["id"])},
    )
    assert gql(query, {"id": fb["id"]})["node"]["status"] == "CLOSED"
    # Still open to the author's rating once closed.
    rated = gql(
        "mutation($i: RateFeedbackInput!) { rateFeedback(input: $i) { "
        "feedback { status rating } errors { code } } }",
        {"i": {"id": fb["id"], "rating": 3}},
        token=world["author"],
    )["rateFeedback"]
    assert rated == {"feedback": {"status": "CLOSED", "rating": 3}, "errors": []}


def test_node_fetches_a_feedback_and_nothing_for_unknown_ids(gql, world):
    query = "query($id: ID!) { node(id: $id) { id ... on Feedback { referenceCode } } }"
    node = gql(query, {"id": world["here"]["id"]})["node"]
    assert node == {"id": world["here"]["id"], "referenceCode": world["here"]["referenceCode"]}
    assert gql(query, {"id": "RmVlZGJhY2s6OTk5OTk5OQ=="})["node"] is None


COUNTED = """
query($first: Int) {
  feedbacks(first: $first) {
    totalCount
    edges { node {
      id referenceCode title status isOverdue supportCount viewerHasSupported viewerIsFollowing dueAt
      category { code name slaHours } unit { code name } assignedAgency { code name }
      author { displayName role } location { latitude longitude } photos { url thumbnailUrl width height }
    } }
  }
}"""


def test_a_page_of_100_costs_the_statements_of_a_page_of_10(new_hub):
    # A hub of its own: its 100 copies stay out of the shared feed, and its cost limit admits a page of
    # 100 with every field (the default limit of 1,000 points would refuse the query before it runs).
    hub = new_hub({"GRAPHQL_MAX_COST": "100000", "RATE_LIMIT_BUCKET_SIZE": "100000000"})
    gql = GraphQLClient(hub.url)
    token = resident(gql)
    data = feedback_input(categories(gql)["ROADS"]["id"], photos=[None, None])
    files = {f"input.photos.{i}": (f"{i}.jpg", jpeg_bytes((320 + i, 240)), "image/jpeg") for i in range(2)}
    source = multipart(gql, SUBMIT, {"input": data}, files, token=token).json()
    source_pk = pk(source["data"]["submitFeedback"]["feedback"]["id"])
    columns = (
        "title, description, category_id, status, latitude, longitude, address, unit_id, author_account_id, "
        "anonymous, assigned_agency_id, created_at, updated_at, due_at, version, support_count, search_text"
    )
    copies = " UNION ALL ".join(f"SELECT {i} AS n" for i in range(100))
    execute_sql(
        hub,
        f"INSERT INTO feedback ({columns}) "
        f"SELECT {columns} FROM feedback, ({copies}) AS copies WHERE id = :id",
        {"id": source_pk},
    )
    execute_sql(
        hub,
        "INSERT INTO feedback_photos "
        "(feedback_id, position, path, thumbnail_path, width, height, created_at) "
        "SELECT f.id, p.position, p.path, p.thumbnail_path, p.width, p.height, p.created_at "
        "FROM feedback f, feedback_photos p WHERE p.feedback_id = :id AND f.id <> :id "
        "AND f.search_text = (SELECT search_text FROM feedback WHERE id = :id)",
        {"id": source_pk},
    )
    counts = []
    for who in (None, token):
        for first in (10, 100):
            response = gql.post(COUNTED, {"first": first}, token=who)
            body = response.json()
            assert not body.get("errors"), body
            edges = body["data"]["feedbacks"]["edges"]
            assert len(edges) == first
            assert all(len(e["node"]["photos"]) == 2 for e in edges[:50])
            counts.append(int(response.headers["x-sql-statements"]))
    gql.close()
    print("SQL statements (anonymous 10, 100; signed in 10, 100):", counts)
    anonymous_10, anonymous_100, signed_10, signed_100 = counts
    assert anonymous_10 == anonymous_100 and signed_10 == signed_100, counts
    assert signed_100 <= 5, counts


def test_the_demo_province_comes_with_sample_feedback(gql):
    query = """{ feedbacks(filter: {search: "o ga lon thuy van"}) { totalCount edges { node {
        status unit { name } assignedAgency { code } timeline { kind message } } } } }"""
    page = gql(query)["feedbacks"]
    assert page["totalCount"] >= 1
    sample = page["edges"][-1]["node"]  # the oldest: the demo's, not one a test made
    assert sample["status"] == "RESOLVED" and sample["unit"]["name"] == "Phường Vũng Tàu"
    assert sample["assignedAgency"]["code"] == "UBND-VUNGTAU"
    kinds = [e["kind"] for e in sample["timeline"]]
    assert kinds[:2] == ["SUBMITTED", "ASSIGNED"] and "REPLY" in kinds
    statuses = gql("{ feedbackStats { byStatus { status count } } }")["feedbackStats"]["byStatus"]
    assert all(s["count"] >= 1 for s in statuses if s["status"] in {"ASSIGNED", "IN_PROGRESS", "RESOLVED"})


def test_a_change_shows_at_once_in_the_public_feed_despite_its_cache(gql, world):
    tag = world["tag"]
    variables = {"filter": {"search": f"cong ho {tag}"}}
    before = feed(gql, **variables)["edges"][0]["node"]["supportCount"]
    assert feed(gql, **variables)["edges"][0]["node"]["supportCount"] == before  # served from the cache
    gql(
        "mutation($i: SetFeedbackFlagInput!) { supportFeedback(input: $i) { errors { code } } }",
        {"i": {"id": world["east"]["id"], "value": True}},
        token=resident(gql),
    )
    assert feed(gql, **variables)["edges"][0]["node"]["supportCount"] == before + 1
