"""LGSP ingest benchmark: dossier events through the signed webhook against a bare executemany insert.

Run (each backend gets a scratch database; PostgreSQL at 127.0.0.1:5432 as user postgres):

    .venv/bin/python bench/lgsp_ingest.py --backend sqlite [--events 10000] [--batch 100]
    .venv/bin/python bench/lgsp_ingest.py --backend postgresql

It starts a real `citizen-hub serve` (LGSP_WEBHOOK_SECRET set) on a scratch database, with one resident
whose verified national ID owns every dossier, so every applied event writes its notification's outbox row
in the same transaction. It posts N events (N/5 dossiers, five statuses each, interleaved) in batches of
`--batch`, one request after the other, signed as the platform signs them, and times it. Then it inserts the
same N rows into a table shaped like `dossier_events` in the same database with a bare executemany per batch
(one transaction per batch, the same driver), and times that. It prints both rates in events per second and
their ratio, and checks that every event was stored once and that every event has its outbox row.
Target (issue 6, part 8): webhook rate >= 0.3 x bare insert rate.

Last measured 2026-11-26 (docs/records.md, "Benchmark"): ratio 0.09-0.14 on SQLite and PostgreSQL, live or
deferred dispatcher, after the set-based ingest (constant statements a batch, one JSON parameter each):
target NOT met. The bare side writes one row an event; an applied event writes four (event, outbox row,
dossier lock, dossier state), which on PostgreSQL alone cost ~9 ms server-side a batch against ~2.5 ms for
the whole bare insert. The measurement itself is unchanged.

Third session (same day, 19:31 UTC, faster machine): bodies are built and signed before the clock starts
(as the bare rows are), and a floor is timed too (bench/lgsp_floor.py: the hub's HTTP stack and
validation, then only the events stored). webhook / floor / bare events/s: SQLite deferred 6,729 / 29,019
/ 56,598 (0.12, floor 0.51); SQLite live 5,314 / 32,893 / 52,076 (0.10, 0.63); PostgreSQL deferred 5,162
/ 16,052 / 33,712 (0.15, 0.48); PostgreSQL live 4,179 / 24,450 / 39,004 (0.11, 0.63). HTTP and validation
alone leave about half of the bare rate: target NOT met, and not reachable with a dossier row, its history
and a notification written per event (docs/records.md).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import HubProcess, free_port, new_database, query_db

SECRET = "bench-secret"
STATUSES = ["RECEIVED", "PROCESSING", "SUPPLEMENT_REQUESTED", "RESULT_READY", "COMPLETED"]
NATIONAL_ID = "079099000001"


def make_events(count: int) -> list[dict[str, Any]]:
    """N events: N/5 dossiers going through five statuses. The platform reports every dossier's first
    change, then every second change, ...: each batch carries many dossiers and every event is applied, so
    every event writes its notification's outbox row."""
    start = datetime(2026, 11, 1, 8, tzinfo=UTC)
    dossiers = max(1, count // len(STATUSES))
    events = []
    for step, status in enumerate(STATUSES):
        for dossier in range(dossiers):
            if len(events) == count:
                break
            events.append(
                {
                    "eventId": f"bench-{step}-{dossier:07d}",
                    "dossierCode": f"000.00.12.H03-261101-{dossier:06d}",
                    "citizenNationalId": NATIONAL_ID,
                    "procedureCode": "1.001193",
                    "agencyCode": "UBND-VUNGTAU",
                    "status": status,
                    "note": "Chuyển phòng chuyên môn" if step == 1 else None,
                    "occurredAt": (start + timedelta(hours=step, seconds=dossier)).isoformat(),
                    "receivedAt": start.isoformat(),
                    "dueAt": (start + timedelta(days=7)).isoformat(),
                }
            )
    return events


def signed_batches(events: list[dict[str, Any]], batch: int) -> list[tuple[bytes, str]]:
    """Each batch's body and X-Signature-256, made before the clock starts (as the bare insert's rows are):
    what the platform spends building and signing them is not the hub's ingest rate."""
    bodies = []
    for offset in range(0, len(events), batch):
        body = json.dumps({"events": events[offset : offset + batch]}, ensure_ascii=False).encode()
        bodies.append((body, "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()))
    return bodies


def post_batches(url: str, bodies: list[tuple[bytes, str]]) -> float:
    with httpx.Client(timeout=120) as client:
        started = time.perf_counter()
        for body, signature in bodies:
            response = client.post(
                url + "/integrations/lgsp/dossier-events",
                content=body,
                headers={"content-type": "application/json", "x-signature-256": signature},
            )
            if response.status_code != 200:
                raise SystemExit(f"webhook answered {response.status_code}: {response.text[:300]}")
        return time.perf_counter() - started


async def create_bare_table(engine: Any, name: str) -> None:
    """A table shaped like `dossier_events`' own columns, with its unique event id."""
    from sqlalchemy import text

    sqlite = engine.url.get_backend_name() == "sqlite"
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        await conn.execute(
            text(
                f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, "
                "event_id VARCHAR(100) UNIQUE NOT NULL, dossier_code VARCHAR(100) NOT NULL, "
                "status VARCHAR(32) NOT NULL, note TEXT, occurred_at VARCHAR(40) NOT NULL, "
                "due_at VARCHAR(40))"
                if sqlite
                else f"CREATE TABLE {name} (id SERIAL PRIMARY KEY, "
                "event_id VARCHAR(100) UNIQUE NOT NULL, dossier_code VARCHAR(100) NOT NULL, "
                "status VARCHAR(32) NOT NULL, note TEXT, occurred_at TIMESTAMPTZ NOT NULL, "
                "due_at TIMESTAMPTZ)"
            )
        )


def floor_webhook(hub: HubProcess, database_url: str, bodies: list[tuple[bytes, str]]) -> float:
    """The same bodies through bench/lgsp_floor.py: verify, validate, store the events; nothing else."""
    from sqlalchemy.ext.asyncio import create_async_engine

    async def create() -> None:
        engine = create_async_engine(database_url)
        try:
            await create_bare_table(engine, "bench_floor_events")
        finally:
            await engine.dispose()

    asyncio.run(create())
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("lgsp_floor.py")), str(port), "bench_floor_events"],
        env=hub.full_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        return post_batches(url, bodies)
    finally:
        server.terminate()
        server.wait(timeout=15)


async def bare_insert(url: str, events: list[dict[str, Any]], batch: int) -> float:
    """The same rows into a dossier_events-shaped table: one executemany and one commit per batch."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    await create_bare_table(engine, "bench_bare_events")
    insert = text(
        "INSERT INTO bench_bare_events (event_id, dossier_code, status, note, occurred_at, due_at) "
        "VALUES (:event_id, :dossier_code, :status, :note, :occurred_at, :due_at)"
    )
    rows = [
        {
            "event_id": e["eventId"],
            "dossier_code": e["dossierCode"],
            "status": e["status"],
            "note": e["note"],
            "occurred_at": datetime.fromisoformat(e["occurredAt"]),
            "due_at": datetime.fromisoformat(e["dueAt"]),
        }
        for e in events
    ]
    if url.startswith("sqlite"):
        for row in rows:
            row["occurred_at"] = row["occurred_at"].isoformat()
            row["due_at"] = row["due_at"].isoformat()
    try:
        started = time.perf_counter()
        for offset in range(0, len(rows), batch):
            async with engine.begin() as conn:
                await conn.execute(insert, rows[offset : offset + batch])
        return time.perf_counter() - started
    finally:
        await engine.dispose()


def _count(url: str, table: str) -> int:
    return int(query_db(url, f"SELECT count(*) FROM {table}")[0][0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument(
        "--dispatch",
        choices=["live", "deferred"],
        default="live",
        help="live: the hub's dispatcher turns outbox rows into notifications while events arrive (the same "
        "process and database compete); deferred: it waits an hour (DISPATCH_DELAY_SECONDS), so the rate is "
        "the webhook's alone. Either way every applied event's outbox row is written in its batch.",
    )
    args = parser.parse_args()
    events = make_events(args.events)
    bodies = signed_batches(events, args.batch)
    tmp = Path(tempfile.mkdtemp(prefix="lgsp-bench-"))
    database = new_database(tmp, args.backend)
    env = {"LGSP_WEBHOOK_SECRET": SECRET, "LOG_REQUESTS": "false", "LOAD_DEMO_DATA": "true"}
    if args.dispatch == "deferred":
        env["DISPATCH_DELAY_SECONDS"] = "3600"
    hub = HubProcess(data_dir=tmp / "data", database=database, env=env)
    try:
        if args.backend != "sqlite":
            hub.run_cli("seed", "--demo", check=True)
        else:
            hub.run_cli("migrate", check=True)
            hub.run_cli("seed", "--demo", check=True)
        phone = "0981" + str(uuid.uuid4().int)[:6]
        hub.run_cli(
            "create-user",
            "--phone",
            phone,
            "--password",
            "Hoa sen nở giữa hè 2026",
            "--name",
            "Người đo",
            "--national-id",
            NATIONAL_ID,
            check=True,
        )
        hub.run_cli("verify-identity", "--phone", phone, check=True)
        hub.start()
        drain_started = time.perf_counter()
        webhook_seconds = post_batches(hub.url, bodies)
        stored = _count(database.url, "dossier_events")
        outbox = _count(database.url, "outbox_events")
        drained = None
        if args.dispatch == "live":  # how long until every notification is in the owner's inbox
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline and _count(database.url, "notifications") < outbox:
                time.sleep(0.5)
            drained = time.perf_counter() - drain_started
        hub.stop()
        floor_seconds = floor_webhook(hub, database.url, bodies)
        floor_stored = _count(database.url, "bench_floor_events")
        bare_seconds = asyncio.run(bare_insert(database.url, events, args.batch))
    finally:
        hub.stop()
        database.drop()
    webhook_rate = args.events / webhook_seconds
    bare_rate = args.events / bare_seconds
    floor_rate = args.events / floor_seconds
    print(
        f"backend {args.backend}: {args.events} events in batches of {args.batch}, dispatcher {args.dispatch}"
    )
    print(f"  webhook (signed HTTP, validate, upsert, apply, outbox): {webhook_rate:9.0f} events/s")
    print(f"  bare executemany insert, same rows, same database:    {bare_rate:9.0f} events/s")
    print(f"  floor webhook (signed HTTP, validate, insert events only): {floor_rate:9.0f} events/s")
    print(f"  ratio webhook / bare: {webhook_rate / bare_rate:.2f} (target >= 0.30)")
    print(f"  ratio floor / bare:   {floor_rate / bare_rate:.2f} (what HTTP and validation alone leave)")
    print(f"  stored events: {stored} (expected {args.events}); outbox rows for dossiers: {outbox}")
    if drained is not None:
        print(f"  every notification in the owner's inbox {drained:.1f} s after the first post")
    if stored != args.events or floor_stored != args.events:
        raise SystemExit("not every event was stored exactly once")


if __name__ == "__main__":
    main()
