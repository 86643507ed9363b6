"""Submitting feedback through GraphQL multipart uploads: photos, area, routing, SLA, idempotency."""

from __future__ import annotations

import io
import json
import re
import threading
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from PIL import Image

from tests.feedback_helpers import (
    CON_DAO,
    HANOI,
    SUBMIT,
    bomb_png,
    categories,
    feedback_input,
    jpeg_bytes,
    multipart,
    png_bytes,
    resident,
    submit,
    webp_bytes,
)
from tests.support import GraphQLClient, HubProcess

MY_FEEDBACKS = "{ viewer { feedbacks(first: 50) { totalCount edges { node { id title } } } } }"


def media_files(hub: HubProcess) -> set[Path]:
    root = hub.data_dir / "media"
    return {p for p in root.rglob("*.jpg")} if root.exists() else set()


def test_submit_with_photos_strips_metadata_applies_orientation_and_routes(
    hub: HubProcess, gql: GraphQLClient
):
    token = resident(gql)
    roads = categories(gql)["ROADS"]
    variables = {"input": feedback_input(roads["id"], photos=[None, None, None], address="Đường Thùy Vân")}
    files = {
        "input.photos.0": ("pothole.jpg", jpeg_bytes((3000, 2000), gps=True, orientation=6), "image/jpeg"),
        "input.photos.1": ("photo.png", png_bytes(), "image/png"),
        "input.photos.2": ("photo.webp", webp_bytes(), "image/webp"),
    }
    response = multipart(gql, SUBMIT, variables, files, token=token)
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["submitFeedback"]
    assert payload["errors"] == []
    feedback = payload["feedback"]

    assert re.fullmatch(r"PA-\d{4}-\d{6}", feedback["referenceCode"])
    assert feedback["status"] == "ASSIGNED"
    assert feedback["unit"]["name"] == "Phường Vũng Tàu"
    assert feedback["assignedAgency"]["code"] == "UBND-VUNGTAU"
    assert [e["kind"] for e in feedback["timeline"]] == ["SUBMITTED", "ASSIGNED"]
    assert feedback["dueAt"] is not None and feedback["isOverdue"] is False
    assert datetime.fromisoformat(feedback["dueAt"]) > datetime.fromisoformat(feedback["createdAt"])
    assert feedback["author"]["displayName"] == "Bình T."

    photos = feedback["photos"]
    assert len(photos) == 3
    # EXIF orientation 6 (rotate 90°): the 3000x2000 landscape is stored upright as portrait, ≤1600 px.
    assert (photos[0]["width"], photos[0]["height"]) == (1067, 1600)
    stored = httpx.get(photos[0]["url"])
    assert stored.status_code == 200
    assert stored.headers["content-type"] == "image/jpeg"
    assert (
        "immutable" in stored.headers["cache-control"]
        and "max-age=31536000" in stored.headers["cache-control"]
    )
    image = Image.open(io.BytesIO(stored.content))
    assert image.size == (1067, 1600)
    exif = image.getexif()
    assert len(exif) == 0 and exif.get_ifd(0x8825) == {}, "GPS and every other EXIF field must be gone"
    assert b"PhoneMaker" not in stored.content and b"Exif" not in stored.content
    thumb = Image.open(io.BytesIO(httpx.get(photos[0]["thumbnailUrl"]).content))
    assert max(thumb.size) == 320
    for photo in photos[1:]:
        assert httpx.get(photo["url"]).status_code == 200


def test_media_paths_outside_the_store_are_not_served(hub: HubProcess):
    for path in ("/media/../citizen-hub.sqlite3", "/media/ab/notahash.jpg", "/media/keys/x"):
        assert httpx.get(hub.url + path).status_code == 404


def test_a_non_image_named_jpg_is_refused_and_leaves_nothing_behind(hub: HubProcess, gql: GraphQLClient):
    token = resident(gql)
    roads = categories(gql)["ROADS"]
    before_files = media_files(hub)
    variables = {"input": feedback_input(roads["id"], photos=[None, None])}
    files = {
        "input.photos.0": ("fine.jpg", jpeg_bytes((640, 480)), "image/jpeg"),
        "input.photos.1": ("evil.jpg", b"<?php system($_GET['c']); ?>" * 20, "image/jpeg"),
    }
    payload = multipart(gql, SUBMIT, variables, files, token=token).json()["data"]["submitFeedback"]
    assert payload["feedback"] is None
    assert payload["errors"] == [
        {
            "field": ["input", "photos", "1"],
            "message": payload["errors"][0]["message"],
            "code": "UNSUPPORTED_MEDIA_TYPE",
        }
    ]
    assert gql(MY_FEEDBACKS, token=token)["viewer"]["feedbacks"]["totalCount"] == 0
    assert media_files(hub) == before_files, "a refused submission must not leave files"


def test_too_large_images_are_refused(hub: HubProcess, gql: GraphQLClient):
    token = resident(gql)
    roads = categories(gql)["ROADS"]
    variables = {"input": feedback_input(roads["id"], photos=[None, None])}
    over_10_mb = b"\xff\xd8\xff\xe0" + b"\0" * (10 * 1024 * 1024)
    files = {
        "input.photos.0": ("bomb.png", bomb_png(), "image/png"),
        "input.photos.1": ("huge.jpg", over_10_mb, "image/jpeg"),
    }
    payload = multipart(gql, SUBMIT, variables, files, token=token).json()["data"]["submitFeedback"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        (["input", "photos", "0"], "TOO_LARGE"),
        (["input", "photos", "1"], "TOO_LARGE"),
    ]
    assert gql(MY_FEEDBACKS, token=token)["viewer"]["feedbacks"]["totalCount"] == 0
    assert httpx.get(f"{hub.url}/healthz").status_code == 200  # the bomb did not take the process down


def test_more_than_six_photos_is_invalid(gql: GraphQLClient):
    token = resident(gql)
    roads = categories(gql)["ROADS"]
    small = jpeg_bytes((64, 64))
    variables = {"input": feedback_input(roads["id"], photos=[None] * 7)}
    files = {f"input.photos.{i}": (f"{i}.jpg", small, "image/jpeg") for i in range(7)}
    payload = multipart(gql, SUBMIT, variables, files, token=token).json()["data"]["submitFeedback"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["input", "photos"], "INVALID")]


def test_a_point_outside_the_province_is_out_of_area(gql: GraphQLClient):
    token = resident(gql)
    roads = categories(gql)["ROADS"]
    payload = gql(SUBMIT, {"input": feedback_input(roads["id"], location=HANOI)}, token=token)[
        "submitFeedback"
    ]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["input", "location"], "OUT_OF_AREA")]
    assert payload["feedback"] is None


def test_input_problems_are_reported_together_with_their_paths(gql: GraphQLClient):
    token = resident(gql)
    data = feedback_input(
        "RmVlZGJhY2tDYXRlZ29yeTo5OTk5OTk=", title="", location={"latitude": 95, "longitude": 0}
    )
    payload = gql(SUBMIT, {"input": data}, token=token)["submitFeedback"]
    found = {(tuple(e["field"]), e["code"]) for e in payload["errors"]}
    assert found == {
        (("input", "title"), "REQUIRED"),
        (("input", "categoryId"), "NOT_FOUND"),
        (("input", "location", "latitude"), "INVALID"),
    }


def test_signing_in_is_needed_to_submit(gql: GraphQLClient):
    roads = categories(gql)["ROADS"]
    payload = gql(SUBMIT, {"input": feedback_input(roads["id"])})["submitFeedback"]
    assert [e["code"] for e in payload["errors"]] == ["UNAUTHENTICATED"]


def test_the_ward_is_found_from_the_point(gql: GraphQLClient):
    token = resident(gql)
    lighting = categories(gql)["LIGHTING"]
    feedback = submit(gql, token, lighting["id"], location=CON_DAO)
    assert feedback["unit"]["name"] == "Đặc khu Côn Đảo"
    central = submit(gql, token, lighting["id"], location={"latitude": 10.7765, "longitude": 106.7009})
    assert central["unit"]["name"] == "Phường Sài Gòn"


def test_the_same_idempotency_key_returns_the_first_feedback(gql: GraphQLClient):
    token = resident(gql)
    roads = categories(gql)["ROADS"]
    data = feedback_input(roads["id"])
    first = gql(SUBMIT, {"input": data}, token=token)["submitFeedback"]["feedback"]
    again = gql(SUBMIT, {"input": {**data, "title": "Khác hẳn"}}, token=token)["submitFeedback"]["feedback"]
    assert again["id"] == first["id"] and again["title"] == first["title"]
    # The key is per account: another resident's identical key makes their own feedback.
    other = gql(SUBMIT, {"input": data}, token=resident(gql))["submitFeedback"]["feedback"]
    assert other["id"] != first["id"]
    assert gql(MY_FEEDBACKS, token=token)["viewer"]["feedbacks"]["totalCount"] == 1


def test_ten_parallel_requests_with_one_key_create_one_feedback(hub: HubProcess, gql: GraphQLClient):
    token = resident(gql)
    roads = categories(gql)["ROADS"]
    variables = {"input": feedback_input(roads["id"], photos=[None])}
    photo = jpeg_bytes((2000, 1500))
    barrier = threading.Barrier(10)
    results: list[dict] = []

    def send() -> None:
        with httpx.Client(base_url=hub.url, timeout=60) as client:
            barrier.wait()
            response = multipart(
                _Bare(client),  # type: ignore[arg-type]
                SUBMIT,
                variables,
                {"input.photos.0": ("p.jpg", photo, "image/jpeg")},
                token=token,
            )
            results.append(response.json())

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 10
    assert all("errors" not in r for r in results), [r.get("errors") for r in results]
    ids = {r["data"]["submitFeedback"]["feedback"]["id"] for r in results}
    assert len(ids) == 1
    mine = gql(MY_FEEDBACKS, token=token)["viewer"]["feedbacks"]
    assert mine["totalCount"] == 1
    # The winner's photo is there (a loser must not have removed a file the winner uses).
    url = results[0]["data"]["submitFeedback"]["feedback"]["photos"][0]["url"]
    assert httpx.get(url).status_code == 200


class _Bare:
    """Just enough of GraphQLClient for multipart(): an httpx client of one thread."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http


def test_anonymous_reports_hide_the_author_from_the_public(gql: GraphQLClient):
    token = resident(gql, "Lê Văn Ẩn")
    roads = categories(gql)["ROADS"]
    exact = {"latitude": 10.346789, "longitude": 107.084321}
    feedback = submit(gql, token, roads["id"], anonymous=True, location=exact)
    assert feedback["author"]["displayName"] == "Ẩn L."  # the author sees themself
    query = """query($id: ID!) { node(id: $id) { ... on Feedback {
      author { displayName } location { latitude longitude } timeline { kind actor { displayName } } } } }"""
    public = gql(query, {"id": feedback["id"]})["node"]
    assert public["author"] is None
    assert all(e["actor"] is None for e in public["timeline"])
    assert public["location"] == {"latitude": 10.347, "longitude": 107.084}  # about 100 m
    other = gql(query, {"id": feedback["id"]}, token=resident(gql))["node"]
    assert other["author"] is None
    own = gql(query, {"id": feedback["id"]}, token=token)["node"]
    assert own["location"] == exact
    mine = gql(MY_FEEDBACKS, token=token)["viewer"]["feedbacks"]
    assert [e["node"]["id"] for e in mine["edges"]] == [feedback["id"]]


def _working_due(created: datetime, hours: int) -> datetime:
    """An independent count, minute by minute: Mon-Fri 07:30-11:30 and 13:00-17:00, minus the holidays."""
    holidays = json.loads((Path(__file__).parent.parent / "server/feedback/data/holidays.json").read_text())
    off = {day["date"] for day in holidays["days"]}
    local = created.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).replace(second=0, microsecond=0)
    if local < created:
        local += timedelta(minutes=1)
    left = hours * 60
    while left > 0:
        minutes = local.hour * 60 + local.minute
        working = (
            local.weekday() < 5
            and local.date().isoformat() not in off
            and (450 <= minutes < 690 or 780 <= minutes < 1020)
        )
        local += timedelta(minutes=1)
        left -= working
    return local


def test_due_time_counts_working_hours_or_calendar_hours_for_urgent_categories(gql: GraphQLClient):
    token = resident(gql)
    cats = categories(gql)
    roads = submit(gql, token, cats["ROADS"]["id"])
    created = datetime.fromisoformat(roads["createdAt"])
    expected = _working_due(created, 48)
    assert abs((datetime.fromisoformat(roads["dueAt"]) - expected).total_seconds()) <= 60
    flood = submit(gql, token, cats["DRAINAGE"]["id"])  # urgent: 4 calendar hours
    gap = datetime.fromisoformat(flood["dueAt"]) - datetime.fromisoformat(flood["createdAt"])
    assert abs(gap.total_seconds() - 4 * 3600) <= 1
