"""Announcements: who may publish where, who hears of them, and which are listed for a unit."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import register
from tests.feedback_helpers import resident, staff
from tests.notify_helpers import inbox, wait_for
from tests.support import GraphQLClient, HubProcess

PUBLISH = """
mutation($input: PublishAnnouncementInput!) {
  publishAnnouncement(input: $input) {
    announcement { id title body severity publishedAt expiresAt issuer { code } units { code } }
    errors { field code message }
  }
}"""
LIST = """
query($unit: ID, $first: Int, $after: String) {
  announcements(unitId: $unit, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id title severity units { code } } }
  }
}"""


@pytest.fixture(scope="module")
def units(gql: GraphQLClient) -> dict[str, str]:
    rows = gql("{ administrativeUnits { id code } }")["administrativeUnits"]
    found = {row["code"]: row["id"] for row in rows}
    if "26506" not in found:  # the list may give only the top level: ask for the communes too
        rows = gql("{ administrativeUnits(level: COMMUNE) { id code } }")["administrativeUnits"]
        found.update({row["code"]: row["id"] for row in rows})
    return found


@pytest.fixture(scope="module")
def people(hub: HubProcess, gql: GraphQLClient, units: dict[str, str]) -> dict[str, str]:
    return {
        "ward_cadre": staff(hub, gql, "cadre", "UBND-VUNGTAU"),  # Phường Vũng Tàu
        "city_cadre": staff(hub, gql, "cadre", "SXD"),  # a department of the whole city
        "admin": staff(hub, gql, "admin"),
        "vung_tau": register(gql, fullName="Lý Thị Biển", homeUnitId=units["26506"])["accessToken"],
        "vung_tau_en": register(gql, fullName="Mai Văn Gió", homeUnitId=units["26506"], language="EN")[
            "accessToken"
        ],
        "ba_ria": register(gql, fullName="Tạ Văn Đồng", homeUnitId=units["26560"])["accessToken"],
        "nowhere": resident(gql, "Chu Văn Khách"),
    }


def publish(gql: GraphQLClient, token: str, **fields: Any) -> dict[str, Any]:
    data = {
        "title": "Cảnh báo triều cường",
        "body": "Triều cường đạt đỉnh lúc 17 giờ.",
        "severity": "WARNING",
    }
    return gql(PUBLISH, {"input": {**data, **fields}}, token=token)["publishAnnouncement"]


def announcement_titles(gql: GraphQLClient, token: str) -> list[str]:
    edges = inbox(gql, token)["notifications"]["edges"]
    return [e["node"]["title"] for e in edges if e["node"]["kind"] == "ANNOUNCEMENT"]


def test_residents_may_not_publish(gql, people):
    payload = publish(gql, people["vung_tau"])
    assert payload["announcement"] is None
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in publish(gql, None)["errors"]] == ["UNAUTHENTICATED"]  # type: ignore[arg-type]


def test_a_ward_cadre_warns_its_own_ward_and_only_it(gql, people, units):
    payload = publish(gql, people["ward_cadre"], title="Sạt lở bờ kè Bãi Sau", severity="WARNING")
    assert payload["errors"] == []
    sent = payload["announcement"]
    assert sent["issuer"] == {"code": "UBND-VUNGTAU"} and sent["units"] == [{"code": "26506"}]
    for who in ("vung_tau", "vung_tau_en"):
        titles = wait_for(lambda w=who: announcement_titles(gql, people[w]), what=f"{who}'s warning")
        assert titles == ["Sạt lở bờ kè Bãi Sau"]  # the issuer's own words, whatever the language
    node = inbox(gql, people["vung_tau"])["notifications"]["edges"][0]["node"]
    assert node["subject"] == {"id": sent["id"], "title": "Sạt lở bờ kè Bãi Sau", "severity": "WARNING"}
    # Another ward is outside the agency's area.
    outside = publish(gql, people["ward_cadre"], unitIds=[units["26560"]])
    assert [(e["field"], e["code"]) for e in outside["errors"]] == [(["input", "unitIds", "0"], "FORBIDDEN")]
    time.sleep(1)  # the dispatcher has had its chance: the other ward and the rest heard nothing
    assert announcement_titles(gql, people["ba_ria"]) == []
    assert announcement_titles(gql, people["nowhere"]) == []


def test_a_target_unit_reaches_every_unit_below_it(gql, people, units):
    payload = publish(
        gql, people["admin"], title="Bão số 9 đổ bộ", severity="EMERGENCY", unitIds=[units["79"]]
    )
    assert payload["errors"] == [] and payload["announcement"]["issuer"] is None
    for who in ("vung_tau", "ba_ria"):
        wait_for(lambda w=who: "Bão số 9 đổ bộ" in announcement_titles(gql, people[w]), what=who)
    assert "Bão số 9 đổ bộ" not in announcement_titles(gql, people["nowhere"])  # no home unit given


def test_without_units_a_city_department_reaches_the_whole_province(gql, people):
    payload = publish(gql, people["city_cadre"], title="Cắt nước toàn thành phố", severity="INFO")
    assert payload["errors"] == [] and payload["announcement"]["units"] == []
    for who in ("vung_tau", "ba_ria", "nowhere"):
        wait_for(lambda w=who: "Cắt nước toàn thành phố" in announcement_titles(gql, people[w]), what=who)


def test_validation(gql, people, units):
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    bad = publish(gql, people["admin"], title="", body="", expiresAt=past, unitIds=["bad"])
    assert sorted((tuple(e["field"]), e["code"]) for e in bad["errors"]) == [
        (("input", "unitIds", "0"), "INVALID")
    ]
    bad = publish(gql, people["admin"], title="", body="", expiresAt=past)
    assert sorted((tuple(e["field"]), e["code"]) for e in bad["errors"]) == [
        (("input", "body"), "REQUIRED"),
        (("input", "expiresAt"), "INVALID"),
        (("input", "title"), "REQUIRED"),
    ]


def test_a_unit_lists_what_reaches_it_in_force_newest_first(gql, people, units):
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    short = publish(gql, people["ward_cadre"], title="Tạm dừng tắm biển", expiresAt=soon)
    assert short["errors"] == []
    listed = gql(LIST, {"unit": units["26506"], "first": 50})["announcements"]
    titles = [e["node"]["title"] for e in listed["edges"]]
    # Its own, its ancestor's (the city) and the province-wide ones; newest first.
    assert titles.index("Tạm dừng tắm biển") < titles.index("Cắt nước toàn thành phố")
    assert titles.index("Cắt nước toàn thành phố") < titles.index("Bão số 9 đổ bộ")
    assert titles.index("Bão số 9 đổ bộ") < titles.index("Sạt lở bờ kè Bãi Sau")
    assert listed["totalCount"] == len(titles)
    other = [
        e["node"]["title"] for e in gql(LIST, {"unit": units["26560"], "first": 50})["announcements"]["edges"]
    ]
    assert "Sạt lở bờ kè Bãi Sau" not in other and "Bão số 9 đổ bộ" in other
    page = gql(LIST, {"unit": units["26506"], "first": 1})["announcements"]
    assert page["pageInfo"]["hasNextPage"] and page["edges"][0]["node"]["title"] == "Tạm dừng tắm biển"
    nxt = gql(LIST, {"unit": units["26506"], "first": 1, "after": page["pageInfo"]["endCursor"]})
    assert nxt["announcements"]["edges"][0]["node"]["title"] == titles[1]
    time.sleep(2.2)  # expired: no longer listed
    later = [
        e["node"]["title"] for e in gql(LIST, {"unit": units["26506"], "first": 50})["announcements"]["edges"]
    ]
    assert "Tạm dừng tắm biển" not in later and "Sạt lở bờ kè Bãi Sau" in later
