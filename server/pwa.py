"""Serves the residents' PWA (frontend_static/) at /: no build step, so the hub does the little a build would.

- Versioned assets live under /assets/<version>/…, where <version> is a hash of every file of the app: a
  deploy changes the URL, so those responses can be cached for a year (immutable). Relative ES module
  imports stay inside the versioned folder, so the whole module graph is versioned for free.
- index.html, the manifest and the service worker are fetched at stable URLs, always revalidated
  (no-cache), with the version written into them.
- Text is served gzip-compressed when the browser accepts it (compressed once, kept in memory).
- Any other GET without a file extension is a client route of the single-page app: index.html, with a
  `modulepreload` of that route's screen module (SCREEN_MODULES), so the screen's code loads alongside
  app.js instead of one round trip after it (the biggest part of a cold start on a slow phone network).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

FRONTEND_DIR = Path(__file__).resolve().parent.parent / "frontend_static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Rendered with the version; never served from /assets/.
TEMPLATES = {"index.html", "sw.js", "manifest.webmanifest"}
# Shipped in the folder for operators and tests, not part of the app the browser loads.
NOT_PRECACHED = {"persisted-queries.json", "README.md", "LICENSE"}
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
# The screen module (and what it imports that the shell does not) per first path segment: mirrors ROUTES in
# js/app.js. A route missing here still works; it only loads its screen one round trip later.
SCREEN_MODULES: dict[str, tuple[str, ...]] = {
    "": ("js/screens/home.js",),
    "services": ("js/screens/services.js",),
    "report": ("js/screens/report.js", "js/map.js"),
    "my-reports": ("js/screens/reports.js",),
    "feed": ("js/screens/reports.js",),
    "reports": ("js/screens/feedback.js",),
    "notifications": ("js/screens/notifications.js",),
    "dossiers": ("js/screens/dossiers.js",),
    "queue": ("js/screens/cadre.js", "js/screens/reports.js", "js/screens/feedback.js"),
    "signin": ("js/screens/account.js",),
    "register": ("js/screens/account.js",),
    "me": ("js/screens/account.js",),
    "settings": ("js/screens/account.js",),
}
_SCREEN_PRELOAD = b"<!--screen-preload-->"
_FILE_NAME = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,7}$")
_COMPRESSIBLE = (".js", ".mjs", ".css", ".html", ".json", ".webmanifest", ".svg", ".txt")


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    media_type: str


def _media_type(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _asset(name: str, body: bytes) -> Asset:
    compress = name.endswith(_COMPRESSIBLE) and len(body) > 256
    return Asset(body, gzip.compress(body, 9, mtime=0) if compress else None, _media_type(name))


class PwaFiles:
    """The app's files read once into memory (it is small), with their version."""

    def __init__(self, root: Path) -> None:
        files = {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.startswith(".")
        }
        digest = hashlib.sha256()
        for name, body in files.items():
            digest.update(name.encode() + b"\0" + body + b"\0")
        self.version = digest.hexdigest()[:12]
        self.assets = {n: _asset(n, b) for n, b in files.items() if n not in TEMPLATES}
        precache = ["/"] + [
            f"/assets/{self.version}/{n}"
            for n in self.assets
            if n not in NOT_PRECACHED and not n.startswith(("screenshots/", "vendor/leaflet"))
        ]
        replacements = {
            b"__VERSION__": self.version.encode(),
            b"__PRECACHE__": json.dumps(precache).encode(),
        }
        self.pages: dict[str, Asset] = {}
        for name in TEMPLATES & files.keys():
            body = files[name]
            for placeholder, value in replacements.items():
                body = body.replace(placeholder, value)
            self.pages[name] = _asset(name, body)
        # index.html once per screen (a dozen small variants, compressed once like everything else).
        self.screen_pages: dict[str, Asset] = {}
        if "index.html" in self.pages:
            shell = self.pages["index.html"].body
            for segment, modules in SCREEN_MODULES.items():
                links = "".join(
                    f'<link rel="modulepreload" href="/assets/{self.version}/{m}">\n' for m in modules
                )
                body = shell.replace(_SCREEN_PRELOAD + b"\n", links.encode())
                self.screen_pages[segment] = _asset("index.html", body)

    def index_for(self, path: str) -> Asset:
        """index.html for a client route: with its screen's modules preloaded when the route is known."""
        segment = path.strip("/").split("/", 1)[0]
        return self.screen_pages.get(segment) or self.pages["index.html"]


def _respond(request: Request, asset: Asset, cache_control: str) -> Response:
    headers = {"cache-control": cache_control, "vary": "Accept-Encoding"}
    etag = '"' + hashlib.sha256(asset.body).hexdigest()[:20] + '"'
    headers["etag"] = etag
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    body = asset.body
    if asset.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        body = asset.gzipped
        headers["content-encoding"] = "gzip"
    if request.method == "HEAD":
        headers["content-length"] = str(len(body))
        return Response(status_code=200, headers=headers, media_type=asset.media_type)
    return Response(body, headers=headers, media_type=asset.media_type)


def pwa_routes(root: Path = FRONTEND_DIR, *, reload: bool = False) -> list[Route]:
    """Routes to append last (the SPA fallback catches what nothing else did). `reload`: read per request."""
    if not (root / "index.html").is_file():
        return []
    loaded: list[PwaFiles] = []

    def files() -> PwaFiles:
        if reload or not loaded:
            loaded[:] = [PwaFiles(root)]
        return loaded[0]

    async def page(request: Request, name: str) -> Response:
        headers_extra = REVALIDATE
        response = _respond(request, files().pages[name], headers_extra)
        if name == "sw.js":
            response.headers["service-worker-allowed"] = "/"
        return response

    async def index(request: Request) -> Response:
        return _respond(request, files().index_for(request.url.path), REVALIDATE)

    async def service_worker(request: Request) -> Response:
        return await page(request, "sw.js")

    async def manifest(request: Request) -> Response:
        return await page(request, "manifest.webmanifest")

    async def asset(request: Request) -> Response:
        current = files()
        name = request.path_params["path"]
        found = current.assets.get(name)
        if found is None:
            return PlainTextResponse("Not found", status_code=404)
        versioned = request.path_params["version"] == current.version
        return _respond(request, found, IMMUTABLE if versioned else REVALIDATE)

    async def spa_fallback(request: Request) -> Response:
        if _FILE_NAME.search(request.path_params["path"]):  # a missing file, not a client route
            # (procedure codes such as /services/1.001612 have dots too, but no letters after them)
            return PlainTextResponse("Not found", status_code=404)
        return await index(request)

    methods = ["GET", "HEAD"]
    return [
        Route("/", index, methods=methods),
        Route("/sw.js", service_worker, methods=methods),
        Route("/manifest.webmanifest", manifest, methods=methods),
        Route("/assets/{version}/{path:path}", asset, methods=methods),
        Route("/{path:path}", spa_fallback, methods=methods),
    ]
