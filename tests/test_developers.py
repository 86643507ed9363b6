"""/developers: served under the strict CSP, states the live limits, and its examples work as written."""

from __future__ import annotations

import html
import re

import httpx
from graphql import build_schema

from tests.support import HubProcess


def test_the_developer_page_passes_the_strict_csp_and_shows_live_limits(hub: HubProcess) -> None:
    page = httpx.get(f"{hub.url}/developers")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "<script" not in page.text and "style=" not in page.text and "<style" not in page.text
    for link in ('href="/graphql"', 'href="/graphql/schema.graphql"', 'href="/open311/v2/services.json"'):
        assert link in page.text
    assert "10 levels" in page.text and "at most 1,000 points" in page.text
    assert "100,000,000 points" in page.text  # the shared test hub's bucket: read from its settings
    css = httpx.get(f"{hub.url}/developers/developers.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_the_sdl_download_is_the_live_schema(hub: HubProcess) -> None:
    sdl = httpx.get(f"{hub.url}/graphql/schema.graphql")
    assert sdl.status_code == 200 and "type Query" in sdl.text and "viewer: Viewer" in sdl.text
    # The same schema the endpoint answers with: every root field introspection lists is in the SDL.
    served = build_schema(sdl.text)
    for root in ("Query", "Mutation"):
        introspected = httpx.post(
            f"{hub.url}/graphql", json={"query": f'{{ __type(name: "{root}") {{ fields {{ name }} }} }}'}
        ).json()["data"]["__type"]["fields"]
        assert sorted(served.get_type(root).fields) == sorted(f["name"] for f in introspected)


def test_the_curl_example_runs_as_printed(hub: HubProcess) -> None:
    page = html.unescape(httpx.get(f"{hub.url}/developers").text)
    example = page.split("<h3>curl</h3>", 1)[1]
    query = re.search(r"-d '(\{.*?\})'", example).group(1)  # type: ignore[union-attr]
    answer = httpx.post(f"{hub.url}/graphql", content=query, headers={"Content-Type": "application/json"})
    assert answer.status_code == 200
    assert answer.json()["data"] == {"viewer": None}  # anonymous: no resident signed in
