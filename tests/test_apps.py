"""Third-party apps: registration, client credentials, authorization code with PKCE, scopes, revocation."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest

from tests.conftest import register
from tests.support import GraphQLClient, HubProcess

REDIRECT = "http://127.0.0.1:9/callback"


def create_app(
    hub: HubProcess, scopes: str, *, redirect: str | None = REDIRECT, name: str = "Ứng dụng Thử"
) -> tuple:
    args = ["create-app", "--name", name, "--scopes", scopes]
    if redirect:
        args += ["--redirect-uri", redirect]
    out = hub.run_cli(*args, check=True).stdout
    client_id = re.search(r"client_id=(\S+)", out).group(1)
    secret = re.search(r"client_secret=(\S+)", out).group(1)
    return client_id, secret


@pytest.fixture(scope="module")
def public_app(hub: HubProcess) -> tuple[str, str]:
    return create_app(hub, "read:public,read:profile")


@pytest.fixture(scope="module")
def profile_app(hub: HubProcess) -> tuple[str, str]:
    return create_app(hub, "read:public read:profile read:feedback")


@pytest.fixture(scope="module")
def other_app(hub: HubProcess) -> tuple[str, str]:
    return create_app(hub, "read:profile", name="Bản đồ Phản ánh")


def token(hub: HubProcess, data: dict, auth: tuple[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{hub.url}/oauth/token", data=data, auth=auth)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


AUTHORIZE = """
mutation($input: AuthorizeAppInput!) { authorizeApp(input: $input) { redirectUrl errors { code } } }
"""


def consent(
    gql: GraphQLClient,
    resident_token: str,
    client_id: str,
    challenge: str,
    scope: str | None,
    state: str = "xyz",
) -> str:
    data = gql(
        AUTHORIZE,
        {
            "input": {
                "clientId": client_id,
                "redirectUri": REDIRECT,
                "codeChallenge": challenge,
                "codeChallengeMethod": "S256",
                "scope": scope,
                "state": state,
            }
        },
        token=resident_token,
    )
    return data["authorizeApp"]["redirectUrl"]


def code_from(url: str) -> str:
    query = parse_qs(urlsplit(url).query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


# ---------------------------------------------------------------- client credentials


def test_client_credentials_gives_a_short_lived_app_token(
    hub: HubProcess, gql: GraphQLClient, public_app
) -> None:
    client_id, secret = public_app
    response = token(hub, {"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and 0 < body["expires_in"] <= 900
    assert body["scope"] == "read:public"  # an app alone acts for nobody: no personal scopes
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"].startswith("app:") and claims["scope"] == "read:public"
    # It reads public data, and has no viewer.
    assert gql("{ sectors { code } }", token=body["access_token"])["sectors"]
    refused = gql.post("{ viewer { account { phone } } }", token=body["access_token"]).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_client_secret_in_the_form_works_too(hub: HubProcess, public_app) -> None:
    client_id, secret = public_app
    response = token(
        hub, {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "data, auth, status, error",
    [
        ({"grant_type": "client_credentials"}, ("app_nope", "x"), 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, "wrong-secret", 401, "invalid_client"),
        ({"grant_type": "password"}, "ok", 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "scope": "read:profile"}, "ok", 400, "invalid_scope"),
        (
            {
                "grant_type": "authorization_code",
                "code": "nope",
                "code_verifier": "x" * 43,
                "redirect_uri": REDIRECT,
            },
            "ok",
            400,
            "invalid_grant",
        ),
    ],
    ids=["unknown-client", "wrong-secret", "unsupported-grant", "scope-beyond", "unknown-code"],
)
def test_token_endpoint_errors_follow_rfc_6749(
    hub: HubProcess, data, auth, status, error, public_app
) -> None:
    client_id, secret = public_app
    if auth == "ok":
        auth = (client_id, secret)
    elif auth == "wrong-secret":
        auth = (client_id, "not-the-secret")
    response = token(hub, data, auth=auth)
    assert response.status_code == status
    assert response.json()["error"] == error and response.json()["error_description"]


def test_create_app_refuses_unknown_scopes_and_http_redirects(hub: HubProcess) -> None:
    done = hub.run_cli("create-app", "--name", "X", "--scopes", "read:everything")
    assert done.returncode != 0 and "--scopes" in done.stderr
    done = hub.run_cli(
        "create-app", "--name", "X", "--scopes", "read:public", "--redirect-uri", "http://evil.example/cb"
    )
    assert done.returncode != 0 and "--redirect-uri" in done.stderr


# ---------------------------------------------------------------- authorization code with PKCE


def test_authorization_code_flow_with_pkce(hub: HubProcess, gql: GraphQLClient, profile_app) -> None:
    client_id, secret = profile_app
    resident = register(gql)
    verifier, challenge = pkce()

    described = gql(
        """query($input: AuthorizeAppInput!) { appAuthorizationRequest(input: $input) {
             appName scopes { name description } } }""",
        {
            "input": {
                "clientId": client_id,
                "redirectUri": REDIRECT,
                "codeChallenge": challenge,
                "scope": "read:profile",
            }
        },
    )["appAuthorizationRequest"]
    assert described["appName"] == "Ứng dụng Thử"
    assert [s["name"] for s in described["scopes"]] == ["read:profile"]
    assert described["scopes"][0]["description"].startswith("Xem")  # Vietnamese by default

    code = code_from(consent(gql, resident["accessToken"], client_id, challenge, "read:profile"))
    response = token(
        hub,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "read:profile" and body["refresh_token"]
    app_token = body["access_token"]
    assert (
        gql("{ viewer { account { phone } } }", token=app_token)["viewer"]["account"]["phone"]
        == (resident["account"]["phone"])
    )
    # Beyond the consented scopes: refused before anything runs.
    refused = gql.post("{ viewer { feedbacks { totalCount } } }", token=app_token).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "read:feedback" in refused["errors"][0]["message"]
    # Mutations an app may never do.
    refused = gql.post('mutation { logout(input: {refreshToken: "x"}) { ok } }', token=app_token).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # The code works once.
    again = token(
        hub,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
    )
    assert again.json()["error"] == "invalid_grant"

    # The refresh token rotates and keeps the scopes.
    refreshed = token(
        hub, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}, auth=(client_id, secret)
    ).json()
    assert refreshed["scope"] == "read:profile" and refreshed["refresh_token"] != body["refresh_token"]


def test_a_wrong_code_verifier_is_refused(hub: HubProcess, gql: GraphQLClient, other_app) -> None:
    client_id, secret = other_app
    _, challenge = pkce()
    code = code_from(consent(gql, register(gql)["accessToken"], client_id, challenge, None))
    response = token(
        hub,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": pkce()[0],
        },
        auth=(client_id, secret),
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_another_client_cannot_use_the_code(
    hub: HubProcess, gql: GraphQLClient, other_app, profile_app
) -> None:
    client_id, _ = other_app
    thief_id, thief_secret = profile_app
    verifier, challenge = pkce()
    code = code_from(consent(gql, register(gql)["accessToken"], client_id, challenge, None))
    response = token(
        hub,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(thief_id, thief_secret),
    )
    assert response.json()["error"] == "invalid_grant"


def test_authorization_requests_are_validated(hub: HubProcess, gql: GraphQLClient, other_app) -> None:
    client_id, _ = other_app
    resident = register(gql)["accessToken"]
    _, challenge = pkce()
    cases = [
        {"clientId": client_id, "redirectUri": "http://127.0.0.1:9/other", "codeChallenge": challenge},
        {
            "clientId": client_id,
            "redirectUri": REDIRECT,
            "codeChallenge": challenge,
            "codeChallengeMethod": "plain",
        },
        {
            "clientId": client_id,
            "redirectUri": REDIRECT,
            "codeChallenge": challenge,
            "scope": "read:dossiers",
        },
        {"clientId": "app_unknown", "redirectUri": REDIRECT, "codeChallenge": challenge},
    ]
    for case in cases:
        body = gql.post(AUTHORIZE, {"input": case}, token=resident).json()
        assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST", case


def test_only_a_signed_in_resident_can_consent(hub: HubProcess, gql: GraphQLClient, other_app) -> None:
    client_id, _ = other_app
    _, challenge = pkce()
    body = gql.post(
        AUTHORIZE, {"input": {"clientId": client_id, "redirectUri": REDIRECT, "codeChallenge": challenge}}
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_declining_redirects_with_access_denied(hub: HubProcess, gql: GraphQLClient, other_app) -> None:
    client_id, _ = other_app
    _, challenge = pkce()
    data = gql(
        AUTHORIZE,
        {
            "input": {
                "clientId": client_id,
                "redirectUri": REDIRECT,
                "codeChallenge": challenge,
                "state": "s1",
                "approve": False,
            }
        },
        token=register(gql)["accessToken"],
    )
    query = parse_qs(urlsplit(data["authorizeApp"]["redirectUrl"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["s1"] and "code" not in query


# ---------------------------------------------------------------- the resident's control


def test_resident_lists_and_revokes_connected_apps(hub: HubProcess, gql: GraphQLClient, other_app) -> None:
    client_id, secret = other_app
    resident = register(gql)
    verifier, challenge = pkce()
    code = code_from(consent(gql, resident["accessToken"], client_id, challenge, None))
    body = token(
        hub,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
    ).json()

    apps = gql(
        "{ viewer { connectedApps { clientId name scopes { name } } } }", token=resident["accessToken"]
    )["viewer"]["connectedApps"]
    assert apps == [{"clientId": client_id, "name": "Bản đồ Phản ánh", "scopes": [{"name": "read:profile"}]}]
    # An app cannot see or manage the resident's connected apps.
    refused = gql.post("{ viewer { connectedApps { clientId } } }", token=body["access_token"]).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    revoked = gql(
        "mutation($input: RevokeAppAccessInput!) { revokeAppAccess(input: $input) { ok errors { code } } }",
        {"input": {"clientId": client_id}},
        token=resident["accessToken"],
    )["revokeAppAccess"]
    assert revoked == {"ok": True, "errors": []}
    assert (
        gql("{ viewer { connectedApps { clientId } } }", token=resident["accessToken"])["viewer"][
            "connectedApps"
        ]
        == []
    )
    # The app's tokens stop working (access token within the grant cache's few seconds; refresh at once).
    refresh = token(
        hub, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}, auth=(client_id, secret)
    )
    assert refresh.json()["error"] == "invalid_grant"
    import time

    deadline = time.monotonic() + 8
    status = 200
    while time.monotonic() < deadline:
        status = gql.post("{ viewer { account { id } } }", token=body["access_token"]).status_code
        if status == 401:
            break
        time.sleep(0.5)
    assert status == 401


def test_revoking_an_app_that_is_not_connected_is_not_found(gql: GraphQLClient) -> None:
    data = gql(
        """mutation { revokeAppAccess(input: {clientId: "app_nope"}) { ok errors { code field } } }""",
        token=register(gql)["accessToken"],
    )
    assert data["revokeAppAccess"] == {
        "ok": False,
        "errors": [{"code": "NOT_FOUND", "field": ["input", "clientId"]}],
    }


def test_the_consent_screen_is_served_under_the_strict_csp(hub: HubProcess, other_app) -> None:
    client_id, _ = other_app
    _, challenge = pkce()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    page = httpx.get(f"{hub.url}/oauth/authorize?{query}")
    assert page.status_code == 200 and 'src="/oauth/static/consent.js"' in page.text
    assert "<script>" not in page.text  # no inline script
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert httpx.get(f"{hub.url}/oauth/static/consent.js").status_code == 200


def test_a_developer_following_the_developers_page_gets_a_token_and_runs_a_query(
    hub: HubProcess, public_app
) -> None:
    page = httpx.get(f"{hub.url}/developers").text
    # The page's own client-credentials command: Basic auth, grant_type and scope as form fields.
    command = re.search(
        r"curl -s (\S+/oauth/token) -u \S+ \\\s+-d grant_type=(\S+) -d scope=(\S+)</code>", page
    )
    assert command, "the /developers page shows how to get an app token"
    url, grant, scope = command.groups()
    assert url == f"{hub.url}/oauth/token"
    assert all(name in page for name in ("read:public", "read:profile", "write:feedback", "subscribeWebhook"))
    client_id, secret = public_app
    body = httpx.post(url, data={"grant_type": grant, "scope": scope}, auth=(client_id, secret)).json()
    response = httpx.post(
        f"{hub.url}/graphql",
        json={
            "query": '{ procedures(search: "khai sinh", first: 3) { totalCount edges { node { code } } } }'
        },
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert response.status_code == 200 and response.json()["data"]["procedures"]["totalCount"] > 0
