"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2, tested from the spec.

The spec: discovery, GET services, GET services/{code} (definition), POST requests (form-encoded, api_key),
GET requests (service_request_id | service_code, start_date, end_date, status; 90 days and 1,000 items
by default), GET requests/{id}, GET tokens/{token}; .json and .xml; errors as a list of {code, description}.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import httpx
import pytest

from tests.feedback_helpers import HANOI, db_time, execute_sql, resident, staff
from tests.support import GraphQLClient, HubProcess

REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


@pytest.fixture(scope="module")
def api(hub: HubProcess) -> httpx.Client:
    with httpx.Client(base_url=f"{hub.url}/open311/v2", timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def api_key(gql: GraphQLClient) -> str:
    return resident(gql)


def post_request(api: httpx.Client, api_key: str | None, fmt: str = "json", **fields: str) -> httpx.Response:
    form = {
        "service_code": "ROADS",
        "lat": "10.3461",
        "long": "107.0842",
        "description": "Ổ gà sâu trước số 12 Thùy Vân",
        "address_string": "12 Thùy Vân",
        **fields,
    }
    if api_key is not None:
        form["api_key"] = api_key
    return api.post(f"/requests.{fmt}", data=form)


def assert_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status
    body = response.json()
    assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"]


def test_discovery_lists_this_endpoint_with_both_formats(api, hub):
    body = api.get("/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == f"{hub.url}/open311/v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    xml = ElementTree.fromstring(api.get("/discovery.xml").content)
    assert xml.tag == "discovery"
    assert [f.text for f in xml.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]


def test_services_are_the_feedback_categories(api):
    services = api.get("/services.json").json()
    codes = {s["service_code"] for s in services}
    assert {"ROADS", "LIGHTING", "DRAINAGE"} <= codes
    for s in services:
        assert {
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        } <= set(s)
        assert s["type"] in {"realtime", "batch", "blackbox"} and s["metadata"] in (True, False)
    english = api.get("/services.json", headers={"Accept-Language": "en"}).json()
    assert {s["service_code"]: s["service_name"] for s in english}["ROADS"] == "Roads and pavements"
    xml = ElementTree.fromstring(api.get("/services.xml").content)
    assert xml.tag == "services" and {e.findtext("service_code") for e in xml.findall("service")} == codes
    response = api.get("/services.xml")
    assert response.headers["content-type"].startswith("text/xml")


def test_service_definition_and_unknown_codes(api):
    definition = api.get("/services/ROADS.json").json()
    assert definition == {"service_code": "ROADS", "attributes": []}
    assert ElementTree.fromstring(api.get("/services/ROADS.xml").content).tag == "service_definition"
    assert_error(api.get("/services/NO-SUCH.json"), 404)
    xml = ElementTree.fromstring(api.get("/services/NO-SUCH.xml").content)
    assert xml.tag == "errors" and xml.findtext("error/code") == "404"


def test_unknown_jurisdiction_is_404(api):
    assert_error(api.get("/services.json", params={"jurisdiction_id": "hanoi"}), 404)
    assert api.get("/services.json", params={"jurisdiction_id": "79"}).status_code == 200


def test_post_needs_a_valid_api_key(api):
    assert_error(post_request(api, None), 403)
    assert_error(post_request(api, "not-a-token"), 403)


def test_post_creates_a_request_that_get_returns(api, api_key, gql):
    response = post_request(api, api_key)
    assert response.status_code == 200, response.text
    created = response.json()
    assert len(created) == 1 and created[0]["service_request_id"].startswith("PA-")
    request_id = created[0]["service_request_id"]

    body = api.get(f"/requests/{request_id}.json").json()
    assert len(body) == 1
    item = body[0]
    assert set(item) == REQUEST_FIELDS
    assert item["status"] == "open" and item["service_code"] == "ROADS"
    assert item["description"] == "Ổ gà sâu trước số 12 Thùy Vân" and item["address"] == "12 Thùy Vân"
    assert item["agency_responsible"]
    assert item["lat"] == 10.346 and item["long"] == 107.084  # public: about 100 m
    assert datetime.fromisoformat(item["requested_datetime"]).utcoffset() == timedelta(hours=7)
    assert item["expected_datetime"] is not None

    # The same report through GraphQL: one service layer.
    mine = gql(
        "{ viewer { feedbacks(first: 5) { edges { node { referenceCode status } } } } }", token=api_key
    )
    assert {"referenceCode": request_id, "status": "ASSIGNED"} in [
        e["node"] for e in mine["viewer"]["feedbacks"]["edges"]
    ]
    xml = ElementTree.fromstring(api.get(f"/requests/{request_id}.xml").content)
    assert xml.tag == "service_requests" and xml.findtext("request/service_request_id") == request_id
    assert xml.findtext("request/status") == "open"
    assert_error(api.get("/requests/PA-1999-000000.json"), 404)


def test_post_errors_follow_the_spec(api, api_key):
    assert_error(post_request(api, api_key, service_code="NO-SUCH"), 404)
    assert_error(post_request(api, api_key, lat="", long=""), 400)
    outside = post_request(api, api_key, lat=str(HANOI["latitude"]), long=str(HANOI["longitude"]))
    assert_error(outside, 400)
    xml_error = post_request(api, None, fmt="xml")
    assert (
        xml_error.status_code == 403
        and ElementTree.fromstring(xml_error.content).findtext("error/code") == "403"
    )


def test_get_requests_filters_by_id_code_status_and_dates(hub, gql, api, api_key):
    first = post_request(api, api_key).json()[0]["service_request_id"]
    lamp = post_request(api, api_key, service_code="LIGHTING").json()[0]["service_request_id"]

    both = api.get("/requests.json", params={"service_request_id": f"{first},{lamp}"}).json()
    assert {r["service_request_id"] for r in both} == {first, lamp}
    lighting = api.get("/requests.json", params={"service_code": "LIGHTING"}).json()
    assert lamp in {r["service_request_id"] for r in lighting} and all(
        r["service_code"] == "LIGHTING" for r in lighting
    )
    assert first in {
        r["service_request_id"] for r in api.get("/requests.json", params={"status": "open"}).json()
    }
    closed = api.get("/requests.json", params={"status": "closed"}).json()
    assert first not in {r["service_request_id"] for r in closed}

    # A cadre resolves it: for Open311 it is closed now, with the cadre's note.
    cadre = staff(hub, gql, "cadre", "UBND-VUNGTAU")
    node = gql(
        "query($f: FeedbackFilter) { feedbacks(filter: $f) { edges { node { id referenceCode } } } }",
        {"f": {"search": first}},
    )["feedbacks"]["edges"][0]["node"]
    assert node["referenceCode"] == first
    done = gql(
        "mutation($i: TransitionFeedbackInput!) { transitionFeedback(input: $i) { errors { code } } }",
        {"i": {"id": node["id"], "status": "RESOLVED", "expectedVersion": 1, "message": "Đã vá xong."}},
        token=cadre,
    )
    assert done["transitionFeedback"]["errors"] == []
    item = api.get(f"/requests/{first}.json").json()[0]
    assert item["status"] == "closed" and item["status_notes"] == "Đã vá xong."
    closed = api.get("/requests.json", params={"status": "closed"}).json()
    assert first in {r["service_request_id"] for r in closed}

    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert api.get("/requests.json", params={"start_date": future}).json() == []
    assert_error(api.get("/requests.json", params={"start_date": "yesterday"}), 400)
    assert_error(api.get("/requests.json", params={"status": "pending"}), 400)

    # Older than 90 days: out of the default window, but found with explicit dates or by id.
    execute_sql(
        hub,
        "UPDATE feedback SET created_at = :t WHERE reference_code = :code",
        {"t": db_time(hub, datetime.now(UTC) - timedelta(days=100)), "code": lamp},
    )
    recent = {r["service_request_id"] for r in api.get("/requests.json").json()}
    assert lamp not in recent and first in recent
    start = (datetime.now(UTC) - timedelta(days=120)).isoformat()
    end = (datetime.now(UTC) - timedelta(days=80)).isoformat()
    window = api.get("/requests.json", params={"start_date": start, "end_date": end}).json()
    assert [r["service_request_id"] for r in window] == [lamp]
    assert api.get(f"/requests/{lamp}.json").status_code == 200


def test_default_list_is_newest_first_and_at_most_1000(api):
    items = api.get("/requests.json").json()
    assert len(items) <= 1000
    stamps = [r["requested_datetime"] for r in items]
    assert stamps == sorted(stamps, reverse=True)


def test_tokens_are_never_issued_so_lookups_are_404(api):
    assert_error(api.get("/tokens/abc123.json"), 404)
