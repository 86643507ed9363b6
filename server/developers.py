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
from server.apps.service import SCOPES
from server.apps.webhooks import EVENT_TYPES
from server.config import Settings

_CSS = Path(__file__).with_name("developers.css")

_CLIENT_CREDENTIALS = """
<p>An administrator of the hub registers your app
(<code>citizen-hub create-app --name NAME --scopes read:public,read:profile --redirect-uri URI</code>) and
gives you a <code>client_id</code> and a <code>client_secret</code> (shown once; the hub keeps a hash).</p>
<h4>Acting for nobody: client credentials</h4>
<pre><code>curl -s {base}/oauth/token -u YOUR_CLIENT_ID:YOUR_CLIENT_SECRET \\
  -d grant_type=client_credentials -d scope=read:public</code></pre>
<p>The answer (<code>{{"access_token": "…", "token_type": "Bearer", "expires_in": 900, "scope":
"read:public"}}</code>) is a short-lived token; send it as <code>Authorization: Bearer …</code>.</p>
<h4>Acting for a resident: authorization code with PKCE (S256)</h4>
<ol>
<li>Send the resident's browser to <code>{base}/oauth/authorize?response_type=code&amp;client_id=…&amp;
redirect_uri=…&amp;scope=read:profile&amp;state=…&amp;code_challenge=…&amp;code_challenge_method=S256</code>.
The hub's consent screen shows your app's name and what it asks for; the resident signs in and allows or
declines.</li>
<li>The browser comes back to your <code>redirect_uri</code> with <code>code</code> and <code>state</code>
(or <code>error=access_denied</code>).</li>
<li>Exchange the code within two minutes:
<pre><code>curl -s {base}/oauth/token -u YOUR_CLIENT_ID:YOUR_CLIENT_SECRET \\
  -d grant_type=authorization_code -d code=CODE -d redirect_uri=URI -d code_verifier=VERIFIER</code></pre>
You get an access token and a refresh token (<code>grant_type=refresh_token</code>; each works once).</li>
</ol>
<p>Residents see and revoke the apps acting for them (<code>viewer.connectedApps</code>,
<code>revokeAppAccess</code>); a revoked app's tokens stop working within seconds.</p>
<h4>Scopes</h4>
<table><tbody>
{scopes}
</tbody></table>
<h4>Webhooks</h4>
<p>With an app token, <code>subscribeWebhook(input: {{url, events}})</code> sends public feedback events
({events}) to your https URL as JSON, signed with the secret it returns:
<code>X-Hub-Signature-256: sha256=HMAC-SHA256(secret, body)</code>. Deliveries are retried with backoff
until a 2xx; deduplicate by <code>X-Hub-Delivery</code>. Read the delivery log with
<code>appWebhookDeliveries</code>.</p>
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
        (
            "Rate limit bucket",
            f"{settings.rate_limit_bucket_size:,} points, refilled at "
            f"{settings.rate_limit_restore_rate:g} points a second",
        ),
        ("Execution time", f"{settings.graphql_timeout_seconds:g} s"),
        ("Batching", "off: one operation per request"),
    ]
    rows = "\n".join(f'<tr><th scope="row">{name}</th><td>{value}</td></tr>' for name, value in limits)
    credentials = (
        _CLIENT_CREDENTIALS.format(
            base=base,
            scopes="\n".join(
                f'<tr><th scope="row"><code>{name}</code></th><td>{html.escape(text["en"])}</td></tr>'
                for name, text in SCOPES.items()
            ),
            events=", ".join(f"<code>{e}</code>" for e in EVENT_TYPES),
        )
        if has_oauth
        else _CREDENTIALS_COMING
    )
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
