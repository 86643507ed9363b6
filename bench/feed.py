"""Feed benchmark: the same 20-item feedback page through GraphQL and through its hand-written REST twin.

Run (each backend gets a scratch database; PostgreSQL at 127.0.0.1:5432 as user postgres):

    .venv/bin/python bench/feed.py --backend sqlite [--seconds 10] [--concurrency 32] [--feedbacks 300]
    .venv/bin/python bench/feed.py --backend postgresql

It starts a real `citizen-hub serve` (demo data, rate limits opened wide so the bench is not throttled),
fills it with N reports with two photos each, and starts the REST twin in a second process on the same
database: a Starlette endpoint written the fastest way a careful engineer would (SQLAlchemy Core rows,
no ORM objects, the same statements as the GraphQL read path: the page with its joins and a window
count, one batched photo load, and for a signed-in resident one query each for supports and follows;
orjson). The twin returns the same JSON document as GraphQL (checked before timing). Then, for an
anonymous visitor and for a signed-in resident, it drives each server with `--concurrency` concurrent
connections for `--seconds` and prints requests per second, p50 and p99 latency, and the throughput ratio
GraphQL / REST. Targets (issue 4, part 11): >= 0.9 anonymous, >= 0.5 signed in.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUERY = """query Feed($first: Int) { feedbacks(first: $first) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node {
    id referenceCode title status createdAt dueAt isOverdue supportCount viewerHasSupported viewerIsFollowing
    category { id code name } unit { id name } assignedAgency { id name } author { displayName }
    location { latitude longitude } photos { url thumbnailUrl width height }
  } } } }"""

PAGE = 20


# ---------------------------------------------------------------------------------------- the REST twin


def twin_app() -> Any:
    """The REST twin: GET /feed?first=20 -> the same JSON as the GraphQL query above."""
    import orjson
    from sqlalchemy import and_, func, select
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from server.catalog.models import AdministrativeUnit, Agency, FeedbackCategory
    from server.config import Settings
    from server.feedback.models import Feedback, FeedbackFollow, FeedbackPhoto, FeedbackSupport
    from server.hub import Hub
    from server.identity.models import Account
    from server.identity.tokens import InvalidToken

    settings = Settings.from_env()
    hub = Hub.build(settings)
    base = settings.public_base_url
    vietnam = timezone(timedelta(hours=7))
    open_states = {"SUBMITTED", "ASSIGNED", "IN_PROGRESS"}

    def gid(kind: str, pk: int) -> str:
        return base64.b64encode(f"{kind}:{pk}".encode()).decode()

    def when(value: datetime | None) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(vietnam).isoformat("T", "seconds")

    f, c, u, a, acc = Feedback, FeedbackCategory, AdministrativeUnit, Agency, Account
    page_query = (
        select(
            f.id,
            f.reference_code,
            f.title,
            f.status,
            f.created_at,
            f.due_at,
            f.resolved_at,
            f.support_count,
            f.latitude,
            f.longitude,
            f.anonymous,
            f.author_account_id,
            f.assigned_agency_id,
            c.id.label("c_id"),
            c.code.label("c_code"),
            c.name.label("c_name"),
            u.id.label("u_id"),
            u.name.label("u_name"),
            a.id.label("a_id"),
            a.name.label("a_name"),
            acc.full_name.label("author_name"),
            acc.role.label("author_role"),
            func.count().over().label("total"),
        )
        .join(c, c.id == f.category_id)
        .outerjoin(u, u.id == f.unit_id)
        .outerjoin(a, a.id == f.assigned_agency_id)
        .outerjoin(acc, acc.id == f.author_account_id)
        .order_by(f.created_at.desc(), f.id.desc())
    )
    photo_cols = (
        FeedbackPhoto.feedback_id,
        FeedbackPhoto.path,
        FeedbackPhoto.thumbnail_path,
        FeedbackPhoto.width,
        FeedbackPhoto.height,
    )

    async def feed(request: Request) -> Response:
        first = min(int(request.query_params.get("first", PAGE)), 100)
        principal = None
        header = request.headers.get("authorization")
        if header:
            try:
                principal = hub.tokens.verify(header.partition(" ")[2])
            except InvalidToken:
                return Response(b'{"error":"unauthenticated"}', 401, media_type="application/json")
        me = principal.account_id if principal else None
        async with hub.engine.connect() as conn:
            rows = (await conn.execute(page_query.limit(first))).all()
            ids = [r.id for r in rows]
            photos: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
            if ids:
                for p in await conn.execute(
                    select(*photo_cols)
                    .where(and_(FeedbackPhoto.feedback_id.in_(ids), FeedbackPhoto.event_id.is_(None)))
                    .order_by(FeedbackPhoto.position)
                ):
                    photos[p.feedback_id].append(
                        {
                            "url": f"{base}/media/{p.path}",
                            "thumbnailUrl": f"{base}/media/{p.thumbnail_path}",
                            "width": p.width,
                            "height": p.height,
                        }
                    )
            supported: set[int] = set()
            following: set[int] = set()
            if me is not None and ids:
                supported = set(
                    (
                        await conn.execute(
                            select(FeedbackSupport.feedback_id).where(
                                FeedbackSupport.account_id == me, FeedbackSupport.feedback_id.in_(ids)
                            )
                        )
                    ).scalars()
                )
                following = set(
                    (
                        await conn.execute(
                            select(FeedbackFollow.feedback_id).where(
                                FeedbackFollow.account_id == me, FeedbackFollow.feedback_id.in_(ids)
                            )
                        )
                    ).scalars()
                )
        now = datetime.now(UTC)
        role = principal.role.value if principal and principal.role else None
        edges = []
        for i, r in enumerate(rows):
            created = r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=UTC)
            due = r.due_at if r.due_at is None or r.due_at.tzinfo else r.due_at.replace(tzinfo=UTC)
            resolved = r.resolved_at
            if resolved is not None and resolved.tzinfo is None:
                resolved = resolved.replace(tzinfo=UTC)
            status = r.status
            if status == "RESOLVED" and resolved is not None and resolved + timedelta(days=7) <= now:
                status = "CLOSED"
            is_author = me is not None and me == r.author_account_id
            privileged = (
                is_author
                or role == "ADMIN"
                or (role == "CADRE" and principal.agency_id == r.assigned_agency_id)
            )
            exact = is_author or role in ("CADRE", "ADMIN")
            author = None
            if r.author_name is not None and (not r.anonymous or privileged):
                name = r.author_name
                if r.author_role == "CITIZEN":
                    parts = name.split()
                    name = f"{parts[-1]} {parts[0][0]}." if len(parts) >= 2 else name
                author = {"displayName": name}
            edges.append(
                {
                    "cursor": base64.b64encode(f"offset:{i}".encode()).decode(),
                    "node": {
                        "id": gid("Feedback", r.id),
                        "referenceCode": r.reference_code or "",
                        "title": r.title,
                        "status": status,
                        "createdAt": when(created),
                        "dueAt": when(due),
                        "isOverdue": bool(due and due < now and status in open_states),
                        "supportCount": r.support_count,
                        "viewerHasSupported": r.id in supported,
                        "viewerIsFollowing": r.id in following,
                        "category": {
                            "id": gid("FeedbackCategory", r.c_id),
                            "code": r.c_code,
                            "name": r.c_name,
                        },
                        "unit": {"id": gid("AdministrativeUnit", r.u_id), "name": r.u_name}
                        if r.u_id
                        else None,
                        "assignedAgency": {"id": gid("Agency", r.a_id), "name": r.a_name} if r.a_id else None,
                        "author": author,
                        "location": {
                            "latitude": r.latitude if exact else round(r.latitude, 3),
                            "longitude": r.longitude if exact else round(r.longitude, 3),
                        },
                        "photos": photos[r.id],
                    },
                }
            )
        total = rows[0].total if rows else 0
        body = {
            "data": {
                "feedbacks": {
                    "totalCount": total,
                    "pageInfo": {
                        "hasNextPage": len(rows) < total,
                        "endCursor": edges[-1]["cursor"] if edges else None,
                    },
                    "edges": edges,
                }
            }
        }
        return Response(orjson.dumps(body), media_type="application/json")

    return Starlette(routes=[Route("/feed", feed)])


# ---------------------------------------------------------------------------------------- the driver


async def drive(
    url: str, *, method: str, body: Any, headers: dict[str, str], seconds: float, concurrency: int
) -> list[float]:
    import httpx

    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                if method == "POST":
                    response = await client.post(url, content=body, headers=headers)
                else:
                    response = await client.get(url, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
                latencies.append(time.perf_counter() - start)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def summary(latencies: list[float], seconds: float) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return len(ordered) / seconds, statistics.median(ordered) * 1000, p99 * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--feedbacks", type=int, default=300)
    args = parser.parse_args()

    import httpx

    from tests.conftest import STRONG_PASSWORD, unique_phone
    from tests.feedback_helpers import (
        SUBMIT,
        categories,
        execute_sql,
        feedback_input,
        jpeg_bytes,
        multipart,
        pk,
    )
    from tests.support import GraphQLClient, HubProcess, free_port, new_database

    tmp = Path(tempfile.mkdtemp(prefix="bench-feed-"))
    database = new_database(tmp, args.backend)
    env = {
        "RATE_LIMIT_BUCKET_SIZE": "1000000000",
        "RATE_LIMIT_RESTORE_RATE": "1000000000",
        "GRAPHQL_MAX_COST": "100000",
        "LOG_REQUESTS": "false",
        "DB_POOL_SIZE": str(args.concurrency),
    }
    hub = HubProcess(data_dir=tmp / "data", database=database, env=env)
    twin: subprocess.Popen[bytes] | None = None
    try:
        if database.backend != "sqlite":
            hub.run_cli("seed", "--demo", check=True)
        hub.start()
        gql = GraphQLClient(hub.url)
        phone = unique_phone()
        token = gql(
            "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
            {"i": {"phone": phone, "password": STRONG_PASSWORD, "fullName": "Trần Thị Bình"}},
        )["register"]["accessToken"]
        data = feedback_input(categories(gql)["ROADS"]["id"], photos=[None, None], title="Bench report")
        files = {
            f"input.photos.{i}": (f"{i}.jpg", jpeg_bytes((640 + i, 480)), "image/jpeg") for i in range(2)
        }
        source = pk(
            multipart(gql, SUBMIT, {"input": data}, files, token=token).json()["data"]["submitFeedback"][
                "feedback"
            ]["id"]
        )
        columns = (
            "title, description, category_id, status, latitude, longitude, address, unit_id, "
            "author_account_id, anonymous, assigned_agency_id, created_at, updated_at, due_at, version, "
            "support_count, search_text"
        )
        copies = " UNION ALL ".join(f"SELECT {i} AS n" for i in range(args.feedbacks))
        execute_sql(
            hub,
            f"INSERT INTO feedback ({columns}) SELECT {columns} FROM feedback, ({copies}) AS c "
            "WHERE id = :id",
            {"id": source},
        )
        execute_sql(
            hub,
            "INSERT INTO feedback_photos (feedback_id, position, path, thumbnail_path, width, height, "
            "created_at) SELECT f.id, p.position, p.path, p.thumbnail_path, p.width, p.height, "
            "p.created_at FROM feedback f, feedback_photos p WHERE p.feedback_id = :id "
            "AND f.id <> :id AND f.title = 'Bench report'",
            {"id": source},
        )
        execute_sql(
            hub,
            "INSERT INTO feedback_supports (feedback_id, account_id, created_at) "
            "SELECT id, author_account_id, created_at FROM feedback WHERE title = 'Bench report' "
            "AND id % 3 = 0",
        )
        twin_port = free_port()
        twin = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "bench.feed:twin_app",
                "--port",
                str(twin_port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env={**hub.full_env()},
            cwd=Path(__file__).resolve().parent.parent,
        )
        twin_url = f"http://127.0.0.1:{twin_port}/feed?first={PAGE}"
        for _ in range(100):
            try:
                if httpx.get(twin_url).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        body = json.dumps({"query": QUERY, "variables": {"first": PAGE}}).encode()
        results = []
        for who, auth in (
            ("anonymous visitor", {}),
            ("signed-in resident", {"Authorization": f"Bearer {token}"}),
        ):
            graph = gql.http.post(
                "/graphql", content=body, headers={"content-type": "application/json", **auth}
            )
            rest = httpx.get(twin_url, headers=auth)
            # GraphQL adds extensions (the query cost); the data must be the same document.
            assert graph.json()["data"] == rest.json()["data"], f"the twin differs from GraphQL for the {who}"
            measured = {}
            for name, url, method in ((("GraphQL", f"{hub.url}/graphql", "POST")), ("REST", twin_url, "GET")):
                headers = {"content-type": "application/json", **auth}
                asyncio.run(
                    drive(
                        url,
                        method=method,
                        body=body,
                        headers=headers,
                        seconds=1,
                        concurrency=args.concurrency,
                    )
                )  # warm-up
                latencies = asyncio.run(
                    drive(
                        url,
                        method=method,
                        body=body,
                        headers=headers,
                        seconds=args.seconds,
                        concurrency=args.concurrency,
                    )
                )
                measured[name] = summary(latencies, args.seconds)
            results.append((who, measured))
        print(
            f"\nFeed page of {PAGE} ({args.feedbacks + 1} reports, 2 photos each), {args.backend}, "
            f"{args.concurrency} concurrent connections, {args.seconds:.0f} s each"
        )
        print(f"{'who':<20} {'server':<8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
        for who, measured in results:
            for name, (rps, p50, p99) in measured.items():
                print(f"{who:<20} {name:<8} {rps:8.0f} {p50:8.1f} {p99:8.1f}")
            ratio = measured["GraphQL"][0] / measured["REST"][0]
            target = 0.9 if who.startswith("anonymous") else 0.5
            print(f"{who:<20} GraphQL/REST throughput ratio {ratio:.2f} (target >= {target})")
        gql.close()
    finally:
        if twin is not None:
            twin.terminate()
            twin.wait(timeout=10)
        hub.stop()
        database.drop()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
