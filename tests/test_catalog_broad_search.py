"""Broad searches (hundreds of matches) rank exactly as narrow ones, page by page, with the right total.

On PostgreSQL a search with its total and more than server.catalog.search.WALK_ABOVE candidates takes its
page from the names in alphabetical order when it can; a page asked without `totalCount` ranks every
candidate. Both must give the same procedures in the same order, on every page, and on SQLite too.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import pytest

from server.catalog.search import WALK_ABOVE
from tests.support import GraphQLClient, HubProcess

WITH_TOTAL = """query($s: String, $after: String, $sector: ID) {
  procedures(search: $s, first: 20, after: $after, sectorId: $sector) {
  totalCount edges { cursor node { code } } pageInfo { hasNextPage endCursor } } }"""
WITHOUT_TOTAL = """query($s: String, $after: String, $sector: ID) {
  procedures(search: $s, first: 20, after: $after, sectorId: $sector) {
  edges { cursor node { code } } pageInfo { hasNextPage endCursor } } }"""

ACTIONS = ["Cấp", "Cấp lại", "Gia hạn", "Thu hồi", "Điều chỉnh", "Xác nhận"]
OBJECTS = ["giấy phép xây dựng", "giấy phép lái tàu", "chứng chỉ hành nghề", "phép thử nghiệm", "giấy tờ"]
DOCUMENTS = ["Giấy phép cũ (bản sao)", "Tờ khai theo mẫu", "Phiếu đề nghị cấp phép"]


def catalogue(count: int) -> list[dict[str, object]]:
    """Names where "giay ph" stands in a row in most names ("giấy phép …"), and "cap phep" only in a few
    names but in many documents: one broad search whose first page comes from names in order, and one
    whose words in a row are too rare in names for that."""
    rng = random.Random(6)
    rows = []
    for index in range(count):
        rows.append(
            {
                "code": f"TEST.BROAD.{index:04d}",
                "name": f"{rng.choice(ACTIONS)} {rng.choice(OBJECTS)} số {rng.randrange(40)}",
                "sectorCode": "HOTICH",
                "agencyCode": "SNNMT",
                "level": "INFORMATION",
                "processingTime": "03 ngày làm việc",
                "fee": "Không",
                "requiredDocuments": [{"name": rng.choice(DOCUMENTS), "quantity": 1}],
                "steps": ["Nộp hồ sơ"],
                "legalBasis": [],
            }
        )
    return rows


@pytest.fixture(scope="module")
def broad(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HubProcess, GraphQLClient]]:
    from tests.conftest import start_hub

    hub = start_hub(tmp_path_factory.mktemp("broad"), {"RATE_LIMIT_BUCKET_SIZE": "100000000"})
    path = tmp_path_factory.mktemp("broad-import") / "broad.json"
    path.write_text(json.dumps({"procedures": catalogue(700)}, ensure_ascii=False), encoding="utf-8")
    done = hub.run_cli("import-catalog", str(path))
    assert done.returncode == 0, done.stderr
    client = GraphQLClient(hub.url)
    yield hub, client
    client.close()
    hub.stop()
    hub.database.drop()


def pages(
    gql: GraphQLClient, query: str, search: str, sector: str | None = None
) -> tuple[list[list[str]], list[int]]:
    """Every page of a search (20 a page) and the totals the pages told."""
    found: list[list[str]] = []
    totals: list[int] = []
    after = None
    while True:
        page = gql(query, {"s": search, "after": after, "sector": sector})["procedures"]
        found.append([edge["node"]["code"] for edge in page["edges"]])
        if "totalCount" in page:
            totals.append(page["totalCount"])
        if not page["pageInfo"]["hasNextPage"]:
            return found, totals
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize(
    "search",
    [
        "giay ph",  # broad, words in a row in most names: the first pages come from the names' order
        "cap phep",  # broad, words in a row in few names: every candidate is ranked
        "TEST.BROAD.0007",  # the exact code ranks first, before the names
        "lai tau so 1",  # narrow
    ],
)
def test_every_page_of_a_broad_search_ranks_as_a_page_without_total(
    broad: tuple[HubProcess, GraphQLClient], search: str
) -> None:
    _, gql = broad
    counted, totals = pages(gql, WITH_TOTAL, search)
    ranked, _ = pages(gql, WITHOUT_TOTAL, search)
    assert counted == ranked
    everything = [code for page in counted for code in page]
    assert len(everything) == len(set(everything)) == totals[0]
    assert set(totals) == {totals[0]}
    if search == "TEST.BROAD.0007":
        assert everything[0] == "TEST.BROAD.0007"


def test_a_broad_search_in_one_sector_ranks_as_without_total(broad: tuple[HubProcess, GraphQLClient]) -> None:
    _, gql = broad
    sectors = gql("{ sectors { id code } }")["sectors"]
    for code in ("HOTICH", "XAYDUNG"):  # every imported procedure; then only the demo's few permits
        sector = next(s["id"] for s in sectors if s["code"] == code)
        counted, totals = pages(gql, WITH_TOTAL, "giay ph", sector)
        assert counted == pages(gql, WITHOUT_TOTAL, "giay ph", sector)[0]
        assert len([c for page in counted for c in page]) == totals[0]
        if code == "HOTICH":
            assert totals[0] > WALK_ABOVE


def test_the_broad_searches_are_broad(broad: tuple[HubProcess, GraphQLClient]) -> None:
    """Guards the test above: its broad searches must pass the threshold where the strategy changes."""
    _, gql = broad

    def total(search: str) -> int:
        return gql(WITH_TOTAL, {"s": search, "after": None})["procedures"]["totalCount"]

    assert total("giay ph") > WALK_ABOVE
    assert total("cap phep") > WALK_ABOVE
    assert 0 < total("lai tau so 1") < WALK_ABOVE
