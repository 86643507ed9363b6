"""Procedure search: diacritics, case, đ, word prefixes, ranking; alike on SQLite and PostgreSQL."""

from __future__ import annotations

from server.text import fold
from tests.support import GraphQLClient

SEARCH = """
query Search($search: String, $first: Int, $after: String) {
  procedures(search: $search, first: $first, after: $after) {
    totalCount
    edges { cursor node { code name requiredDocuments { name } steps } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def search(gql: GraphQLClient, text: str, first: int = 50) -> dict:
    return gql(SEARCH, {"search": text, "first": first})["procedures"]


def codes(gql: GraphQLClient, text: str) -> list[str]:
    return [edge["node"]["code"] for edge in search(gql, text)["edges"]]


def starts_words(haystack: str, query: str) -> bool:
    padded = " " + fold(haystack)
    return all(f" {word}" in padded for word in fold(query).split())


def test_fold_removes_case_diacritics_and_d_stroke() -> None:
    assert fold("Giấy phép XÂY DỰNG – Đồng Đăng") == "giay phep xay dung dong dang"
    assert fold("Đ đ") == "d d"


def test_with_or_without_diacritics_and_in_any_case_the_same_procedures(gql: GraphQLClient) -> None:
    plain = codes(gql, "giay phep xay dung")
    assert plain, "the demo catalogue has building permits"
    assert codes(gql, "Giấy phép XÂY DỰNG") == plain
    assert codes(gql, "giấy phép xây dựng") == plain
    assert codes(gql, "GIAY PHEP XAY DUNG") == plain


def test_same_ranked_results_on_both_databases(gql: GraphQLClient) -> None:
    # Recorded from the demo data; this test runs on SQLite and on PostgreSQL, so both must give this order.
    assert codes(gql, "giay phep xay dung")[:8] == [
        "1.009800",
        "1.009813",
        "1.009804",
        "1.009802",
        "1.009803",
        "1.009801",
        "1.009794",
        "1.009795",
    ]
    assert codes(gql, "dang ky khai sinh")[:5] == ["1.001193", "1.004772", "1.001695", "1.000689", "1.003583"]


def test_d_stroke_matches_plain_d(gql: GraphQLClient) -> None:
    found = search(gql, "dang ky khai sinh")
    assert found["edges"][0]["node"]["name"] == "Đăng ký khai sinh"
    assert codes(gql, "Đăng ký khai sinh") == codes(gql, "dang ky khai sinh")
    assert search(gql, "Đăng ký")["totalCount"] == search(gql, "dang ky")["totalCount"] > 0


def test_word_prefixes_match_while_typing(gql: GraphQLClient) -> None:
    typed = search(gql, "giay ph")
    assert typed["totalCount"] >= search(gql, "giay phep")["totalCount"] > 0
    for edge in typed["edges"]:
        node = edge["node"]
        text = " ".join([node["name"], *(d["name"] for d in node["requiredDocuments"]), *node["steps"]])
        assert starts_words(text, "giay ph"), node["code"]
    # a prefix inside a word is not a word start: "iay" finds nothing
    assert search(gql, "iay phep")["totalCount"] == 0


def test_exact_code_first_then_names_then_documents_and_steps(gql: GraphQLClient) -> None:
    assert codes(gql, "1.001193")[0] == "1.001193"
    edges = search(gql, "to khai")["edges"]
    in_name = [starts_words(edge["node"]["name"], "to khai") for edge in edges]
    assert True in in_name and False in in_name, "the query should match names and documents alike"
    first_document_match = in_name.index(False)
    assert not any(in_name[first_document_match:]), "a name match ranked below a document match"
    # the phrase in a row ranks above the words scattered over the name
    assert search(gql, "dang ky khai sinh")["edges"][0]["node"]["code"] == "1.001193"


def test_a_search_pages_through_every_match_once(gql: GraphQLClient) -> None:
    seen: list[str] = []
    after = None
    total = None
    while True:
        page = gql(SEARCH, {"search": "giay phep", "first": 7, "after": after})["procedures"]
        total = page["totalCount"]
        seen.extend(edge["node"]["code"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == total
    assert seen[:50] == codes(gql, "giay phep")


def test_a_query_without_words_lists_everything(gql: GraphQLClient) -> None:
    assert search(gql, " ,. ")["totalCount"] == search(gql, "")["totalCount"] >= 200


def test_a_listed_page_without_total_has_the_same_procedures_agencies_and_sectors(gql: GraphQLClient) -> None:
    # The list reads agencies and sectors with the page, and skips the count when totalCount is not
    # selected: what a client sees must not change.
    lean = gql(
        """query($s: String) { procedures(search: $s, first: 5) {
             edges { node { code agency { code name } sector { code name } } }
             pageInfo { hasNextPage endCursor } } }""",
        {"s": "giay phep"},
    )["procedures"]
    assert lean["pageInfo"]["hasNextPage"] is True
    assert [edge["node"]["code"] for edge in lean["edges"]] == codes(gql, "giay phep")[:5]
    for edge in lean["edges"]:
        node = edge["node"]
        alone = gql(
            "query($c: String!) { procedure(code: $c) { agency { code name } sector { code name } } }",
            {"c": node["code"]},
        )["procedure"]
        assert (node["agency"], node["sector"]) == (alone["agency"], alone["sector"])
    # totalCount asked through a fragment is still counted
    counted = gql(
        """query($s: String) { procedures(search: $s, first: 1) { ...Total } }
           fragment Total on ProcedureConnection { totalCount }""",
        {"s": "giay phep"},
    )["procedures"]
    assert counted["totalCount"] == search(gql, "giay phep")["totalCount"] > 5
    last = gql(
        """query($s: String, $after: String) { procedures(search: $s, first: 100, after: $after) {
             edges { cursor } pageInfo { hasNextPage } } }""",
        {"s": "giay phep", "after": lean["pageInfo"]["endCursor"]},
    )["procedures"]
    assert len(last["edges"]) == counted["totalCount"] - 5 and last["pageInfo"]["hasNextPage"] is False


def test_a_listing_shows_documents_steps_and_legal_basis_asked_through_fragments(gql: GraphQLClient) -> None:
    # A listing leaves unselected JSON columns unread; asked for through fragments, they must be there.
    listed = gql(
        """query($s: String) { procedures(search: $s, first: 3) { edges { ...Edge } } }
           fragment Edge on ProcedureEdge { node { code ... on Procedure { ...Lists } } }
           fragment Lists on Procedure { steps legalBasis requiredDocuments { name quantity } }""",
        {"s": "dang ky khai sinh"},
    )["procedures"]["edges"]
    assert listed
    for edge in listed:
        node = edge["node"]
        alone = gql(
            "query($c: String!) { procedure(code: $c) {"
            " steps legalBasis requiredDocuments { name quantity } } }",
            {"c": node["code"]},
        )["procedure"]
        assert alone["steps"] and alone["requiredDocuments"]
        assert {k: node[k] for k in alone} == alone
