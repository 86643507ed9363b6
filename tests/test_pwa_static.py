"""How the hub serves the PWA (no browser needed): caching, types, SPA routes, size budget, and its GraphQL
documents: valid against the public contract, and exactly the allow-list shipped for persisted queries."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import httpx
import pytest
from graphql import build_schema, parse, validate

from server.pwa import SCREEN_MODULES
from server.pwa_assets import documents, persisted_queries
from tests.support import ROOT, GraphQLClient, HubProcess

FRONTEND = ROOT / "frontend_static"
CONTRACT = Path("/work/shared/contract/schema.graphql")
PERSISTED = FRONTEND / "persisted-queries.json"
# Not in the public contract, but served by the hub: feedback's "me too" lookup, and ending push to a
# browser (unregisterPushSubscription, added to the hub's schema after the contract was published).
BEYOND_CONTRACT = {"SIMILAR", "UNREGISTER_PUSH"}


@pytest.fixture(scope="module")
def http(hub: HubProcess) -> httpx.Client:
    with httpx.Client(base_url=hub.url, timeout=10) as client:
        yield client


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/assets/[^"]+)"', html)


def test_index_is_revalidated_and_assets_are_immutable(http: httpx.Client) -> None:
    index = http.get("/", headers={"accept-encoding": "gzip"})
    assert index.status_code == 200
    assert index.headers["content-type"] == "text/html; charset=utf-8"
    assert index.headers["cache-control"] == "no-cache"
    assert index.headers["content-encoding"] == "gzip"
    assert "script-src 'self'" in index.headers["content-security-policy"]
    assert '<html lang="vi">' in index.text
    urls = asset_urls(index.text)
    assert any(u.endswith("/js/app.js") for u in urls) and any(u.endswith("/app.css") for u in urls)
    for url in urls:
        asset = http.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable", url
    js = http.get(next(u for u in urls if u.endswith("/js/app.js")))
    assert js.headers["content-type"] == "text/javascript; charset=utf-8"
    # Revalidation: the ETag answers 304 with no body.
    again = http.get("/", headers={"if-none-match": index.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_an_old_version_is_not_cached_forever(http: httpx.Client) -> None:
    response = http.get("/assets/000000000000/app.css")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert http.get("/assets/000000000000/nothing-here.js").status_code == 404


def test_manifest_and_service_worker(http: httpx.Client) -> None:
    manifest = http.get("/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json"
    assert manifest.headers["cache-control"] == "no-cache"
    data = manifest.json()
    assert data["display"] == "standalone" and data["start_url"].startswith("/") and data["lang"] == "vi"
    assert {"name", "short_name", "description", "theme_color", "screenshots"} <= data.keys()
    sizes = {(i["sizes"], i["purpose"]) for i in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for image in data["icons"] + data["screenshots"]:
        response = http.get(image["src"])
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    worker = http.get("/sw.js")
    assert worker.headers["content-type"] == "text/javascript; charset=utf-8"
    assert worker.headers["cache-control"] == "no-cache"
    assert "__VERSION__" not in worker.text and "__PRECACHE__" not in worker.text
    assert "addEventListener('fetch'" in worker.text
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", worker.text).group(1))
    assert "/" in precache and any(p.endswith("/js/app.js") for p in precache)


def test_client_routes_get_the_app_and_missing_files_a_404(http: httpx.Client) -> None:
    for path in ["/report", "/services/1.001612", "/reports/RmVlZGJhY2s6MQ==", "/settings"]:
        response = http.get(path)
        assert response.status_code == 200, path
        assert '<main id="main"' in response.text
    assert http.get("/favicon.ico").status_code == 404
    assert http.get("/healthz").json() == {"status": "ok"}  # the hub's own routes still win


def test_each_route_preloads_its_screen_module(http: httpx.Client) -> None:
    """The screen's code comes with the shell's, not one round trip after app.js has run."""
    routes = re.findall(r"\[/\^\\/([a-z-]*)", (FRONTEND / "js" / "app.js").read_text(encoding="utf-8"))
    assert set(routes) == set(SCREEN_MODULES), "js/app.js ROUTES and server/pwa.py SCREEN_MODULES differ"
    expected = {
        "/": "screens/home.js",
        "/feed": "screens/reports.js",
        "/reports/RmVlZGJhY2s6MQ==": "screens/feedback.js",
    }
    for path, module in expected.items():
        html = http.get(path).text
        preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)"', html)
        assert any(u.endswith("/js/" + module) for u in preloaded), (path, preloaded)
        assert sum("/js/screens/" in u for u in preloaded) == 1, (path, preloaded)  # only its own screen
        for url in preloaded:
            assert http.get(url).status_code == 200, url


def test_first_load_fits_the_budget(http: httpx.Client) -> None:
    """JavaScript of the whole app ≤ 60 KiB gzip; the first screen's HTML, CSS and JS ≤ 150 KiB."""
    total_js = sum(len(gzip.compress(p.read_bytes(), 9)) for p in (FRONTEND / "js").rglob("*.js"))
    assert total_js <= 60 * 1024, total_js
    index = http.get("/")
    first = [index.content] + [http.get(u).content for u in asset_urls(index.text)]
    assert sum(len(gzip.compress(body, 9)) for body in first) <= 150 * 1024


def test_persisted_query_list_matches_the_pwa_documents() -> None:
    shipped = json.loads(PERSISTED.read_text(encoding="utf-8"))
    assert shipped == persisted_queries(), "run: .venv/bin/python -m server.pwa_assets queries"


def test_every_pwa_document_is_valid_against_the_contract() -> None:
    contract = build_schema(CONTRACT.read_text(encoding="utf-8"))
    problems = {}
    for name, document in documents().items():
        if name in BEYOND_CONTRACT:
            continue
        if errors := validate(contract, parse(document)):
            problems[name] = [e.message for e in errors]
    assert problems == {}


def test_the_pwa_documents_run_on_a_hub_that_allows_only_them(new_hub) -> None:
    strict = new_hub({"PERSISTED_QUERIES": "allowlist", "PERSISTED_QUERIES_FILE": str(PERSISTED)}, demo=False)
    client = GraphQLClient(strict.url)
    try:
        docs = documents()
        sectors = client.post(docs["SECTORS"]).json()
        assert "errors" not in sectors and sectors["data"]["sectors"] == [], sectors
        search = client.post(docs["SEARCH_PROCEDURES"], {"search": "khai sinh", "first": 3}).json()
        assert "errors" not in search and search["data"]["procedures"]["totalCount"] == 0, search
        other = client.post("query { sectors { id } }").json()
        assert other["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
    finally:
        client.close()


def test_every_pwa_list_fits_the_query_cost_limit(gql: GraphQLClient) -> None:
    """At the largest page the PWA asks for (50, the feed's map), each document stays within 1,000 points,
    the hub's limit per query: a field added to a list must not make a screen fail."""
    docs = documents()
    costs = {}
    for name, document in docs.items():
        if "$first" not in document:
            continue
        response = gql.post(document, {"first": 50}).json()
        costs[name] = response["extensions"]["cost"]["requestedQueryCost"]
    assert costs and max(costs.values()) <= 1000, costs
