"""/developers: how a third party uses the hub's API, with the limits read from the live settings.

Plain HTML and one CSS file, no script: the page passes the strict CSP of server/http.py. The SDL is
served from the live schema at /graphql/schema.graphql. The app-credentials section describes POST
/oauth/token only when that route is mounted, so the page never promises what this hub does not do.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from graphql_schema.relay import DEFAULT_PAGE, MAX_PAGE
from server.config import Settings

_CSS = Path(__file__).with_name("developers.css")

_CLIENT_CREDENTIALS = """
<p>A registered app exchanges its client id and secret for a short-lived app token
(OAuth 2.0 client credentials). An administrator of the hub registers the app and gives you both.</p>
<pre><code>curl -s {base}/oauth/token \\
  -d grant_type=client_credentials \\
  -d client_id=YOUR_CLIENT_ID -d client_secret=YOUR_CLIENT_SECRET \\
  -d scope=read:public</code></pre>
<p>The answer holds <code>access_token</code>; send it as <code>Authorization: Bearer …</code>.
An app acting for a resident uses the authorization code flow with PKCE at <code>/oauth/authorize</code>.</p>
"""

_CREDENTIALS_COMING = """
<p>Registered apps with their own credentials (OAuth 2.0 client credentials at
<code>POST /oauth/token</code>) are coming; this hub does not offer them yet.</p>
"""


def _page(settings: Settings, has_oauth: bool) -> str:
    base = html.escape(settings.public_base_url)
    limits = [
        ("Query depth", f"{settings.graphql_max_depth} levels"),
        ("Aliases per document", str(settings.graphql_max_aliases)),
        ("Tokens per document", f"{settings.graphql_max_tokens:,}"),
        ("Directives per document", str(settings.graphql_max_directives)),
        ("Page size (<code>first</code>)", f"at most {MAX_PAGE}, {DEFAULT_PAGE} when left out"),
        ("Query cost", f"at most {settings.graphql_max_cost:,} points"),
        ("Mutation field", f"{settings.graphql_mutation_cost} points"),
        ("Rate limit bucket", f"{settings.rate_limit_bucket_size:,} points, refilled at "
                              f"{settings.rate_limit_restore_rate:g} points a second"),
        ("Execution time", f"{settings.graphql_timeout_seconds:g} s"),
        ("Batching", "off: one operation per request"),
    ]
    rows = "\n".join(f"<tr><th scope=\"row\">{name}</th><td>{value}</td></tr>" for name, value in limits)
    credentials = _CLIENT_CREDENTIALS.format(base=base) if has_oauth else _CREDENTIALS_COMING
    query = "{ viewer { account { fullName } } }"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Developers · Citizen hub API</title>
<link rel="stylesheet" href="/developers/developers.css">
</head>
<body>
<main>
<h1>Citizen hub API</h1>
<p>One GraphQL endpoint: <code>{base}/graphql</code>. Explore it in
<a href="/graphql">GraphiQL</a>, download the <a href="/graphql/schema.graphql">schema (SDL)</a>, or use
the <a href="/open311/v2/services.json">Open311 GeoReport v2</a> endpoints under <code>/open311/v2</code>.</p>

<h2 id="credentials">Credentials</h2>
<p>Public data (procedures, agencies, places, public feedback) needs no token at all.</p>
<p>A resident's own data needs the resident's access token: the hub's app signs in with the
<code>login</code> mutation and sends <code>Authorization: Bearer ACCESS_TOKEN</code>. Access tokens live
at most {settings.access_token_seconds // 60} minutes; <code>refreshToken</code> renews them.</p>
<pre><code>curl -s {base}/graphql -H 'Content-Type: application/json' \\
  -d '{{"query":"mutation($i: LoginInput!) {{ login(input: $i) {{ accessToken errors {{ code }} }} }}",
       "variables":{{"i":{{"phone":"0912345678","password":"…"}}}}}}'</code></pre>
<h3>Registered apps</h3>
{credentials}

<h2 id="examples">Examples</h2>
<h3>curl</h3>
<pre><code>curl -s {base}/graphql \\
  -H 'Content-Type: application/json' \\
  -H 'Authorization: Bearer ACCESS_TOKEN' \\
  -d '{{"query":"{html.escape(query)}"}}'</code></pre>
<p>Queries also work with GET (<code>/graphql?query=…</code>, cacheable); mutations never do.</p>
<h3>JavaScript (fetch)</h3>
<pre><code>const response = await fetch("{base}/graphql", {{
  method: "POST",
  headers: {{ "Content-Type": "application/json", Authorization: `Bearer ${{accessToken}}` }},
  body: JSON.stringify({{ query: "{html.escape(query)}" }}),
}});
const {{ data, errors, extensions }} = await response.json();
if (response.status === 429) {{
  // Wait Retry-After seconds before asking again.
}}
console.log(data, errors, extensions.cost);</code></pre>

<h2 id="limits">Limits</h2>
<table>
<tbody>
{rows}
</tbody>
</table>
<p>Cost: every field costs 1 point; a field taking <code>first</code> multiplies the cost of what it
selects by <code>first</code> ({DEFAULT_PAGE} when left out); each mutation field costs
{settings.graphql_mutation_cost}. A document refused before it runs costs 1 point. The cost is computed
before execution; above the maximum the query is refused with <code>QUERY_TOO_COMPLEX</code>.</p>
<p>Each caller has a token bucket: anonymous callers by IP address, signed-in residents by account, apps
by app. Every response reports in <code>extensions.cost</code>:</p>
<pre><code>{{"requestedQueryCost": 4, "actualQueryCost": 4,
 "throttleStatus": {{"maximumAvailable": {settings.rate_limit_bucket_size},
                    "currentlyAvailable": 1996,
                    "restoreRate": {settings.rate_limit_restore_rate:g}}}}}</code></pre>
<p>When the bucket holds too little, the answer is HTTP 429 with <code>Retry-After</code> (seconds) and the
error code <code>THROTTLED</code>. Other refusals carry <code>extensions.code</code>:
<code>MAX_DEPTH_EXCEEDED</code>, <code>MAX_ALIASES_EXCEEDED</code>, <code>MAX_TOKENS_EXCEEDED</code>,
<code>MAX_DIRECTIVES_EXCEEDED</code>, <code>TIMEOUT</code>. An unexpected failure answers
<code>INTERNAL_SERVER_ERROR</code> with an <code>errorId</code>: quote it when you report the problem.</p>

<h2 id="persisted">Persisted queries</h2>
<p>Mode on this hub: <code>{html.escape(settings.persisted_queries)}</code>. With <code>apq</code>, Apollo's
automatic persisted queries work: send <code>extensions.persistedQuery</code>
<code>{{"version": 1, "sha256Hash": "…"}}</code>; an unknown hash answers
<code>PERSISTED_QUERY_NOT_FOUND</code> and the client sends the query with its hash once. With
<code>allowlist</code>, only the hub's own documents run.</p>

<h2 id="transport">Requests</h2>
<p>POST bodies are <code>application/json</code>, one operation each. File uploads use
<code>multipart/form-data</code> (GraphQL multipart request spec) and must carry a non-empty
<code>GraphQL-Require-Preflight</code> header, which protects residents against cross-site request
forgery. Subscriptions use the <code>graphql-transport-ws</code> protocol on <code>/graphql</code>.</p>
</main>
</body>
</html>
"""


def developer_routes(settings: Settings, schema_sdl: Callable[[], str]) -> list[Route]:
    """/developers, its stylesheet, and the SDL of the live schema."""
    sdl: dict[str, str] = {}

    async def page(request: Request) -> Response:
        has_oauth = any(getattr(route, "path", None) == "/oauth/token" for route in request.app.routes)
        return HTMLResponse(_page(settings, has_oauth))

    async def stylesheet(_request: Request) -> Response:
        return FileResponse(_CSS, media_type="text/css", headers={"cache-control": "public, max-age=3600"})

    async def schema(_request: Request) -> Response:
        if "text" not in sdl:
            sdl["text"] = schema_sdl() + "\n"
        return PlainTextResponse(
            sdl["text"],
            headers={"content-disposition": 'inline; filename="schema.graphql"', "cache-control": "no-cache"},
        )

    return [
        Route("/developers", page, methods=["GET"]),
        Route("/developers/developers.css", stylesheet, methods=["GET"]),
        Route("/graphql/schema.graphql", schema, methods=["GET"]),
    ]
