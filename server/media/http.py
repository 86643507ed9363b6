"""GET /media/<ab>/<hash>.jpg: stored photos. Content-addressed, so they can be cached forever."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from server.hub import Hub
from server.media.photos import resolve_media_path

IMMUTABLE = "public, max-age=31536000, immutable"


def media_endpoint(current_hub: Callable[[], Hub]) -> Callable[[Request], object]:
    async def serve(request: Request) -> Response:
        path = resolve_media_path(current_hub().settings.media_dir, request.path_params["name"])
        if path is None:
            return PlainTextResponse("Not found", status_code=404)
        return FileResponse(path, media_type="image/jpeg", headers={"cache-control": IMMUTABLE})

    return serve
