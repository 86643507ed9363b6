"""Registration, sign-in, refresh, sign-out and the viewer, through the real server."""

from __future__ import annotations

import concurrent.futures
import hashlib

from tests.conftest import REGISTER, STRONG_PASSWORD, register, unique_phone
from tests.support import GraphQLClient, query_db

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken refreshToken account { id phone } errors { field message code } }
}
"""
REFRESH = """
mutation Refresh($input: RefreshTokenInput!) {
  refreshToken(input: $input) { accessToken refreshToken account { id } errors { field message code } }
}
"""
LOGOUT = """
mutation Logout($input: LogoutInput!) { logout(input: $input) { ok errors { field code } } }
"""
VIEWER = """
{ viewer { account { id fullName phone email nationalIdMasked nationalIdVerified role language createdAt
  agency { code } homeUnit { code name } } } }
"""


def login(gql: GraphQLClient, phone: str, password: str = STRONG_PASSWORD) -> dict:
    return gql(LOGIN, {"input": {"phone": phone, "password": password}})["login"]


def errors_of(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


# ---------------------------------------------------------------- register


def test_register_signs_in_and_viewer_shows_the_account(gql: GraphQLClient) -> None:
    phone = unique_phone()
    payload = register(
        gql, phone=phone, fullName="Nguyễn Văn An", email="An@Example.vn", nationalId="079123456789"
    )
    assert payload["accessToken"] and payload["refreshToken"]
    assert payload["accessTokenExpiresAt"].endswith("+07:00")
    viewer = gql(VIEWER, token=payload["accessToken"])["viewer"]["account"]
    assert viewer["phone"] == phone
    assert viewer["fullName"] == "Nguyễn Văn An"
    assert viewer["email"] == "an@example.vn"
    assert viewer["role"] == "CITIZEN"
    assert viewer["nationalIdMasked"] == "079******789"
    assert viewer["nationalIdVerified"] is False
    assert viewer["createdAt"].endswith("+07:00")


def test_viewer_is_null_without_a_token(gql: GraphQLClient) -> None:
    assert gql("{ viewer { account { id } } }") == {"viewer": None}


def test_the_three_phone_forms_are_one_account(gql: GraphQLClient) -> None:
    local = unique_phone()  # 098xxxxxxx
    digits = local[1:]
    register(gql, phone=local)
    for other in (f"84{digits}", f"+84 {digits[:2]} {digits[2:5]} {digits[5:]}", f"(+84) {digits}"):
        payload = gql(
            REGISTER, {"input": {"phone": other, "password": STRONG_PASSWORD, "fullName": "Kẻ Trùng"}}
        )
        assert errors_of(payload["register"]) == [("ALREADY_EXISTS", ["input", "phone"])], other
        assert login(gql, other)["account"]["phone"] == local


def test_a_number_that_is_not_a_vietnamese_mobile_is_invalid(gql: GraphQLClient) -> None:
    for bad in ("12345", "+1 650 253 0000", "0281234567", "09123456789012", "abc"):
        payload = gql(
            REGISTER, {"input": {"phone": bad, "password": STRONG_PASSWORD, "fullName": "Lê Văn C"}}
        )
        assert errors_of(payload["register"]) == [("INVALID", ["input", "phone"])], bad
        assert payload["register"]["accessToken"] is None


def test_password_rules(gql: GraphQLClient) -> None:
    cases = {
        "ngan1": "too short",
        "12345678901": "all digits",
        "password123": "common (zxcvbn list)",
        "matkhau123": "common (Vietnamese)",
        "IloveYou1": "common, case-insensitive",
    }
    for password, why in cases.items():
        payload = gql(
            REGISTER, {"input": {"phone": unique_phone(), "password": password, "fullName": "Phạm D"}}
        )
        assert errors_of(payload["register"]) == [("INVALID", ["input", "password"])], why


def test_every_problem_is_reported_at_once_and_nothing_is_written(gql: GraphQLClient) -> None:
    phone = unique_phone()
    payload = gql(
        REGISTER,
        {
            "input": {
                "phone": phone,
                "password": "short",
                "fullName": " ",
                "email": "not-an-email",
                "nationalId": "12345",
            }
        },
    )["register"]
    assert sorted(errors_of(payload)) == sorted(
        [
            ("INVALID", ["input", "password"]),
            ("REQUIRED", ["input", "fullName"]),
            ("INVALID", ["input", "email"]),
            ("INVALID", ["input", "nationalId"]),
        ]
    )
    assert all(e["message"] for e in payload["errors"])
    # The phone was valid, yet no account exists: registering it now works.
    register(gql, phone=phone)


def test_messages_follow_accept_language(hub) -> None:
    english = GraphQLClient(hub.url, language="en")
    vietnamese = GraphQLClient(hub.url)
    variables = {"input": {"phone": "123", "password": STRONG_PASSWORD, "fullName": "Võ E"}}
    en = english(REGISTER, variables)["register"]["errors"][0]["message"]
    vi = vietnamese(REGISTER, variables)["register"]["errors"][0]["message"]
    assert en == "Not a valid Vietnamese mobile phone number."
    assert vi == "Số điện thoại di động Việt Nam không hợp lệ."


def test_vietnamese_names_are_stored_nfc(gql: GraphQLClient) -> None:
    decomposed = "Nguye\u0302\u0303n Thi\u0323"  # "Nguyễn Thị" typed with combining marks
    payload = register(gql, fullName=decomposed)
    assert payload["account"]["fullName"] == "Nguyễn Thị"


def test_registering_one_phone_twice_in_parallel_creates_one_account(hub) -> None:
    phone = unique_phone()
    variables = {"input": {"phone": phone, "password": STRONG_PASSWORD, "fullName": "Song Song"}}

    def attempt(_: int) -> dict:
        client = GraphQLClient(hub.url)
        try:
            return client(REGISTER, variables)["register"]
        finally:
            client.close()

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(attempt, range(4)))
    winners = [r for r in results if not r["errors"]]
    assert len(winners) == 1
    assert all(errors_of(r) == [("ALREADY_EXISTS", ["input", "phone"])] for r in results if r["errors"])


# ---------------------------------------------------------------- login


def test_login_with_the_right_password(gql: GraphQLClient) -> None:
    phone = register(gql)["account"]["phone"]
    payload = login(gql, phone)
    assert payload["errors"] == [] and payload["accessToken"]


def test_wrong_password_and_unknown_phone_look_the_same(gql: GraphQLClient) -> None:
    phone = register(gql)["account"]["phone"]
    wrong = login(gql, phone, "Sai mật khẩu rồi 99")
    unknown = login(gql, unique_phone())
    assert errors_of(wrong) == errors_of(unknown) == [("INVALID_CREDENTIALS", ["input", "password"])]
    assert wrong["errors"][0]["message"] == unknown["errors"][0]["message"]
    assert wrong["accessToken"] is None


def test_five_failures_lock_the_phone_even_for_the_right_password(gql: GraphQLClient) -> None:
    phone = register(gql)["account"]["phone"]
    other = register(gql)["account"]["phone"]
    for _ in range(5):
        assert errors_of(login(gql, phone, "Đoán bừa mãi thôi 1"))[0][0] == "INVALID_CREDENTIALS"
    locked = login(gql, phone)
    assert errors_of(locked) == [("RATE_LIMITED", ["input", "phone"])]
    assert locked["accessToken"] is None
    assert "15" in locked["errors"][0]["message"]
    # Another phone is not affected.
    assert login(gql, other)["accessToken"]


def test_four_failures_then_success_clears_the_count(gql: GraphQLClient) -> None:
    phone = register(gql)["account"]["phone"]
    for _ in range(4):
        login(gql, phone, "Đoán bừa mãi thôi 2")
    assert login(gql, phone)["accessToken"]
    for _ in range(4):
        login(gql, phone, "Đoán bừa mãi thôi 3")
    assert login(gql, phone)["accessToken"], "failures before a success must not count any more"


# ---------------------------------------------------------------- refresh and logout


def test_refresh_rotates_the_token(gql: GraphQLClient) -> None:
    first = register(gql)
    second = gql(REFRESH, {"input": {"refreshToken": first["refreshToken"]}})["refreshToken"]
    assert second["errors"] == []
    assert second["refreshToken"] != first["refreshToken"]
    assert second["account"]["id"] == first["account"]["id"]
    assert gql(VIEWER, token=second["accessToken"])["viewer"]["account"]["id"] == first["account"]["id"]


def test_reusing_a_refresh_token_revokes_the_whole_family(gql: GraphQLClient) -> None:
    first = register(gql)
    stolen = first["refreshToken"]
    owner = gql(REFRESH, {"input": {"refreshToken": stolen}})["refreshToken"]
    assert owner["errors"] == []
    thief = gql(REFRESH, {"input": {"refreshToken": stolen}})["refreshToken"]
    assert errors_of(thief) == [("UNAUTHENTICATED", ["input", "refreshToken"])]
    # The owner's newer token dies too: both must sign in again.
    again = gql(REFRESH, {"input": {"refreshToken": owner["refreshToken"]}})["refreshToken"]
    assert errors_of(again) == [("UNAUTHENTICATED", ["input", "refreshToken"])]
    # Other sign-ins of the same account are another family and keep working.
    other = login(gql, first["account"]["phone"])
    assert gql(REFRESH, {"input": {"refreshToken": other["refreshToken"]}})["refreshToken"]["errors"] == []


def test_an_unknown_refresh_token_is_refused(gql: GraphQLClient) -> None:
    payload = gql(REFRESH, {"input": {"refreshToken": "not-a-token-we-issued"}})["refreshToken"]
    assert errors_of(payload) == [("UNAUTHENTICATED", ["input", "refreshToken"])]
    assert payload["accessToken"] is None


def test_logout_revokes_the_refresh_token(gql: GraphQLClient) -> None:
    first = register(gql)
    rotated = gql(REFRESH, {"input": {"refreshToken": first["refreshToken"]}})["refreshToken"]
    assert gql(LOGOUT, {"input": {"refreshToken": rotated["refreshToken"]}})["logout"] == {
        "ok": True,
        "errors": [],
    }
    payload = gql(REFRESH, {"input": {"refreshToken": rotated["refreshToken"]}})["refreshToken"]
    assert errors_of(payload) == [("UNAUTHENTICATED", ["input", "refreshToken"])]


def test_refresh_tokens_are_stored_only_as_hashes(hub, gql: GraphQLClient) -> None:
    token = register(gql)["refreshToken"]
    hashes = [row[0] for row in query_db(hub.database.url, "SELECT token_hash FROM refresh_tokens")]
    assert token not in hashes
    assert hashlib.sha256(token.encode()).hexdigest() in hashes


def test_password_is_hashed_with_argon2id(hub, gql: GraphQLClient) -> None:
    phone = register(gql)["account"]["phone"]
    rows = query_db(hub.database.url, "SELECT password_hash FROM accounts WHERE phone = :p", {"p": phone})
    assert rows[0][0].startswith("$argon2id$")
