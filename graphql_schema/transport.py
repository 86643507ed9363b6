"""What /graphql accepts over HTTP, before any GraphQL work, and how transport refusals look.

CSRF: a browser sends a cross-site POST without asking first (no CORS preflight) only when its
content type is text/plain, application/x-www-form-urlencoded or multipart/form-data. The first two
never reach GraphQL here (415). Multipart is how files are uploaded (the GraphQL multipart request
spec), so, following that spec's CSRF advice, a multipart POST must carry a non-empty
`GraphQL-Require-Preflight` (or Apollo's `Apollo-Require-Preflight`) header: a custom header forces the
browser to preflight, and the CORS policy (ALLOWED_ORIGINS) then stops foreign pages.
application/json always triggers a preflight. GET runs queries only (strawberry refuses mutations).
"""

from __future__ import annotations

import orjson
from cross_web import HTTPException
from starlette.responses import Response
from starlette.types import Scope

PREFLIGHT_HEADERS = (b"graphql-require-preflight", b"apollo-require-preflight")

_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 415: "UNSUPPORTED_MEDIA_TYPE"}


def refuse_unsafe_request(scope: Scope) -> None:
    """Raise HTTPException for a POST a foreign page could send without a CORS preflight."""
    if scope.get("method") != "POST":
        return
    headers = dict(scope["headers"])
    content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    if content_type == b"multipart/form-data":
        if not any(headers.get(name, b"").strip() for name in PREFLIGHT_HEADERS):
            raise HTTPException(
                400,
                "A multipart request must carry a non-empty GraphQL-Require-Preflight header "
                "(protection against cross-site request forgery).",
            )
    elif content_type != b"application/json":
        raise HTTPException(415, "Send GraphQL requests as application/json (multipart for uploads).")


def transport_error_response(error: HTTPException) -> Response:
    code = _CODES.get(error.status_code, "BAD_REQUEST")
    body = {"data": None, "errors": [{"message": error.reason, "extensions": {"code": code}}]}
    return Response(orjson.dumps(body), status_code=error.status_code, media_type="application/json")
