"""The citizen-hub command line, run as a user runs it."""

from __future__ import annotations

from tests.conftest import STRONG_PASSWORD, register, unique_phone
from tests.support import GraphQLClient, HubProcess

LOGIN = """
mutation($input: LoginInput!) { login(input: $input) {
  accessToken account { role agency { code } nationalIdVerified nationalIdMasked } errors { code } } }
"""


def login(gql: GraphQLClient, phone: str) -> dict:
    return gql(LOGIN, {"input": {"phone": phone, "password": STRONG_PASSWORD}})["login"]


def test_create_a_cadre_of_an_agency(hub: HubProcess, gql: GraphQLClient) -> None:
    phone = unique_phone()
    done = hub.run_cli(
        "create-user",
        "--phone",
        phone,
        "--password",
        STRONG_PASSWORD,
        "--name",
        "Cán Bộ A",
        "--role",
        "cadre",
        "--agency",
        "SXD",
        check=True,
    )
    assert "created cadre account" in done.stdout
    account = login(gql, phone)["account"]
    assert account["role"] == "CADRE" and account["agency"]["code"] == "SXD"


def test_create_an_admin(hub: HubProcess, gql: GraphQLClient) -> None:
    phone = unique_phone()
    hub.run_cli(
        "create-user",
        "--phone",
        phone,
        "--password",
        STRONG_PASSWORD,
        "--name",
        "Quản Trị",
        "--role",
        "admin",
        check=True,
    )
    assert login(gql, phone)["account"]["role"] == "ADMIN"


def test_bad_arguments_give_a_one_line_reason_and_a_non_zero_exit(hub: HubProcess) -> None:
    cases = [
        (["create-user", "--phone", "123", "--password", STRONG_PASSWORD, "--name", "X Y"], "--phone"),
        (["create-user", "--phone", unique_phone(), "--password", "12345678", "--name", "X Y"], "--password"),
        (
            [
                "create-user",
                "--phone",
                unique_phone(),
                "--password",
                STRONG_PASSWORD,
                "--name",
                "X Y",
                "--role",
                "cadre",
            ],
            "--agency",
        ),
        (
            [
                "create-user",
                "--phone",
                unique_phone(),
                "--password",
                STRONG_PASSWORD,
                "--name",
                "X Y",
                "--role",
                "cadre",
                "--agency",
                "NO-SUCH",
            ],
            "NO-SUCH",
        ),
        (
            [
                "create-user",
                "--phone",
                unique_phone(),
                "--password",
                STRONG_PASSWORD,
                "--name",
                "X Y",
                "--role",
                "king",
            ],
            "invalid choice",
        ),
        (["verify-identity", "--phone", unique_phone()], "No such account"),
        (["serve", "--port", "70000"], "--port"),
        (["frobnicate"], "invalid choice"),
    ]
    for args, expected in cases:
        done = hub.run_cli(*args)
        assert done.returncode != 0, args
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (args, done.stderr)
        assert "Traceback" not in done.stderr


def test_create_user_refuses_a_taken_phone(hub: HubProcess, gql: GraphQLClient) -> None:
    phone = register(gql)["account"]["phone"]
    done = hub.run_cli("create-user", "--phone", phone, "--password", STRONG_PASSWORD, "--name", "Trùng")
    assert done.returncode != 0 and "already exists" in done.stderr


def test_verify_identity_marks_the_national_id_verified(hub: HubProcess, gql: GraphQLClient) -> None:
    phone = register(gql, nationalId="079090001234")["account"]["phone"]
    assert login(gql, phone)["account"]["nationalIdVerified"] is False
    done = hub.run_cli("verify-identity", "--phone", "+84 " + phone[1:], check=True)
    assert "079******234" in done.stdout
    account = login(gql, phone)["account"]
    assert account["nationalIdVerified"] is True and account["nationalIdMasked"] == "079******234"


def test_verify_identity_needs_a_national_id(hub: HubProcess, gql: GraphQLClient) -> None:
    phone = register(gql)["account"]["phone"]
    done = hub.run_cli("verify-identity", "--phone", phone)
    assert done.returncode != 0 and "national ID" in done.stderr


def test_export_schema_prints_the_served_sdl(hub: HubProcess) -> None:
    done = hub.run_cli("export-schema", check=True)
    assert "type Query" in done.stdout and "viewer: Viewer" in done.stdout
