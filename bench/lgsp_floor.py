"""The floor of the LGSP ingest benchmark: the least a signed webhook can do with a batch, as a server.

bench/lgsp_ingest.py starts it in its own process:

    .venv/bin/python bench/lgsp_floor.py PORT TABLE   (DATA_DIR, DATABASE_URL and LGSP_WEBHOOK_SECRET set)

It answers POST /integrations/lgsp/dossier-events as the hub's webhook does up to the database (the same
uvicorn options, body cap, HMAC check, orjson and batch validation: the hub's own functions), then stores
the events in TABLE, a table shaped like the bench's bare one, with one executemany, skipping event ids
already stored, in one transaction, on the hub's own engine (same SQLite pragmas, same pool).
It keeps no dossier state and writes no notification. What the hub does beyond this floor is what
issue 6 asks of it; the floor measures what HTTP and validation alone cost beside the bare insert.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
import uvicorn
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.config import Settings
from server.db import create_engine
from server.records.http import BodyTooLarge, read_capped, signature_matches
from server.records.ingest import parse_batch


def floor_app(settings: Settings, table: str) -> Starlette:
    engine = create_engine(settings)
    secret = settings.lgsp_webhook_secret or ""
    stamp = (lambda m: m.isoformat()) if settings.database_url.startswith("sqlite") else (lambda m: m)
    insert = text(
        f"INSERT INTO {table} (event_id, dossier_code, status, note, occurred_at, due_at) "
        "VALUES (:event_id, :dossier_code, :status, :note, :occurred_at, :due_at) "
        "ON CONFLICT (event_id) DO NOTHING"
    )

    async def receive(request: Request) -> Response:
        try:
            body = await read_capped(request)
        except BodyTooLarge:
            return JSONResponse({"error": "too large"}, 413)
        if not signature_matches(secret, body, request.headers.get("x-signature-256", "")):
            return JSONResponse({"error": "bad signature"}, 401)
        events, problems = parse_batch(orjson.loads(body))
        if problems:
            return JSONResponse({"errors": [p.as_json() for p in problems]}, 422)
        rows: list[dict[str, Any]] = [
            {
                "event_id": e.event_id,
                "dossier_code": e.dossier_code,
                "status": e.status,
                "note": e.note,
                "occurred_at": stamp(e.occurred_at),
                "due_at": None if e.due_at is None else stamp(e.due_at),
            }
            for e in events
        ]
        async with engine.begin() as conn:
            await conn.execute(insert, rows)
        return JSONResponse({"accepted": len(rows), "duplicates": 0})

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/integrations/lgsp/dossier-events", receive, methods=["POST"]),
            Route("/healthz", healthz),
        ]
    )


def main() -> None:
    port, table = int(sys.argv[1]), sys.argv[2]
    uvicorn.run(
        floor_app(Settings.from_env(), table),
        host="127.0.0.1",
        port=port,
        access_log=False,
        log_level="warning",
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
