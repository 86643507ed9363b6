"""OAuth 2.0 endpoints: POST /oauth/token and GET /oauth/authorize (the consent screen)."""

from __future__ import annotations

import base64
import binascii
from importlib import resources
from typing import Any
from urllib.parse import unquote

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.apps import service

NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


def oauth_error(error: service.OAuthError) -> Response:
    headers = dict(NO_STORE)
    if error.status == 401:
        headers["www-authenticate"] = 'Basic realm="citizen-hub"'
    return JSONResponse({"error": error.error, "error_description": error.description}, error.status, headers)


async def _form(request: Request) -> dict[str, str]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        form = await request.form()
        return {k: str(v) for k, v in form.items()}
    if kind == "application/json":
        try:
            body: Any = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            raise service.OAuthError("invalid_request", "The body is not valid JSON.") from None
        if isinstance(body, dict):
            return {k: str(v) for k, v in body.items() if v is not None}
    raise service.OAuthError("invalid_request", "Send application/x-www-form-urlencoded (RFC 6749).")


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise service.OAuthError("invalid_client", "Malformed Basic credentials.", 401) from None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise service.OAuthError("invalid_client", "Malformed Basic credentials.", 401)
        return unquote(client_id), unquote(secret)
    return form.get("client_id"), form.get("client_secret")


def token_endpoint(hub_getter: Any) -> Any:
    async def token(request: Request) -> Response:
        hub = hub_getter()
        try:
            form = await _form(request)
            client_id, secret = _client_credentials(request, form)
            async with hub.session_factory() as session:
                app = await service.authenticate_client(session, client_id, secret)
                grant = form.get("grant_type")
                if grant == "client_credentials":
                    result = await service.client_credentials(hub.identity, app, form.get("scope"))
                elif grant == "authorization_code":
                    result = await service.exchange_code(
                        session,
                        hub.identity,
                        app,
                        form.get("code", ""),
                        form.get("redirect_uri"),
                        form.get("code_verifier"),
                    )
                elif grant == "refresh_token":
                    result = await service.refresh_for_app(
                        session, hub.identity, app, form.get("refresh_token")
                    )
                else:
                    raise service.OAuthError(
                        "unsupported_grant_type",
                        "grant_type must be client_credentials, authorization_code or refresh_token.",
                    )
        except service.OAuthError as error:
            return oauth_error(error)
        return JSONResponse(result.as_json(), headers=NO_STORE)

    return token


def _static(name: str) -> bytes:
    return resources.files("server.apps").joinpath("static", name).read_bytes()


async def authorize_page(request: Request) -> Response:
    """The consent screen. Its script reads the request from the URL and asks GraphQL to validate it."""
    return Response(_static("consent.html"), media_type="text/html; charset=utf-8", headers=NO_STORE)


async def consent_asset(request: Request) -> Response:
    name = request.path_params["name"]
    kinds = {"consent.js": "text/javascript; charset=utf-8", "consent.css": "text/css; charset=utf-8"}
    if name not in kinds:
        return Response(status_code=404)
    return Response(_static(name), media_type=kinds[name], headers={"cache-control": "public, max-age=300"})
