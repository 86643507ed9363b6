"""Catalogue queries end to end: lists, filters, Relay pagination edges, language, node(id), HTTP caching,
and the statement count of a page (X-SQL-Statements, see docs/catalogue.md)."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest

from tests.support import GraphQLClient, HubProcess

PAGE = """
query Page($first: Int, $after: String, $sectorId: ID, $agencyId: ID, $level: ServiceLevel) {
  procedures(first: $first, after: $after, sectorId: $sectorId, agencyId: $agencyId, level: $level) {
    totalCount
    edges { cursor node { code level sector { id } agency { id } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def errors_of(gql: GraphQLClient, query: str, variables: dict | None = None) -> list[str]:
    body = gql.post(query, variables).json()
    return [error["message"] for error in body.get("errors", [])]


def test_places_agencies_sectors_and_categories(gql: GraphQLClient) -> None:
    data = gql(
        """{ province: administrativeUnits(level: PROVINCE) { id code name }
             agencies { code name unit { name } }
             sectors { code name procedureCount }
             feedbackCategories { code name slaHours urgent } }"""
    )
    [province] = data["province"]
    assert province["name"] == "Thành phố Hồ Chí Minh"
    wards = gql(
        "query($p: ID) { administrativeUnits(parentId: $p) { name level parent { code } } }",
        {"p": province["id"]},
    )["administrativeUnits"]
    names = {ward["name"] for ward in wards}
    assert {"Phường Vũng Tàu", "Phường Bà Rịa", "Xã Long Hải", "Đặc khu Côn Đảo"} <= names
    assert all(ward["level"] == "COMMUNE" and ward["parent"]["code"] == province["code"] for ward in wards)
    assert len(data["agencies"]) >= 25
    assert len(data["sectors"]) >= 12
    total = gql("{ procedures { totalCount } }")["procedures"]["totalCount"]
    assert sum(sector["procedureCount"] for sector in data["sectors"]) == total >= 200
    categories = {c["code"]: c for c in data["feedbackCategories"]}
    assert len(categories) >= 10 and all(c["slaHours"] > 0 for c in categories.values())


def test_procedure_by_code_has_every_field(gql: GraphQLClient) -> None:
    procedure = gql(
        """{ procedure(code: "1.001193") { id code name sector { code name } agency { code }
              level processingTime processingDays fee requiredDocuments { name quantity } steps legalBasis
              updatedAt } }"""
    )["procedure"]
    assert procedure["name"] == "Đăng ký khai sinh"
    assert procedure["sector"]["code"] == "HOTICH"
    assert procedure["level"] == "FULL_ONLINE"
    assert procedure["requiredDocuments"] and all(d["quantity"] >= 1 for d in procedure["requiredDocuments"])
    assert procedure["steps"] and procedure["legalBasis"]
    assert procedure["updatedAt"].endswith("+07:00")
    assert gql('{ procedure(code: "0.000000") { code } }')["procedure"] is None


def test_english_names_where_they_exist(hub: HubProcess) -> None:
    english = GraphQLClient(hub.url, language="en")
    try:
        data = english(
            '{ procedure(code: "1.001193") { name sector { name } } feedbackCategories { code name } }'
        )
    finally:
        english.close()
    assert data["procedure"]["name"] == "Birth registration"
    assert data["procedure"]["sector"]["name"] == "Civil status"
    assert any(c["name"] == "Roads and pavements" for c in data["feedbackCategories"])


def test_node_fetches_sectors_procedures_and_categories(gql: GraphQLClient) -> None:
    data = gql(
        '{ procedure(code: "1.001193") { id code sector { id code } } feedbackCategories { id code } }'
    )
    procedure, category = data["procedure"], data["feedbackCategories"][0]
    node = """query($id: ID!) { node(id: $id) { __typename id
                ... on Procedure { code } ... on Sector { code } ... on FeedbackCategory { code } } }"""
    assert gql(node, {"id": procedure["id"]})["node"]["code"] == "1.001193"
    assert gql(node, {"id": procedure["sector"]["id"]})["node"] == {
        "__typename": "Sector",
        "id": procedure["sector"]["id"],
        "code": procedure["sector"]["code"],
    }
    assert gql(node, {"id": category["id"]})["node"]["code"] == category["code"]


def test_filters_by_sector_agency_and_level(gql: GraphQLClient) -> None:
    first = gql(PAGE, {"first": 1})["procedures"]["edges"][0]["node"]
    by_sector = gql(PAGE, {"first": 50, "sectorId": first["sector"]["id"]})["procedures"]
    assert by_sector["totalCount"] >= 1
    assert all(e["node"]["sector"]["id"] == first["sector"]["id"] for e in by_sector["edges"])
    by_agency = gql(PAGE, {"first": 50, "agencyId": first["agency"]["id"]})["procedures"]
    assert all(e["node"]["agency"]["id"] == first["agency"]["id"] for e in by_agency["edges"])
    online = gql(PAGE, {"first": 50, "level": "FULL_ONLINE"})["procedures"]
    assert online["totalCount"] > 0 and all(e["node"]["level"] == "FULL_ONLINE" for e in online["edges"])
    assert "not a valid Sector ID" in errors_of(gql, PAGE, {"sectorId": "nonsense"})[0]


def test_pagination_first_page_last_page_and_after_the_last_cursor(gql: GraphQLClient) -> None:
    first = gql(PAGE, {"first": 5})["procedures"]
    total = first["totalCount"]
    assert len(first["edges"]) == 5
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    assert first["pageInfo"]["startCursor"] == first["edges"][0]["cursor"]
    second = gql(PAGE, {"first": 5, "after": first["pageInfo"]["endCursor"]})["procedures"]
    assert second["pageInfo"]["hasPreviousPage"]
    assert not {e["node"]["code"] for e in first["edges"]} & {e["node"]["code"] for e in second["edges"]}
    # walk to the end with big pages: the last page is short and says so
    after, pages = None, []
    while True:
        page = gql(PAGE, {"first": 50, "after": after})["procedures"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    last = pages[-1]
    assert sum(len(p["edges"]) for p in pages) == total
    assert 0 < len(last["edges"]) <= 50 and last["pageInfo"]["hasPreviousPage"]
    beyond = gql(PAGE, {"first": 5, "after": last["pageInfo"]["endCursor"]})["procedures"]
    assert beyond["edges"] == [] and beyond["totalCount"] == total
    assert beyond["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": None,
        "endCursor": None,
    }


def test_a_malformed_cursor_and_too_large_a_page_are_clear_errors(gql: GraphQLClient) -> None:
    assert errors_of(gql, PAGE, {"after": "not-a-cursor"}) == [
        "Argument 'after' is not a cursor this list gave out."
    ]
    [message] = errors_of(gql, PAGE, {"first": 101})
    assert "at most 100" in message


GET_QUERY = "{ sectors { code name procedureCount } }"


def get(hub: HubProcess, query: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{hub.url}/graphql?{urlencode({'query': query})}", headers=headers, timeout=30)


def test_get_catalogue_queries_carry_etag_and_answer_304_when_unchanged(hub: HubProcess) -> None:
    first = get(hub, GET_QUERY)
    assert first.status_code == 200 and first.json()["data"]["sectors"]
    etag = first.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    again = get(hub, GET_QUERY, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    english = get(hub, GET_QUERY, **{"Accept-Language": "en", "If-None-Match": etag})
    assert english.status_code == 200 and english.headers["etag"] != etag
    assert get(hub, GET_QUERY, **{"If-None-Match": '"stale"'}).status_code == 200


def test_non_catalogue_and_failing_get_queries_are_not_cached(hub: HubProcess) -> None:
    assert "etag" not in get(hub, "{ viewer { account { id } } }").headers
    assert "etag" not in get(hub, '{ procedures(after: "bad") { totalCount } }').headers
    assert "etag" not in httpx.post(f"{hub.url}/graphql", json={"query": GET_QUERY}).headers


COUNTED = """query($first: Int) { procedures(first: $first) {
  totalCount edges { node { code sector { code } agency { code } } } } }"""


@pytest.mark.parametrize("search", [None, "giay ph"])
def test_a_page_of_100_costs_the_statements_of_a_page_of_5(gql: GraphQLClient, search: str | None) -> None:
    query = COUNTED.replace(
        "procedures(first: $first)", "procedures(first: $first, search: $search)"
    ).replace("query($first: Int)", "query($first: Int, $search: String)")
    counts = []
    for first in (5, 100):
        response = gql.post(query, {"first": first, "search": search})
        assert response.status_code == 200 and not response.json().get("errors"), response.text
        assert len(response.json()["data"]["procedures"]["edges"]) == first
        counts.append(int(response.headers["x-sql-statements"]))
    assert counts[0] == counts[1] <= 6, counts
