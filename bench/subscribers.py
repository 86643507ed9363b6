"""Benchmark: one notification fanned out live to N WebSocket subscribers, against a bare broadcast.

    .venv/bin/python bench/subscribers.py                      # N = 1000 and 5000, SQLite, one process
    .venv/bin/python bench/subscribers.py --redis              # the same with two processes and Redis
    TEST_DATABASE=postgresql .venv/bin/python bench/subscribers.py --n 1000 5000

What it measures, per N:
- a real `citizen-hub serve` with N graphql-transport-ws connections, each subscribed to notificationReceived
  of one account (the fan-out cost is per connection; one account keeps setting up N tokens cheap). The hub
  shares no work between subscribers of one account: each connection renders and encodes its own message,
  as it would for N accounts. Not measured here: the dispatcher writing N inbox rows for N recipients;
- a cadre replies to that account's feedback; from the moment the mutation is sent (so the commit is inside
  the interval) until each subscriber holds the message: p50, p99 and the last one, over --rounds rounds
  (the median of the rounds' lasts; each round's last is printed too);
- the message a hub subscriber received (its very bytes, binary frames like the hub's) broadcast to N
  clients by a bare `websockets` server (websockets.broadcast) running in a process of its own, as the hub
  does, triggered over a control connection: the same numbers, and the ratio last(hub) / last(bare).
  Target: at most 2 at N = 5000 on one process;
- the hub's resident memory with N idle subscriptions (target: under 500 MB at N = 5000).
With --redis, process B (dispatcher lease holder) takes the mutation and process A holds the subscribers.
Client and servers share the machine (2 cores here), for the hub and the bare server alike.

Changed on 26 Nov 2026 because the old way flattered the hub or the bare server: the bare server ran in the
clients' own event loop (its broadcast and their reads took turns on one core, while the hub's process ran
beside them: a slow baseline), and it sent a made-up payload of the size of a message without the
`extensions` the hub adds, as text frames.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import BACKEND, REDIS_URL, HubProcess, new_database

PASSWORD = "Hoa sen nở giữa hè 2026"
SUBSCRIPTION = "subscription { notificationReceived { id kind title body } }"
CONNECT_BATCH = 200


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def gql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None = None
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


async def setup_story(hub: HubProcess) -> tuple[str, str, str]:
    """A resident with a feedback, and a cadre of the agency it went to. Returns their tokens and its id."""
    phone = f"098{uuid.uuid4().int % 10_000_000:07d}"
    hub.run_cli(
        "create-user",
        "--phone",
        phone,
        "--password",
        PASSWORD,
        "--name",
        "Cán Bộ",
        "--role",
        "cadre",
        "--agency",
        "UBND-VUNGTAU",
        check=True,
    )
    async with httpx.AsyncClient(base_url=hub.url, timeout=30) as client:
        login = await gql(
            client,
            "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
            {"i": {"phone": phone, "password": PASSWORD}},
        )
        cadre = login["login"]["accessToken"]
        reg = await gql(
            client,
            "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
            {
                "i": {
                    "phone": f"098{uuid.uuid4().int % 10_000_000:07d}",
                    "password": PASSWORD,
                    "fullName": "Dân Cư",
                }
            },
        )
        resident = reg["register"]["accessToken"]
        category = (await gql(client, "{ feedbackCategories { id code } }", {}))["feedbackCategories"]
        roads = next(c["id"] for c in category if c["code"] == "ROADS")
        submitted = await gql(
            client,
            "mutation($i: SubmitFeedbackInput!) { submitFeedback(input: $i) { feedback { id } } }",
            {
                "i": {
                    "idempotencyKey": uuid.uuid4().hex,
                    "title": "Đèn đường hỏng",
                    "description": "Cả dãy đèn không sáng.",
                    "categoryId": roads,
                    "location": {"latitude": 10.346, "longitude": 107.084},
                }
            },
            resident,
        )
        return cadre, resident, submitted["submitFeedback"]["feedback"]["id"]


async def open_subscribers(url: str, token: str, n: int) -> list[websockets.ClientConnection]:
    async def one() -> websockets.ClientConnection:
        conn = await websockets.connect(url, subprotocols=["graphql-transport-ws"], max_queue=None)
        await conn.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await conn.recv())["type"] == "connection_ack"
        await conn.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
        return conn

    conns: list[websockets.ClientConnection] = []
    for start in range(0, n, CONNECT_BATCH):
        conns += await asyncio.gather(*(one() for _ in range(min(CONNECT_BATCH, n - start))))
    await asyncio.sleep(1)  # every subscribe processed
    return conns


async def receive_all(
    conns: list[websockets.ClientConnection], t0_box: list[float], sample: list[str | bytes] | None = None
) -> list[float]:
    async def one(conn: websockets.ClientConnection) -> float:
        message = await asyncio.wait_for(conn.recv(), 120)
        received = time.perf_counter()
        assert json.loads(message)["type"] == "next", message
        if sample is not None and not sample:
            sample.append(message)
        return received - t0_box[0]

    return await asyncio.gather(*(one(c) for c in conns))


async def hub_rounds(
    sub_hub: HubProcess, mut_hub: HubProcess, n: int, rounds: int
) -> tuple[list[float], list[float], float, float, str | bytes]:
    cadre, resident, feedback = await setup_story(mut_hub)
    idle = rss_mb(sub_hub.process.pid)  # type: ignore[union-attr]
    conns = await open_subscribers(sub_hub.url.replace("http", "ws") + "/graphql", resident, n)
    loaded = rss_mb(sub_hub.process.pid)  # type: ignore[union-attr]
    print(f"# subscribed; subscriber process pid {sub_hub.process.pid}", file=sys.stderr, flush=True)  # type: ignore[union-attr]
    all_latencies: list[float] = []
    lasts: list[float] = []
    sample: list[str | bytes] = []  # a message as the hub sent it, for the bare broadcast to match
    async with httpx.AsyncClient(base_url=mut_hub.url, timeout=60) as client:
        for i in range(rounds):
            t0 = [0.0]
            waiting = asyncio.create_task(receive_all(conns, t0, sample))
            await asyncio.sleep(0.2)
            t0[0] = time.perf_counter()
            await gql(
                client,
                "mutation($i: ReplyToFeedbackInput!) { replyToFeedback(input: $i) { errors { code } } }",
                {"i": {"id": feedback, "message": f"Trả lời lần {i + 1}"}},
                cadre,
            )
            latencies = await waiting
            all_latencies += latencies
            lasts.append(max(latencies))
    await asyncio.gather(*(c.close() for c in conns))
    return all_latencies, lasts, idle, loaded, sample[0]


async def bare_rounds(n: int, rounds: int, hub_message: str | bytes) -> tuple[list[float], list[float]]:
    """The bare broadcast, its server in a process of its own as the hub is (see bare_server)."""
    with tempfile.NamedTemporaryFile(suffix=".msg") as message_file:
        # The very bytes (and frame type: binary, as the hub sends) a hub subscriber got.
        message_file.write(hub_message if isinstance(hub_message, bytes) else hub_message.encode())
        message_file.flush()
        kind = "binary" if isinstance(hub_message, bytes) else "text"
        server = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--bare-server", message_file.name, kind, stdout=asyncio.subprocess.PIPE
        )
        try:
            assert server.stdout is not None
            port = int(await server.stdout.readline())
            return await bare_clients(port, n, rounds)
        finally:
            server.terminate()
            await server.wait()


async def bare_clients(port: int, n: int, rounds: int) -> tuple[list[float], list[float]]:
    conns: list[websockets.ClientConnection] = []
    for start in range(0, n, CONNECT_BATCH):
        conns += await asyncio.gather(
            *(
                websockets.connect(f"ws://127.0.0.1:{port}", max_queue=None)
                for _ in range(min(CONNECT_BATCH, n - start))
            )
        )
    async with websockets.connect(f"ws://127.0.0.1:{port}/control") as control:
        for _ in range(2000):  # until the server counts every client (it answers "count" with it)
            await control.send("count")
            if int(await control.recv()) >= n:
                break
            await asyncio.sleep(0.05)
        else:
            raise TimeoutError("clients did not all connect")
        all_latencies: list[float] = []
        lasts: list[float] = []
        for _ in range(rounds):
            t0 = [0.0]
            waiting = asyncio.create_task(receive_all(conns, t0))
            await asyncio.sleep(0.2)
            t0[0] = time.perf_counter()
            await control.send("broadcast")
            latencies = await waiting
            all_latencies += latencies
            lasts.append(max(latencies))
    await asyncio.gather(*(c.close() for c in conns))
    return all_latencies, lasts


def bare_server(message_path: str, kind: str) -> None:
    """A bare `websockets` server: `broadcast` on the /control connection sends the message to every
    other client with websockets.broadcast (one frame encoded, written N times)."""
    raw = Path(message_path).read_bytes()
    message: str | bytes = raw if kind == "binary" else raw.decode()
    clients: set[Any] = set()

    async def handler(ws: Any) -> None:
        if ws.request.path == "/control":
            async for command in ws:
                if command == "broadcast":
                    websockets.broadcast(clients, message)
                else:
                    await ws.send(str(len(clients)))
            return
        clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async def serve() -> None:
        # No compression, like the hub (serve turns permessage-deflate off).
        async with websockets.serve(handler, "127.0.0.1", 0, compression=None) as server:
            print(server.sockets[0].getsockname()[1], flush=True)
            await asyncio.Future()

    asyncio.run(serve())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def start_hubs(root: Path, redis: bool) -> tuple[HubProcess, HubProcess, list[HubProcess]]:
    database = new_database(root)
    env = {
        "RATE_LIMIT_BUCKET_SIZE": "100000000",
        "LOG_REQUESTS": "false",
        "DISPATCH_POLL_SECONDS": os.environ.get("BENCH_POLL", "1"),
    }
    if redis:
        env.update(
            {
                "REDIS_URL": REDIS_URL,
                "REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:6]}",
                "JWT_ISSUER": "https://hub.bench",
            }
        )
    first = HubProcess(data_dir=root / "data", database=database, env=dict(env))
    if database.backend != "sqlite":
        first.run_cli("seed", "--demo", check=True)
    first.start()
    if not redis:
        return first, first, [first]
    # The first process holds the dispatcher lease and takes the mutation; the second holds the subscribers.
    second = HubProcess(data_dir=root / "data", database=database, env=dict(env)).start()
    return second, first, [second, first]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--redis", action="store_true", help="two processes and Redis")
    args = parser.parse_args()
    mode = "two processes + Redis" if args.redis else "one process"
    print(f"# fan-out of one notification, {BACKEND}, {mode}, {args.rounds} rounds")
    print(
        "N      | hub first/p50/p99/last ms     | bare first/p50/p99/last ms    | ratio last | RSS idle->N MB"
    )
    for n in args.n:
        with tempfile.TemporaryDirectory() as tmp:
            sub_hub, mut_hub, hubs = start_hubs(Path(tmp), args.redis)
            try:
                hub_lat, hub_last, idle, loaded, sample = await hub_rounds(sub_hub, mut_hub, n, args.rounds)
            finally:
                for hub in hubs:
                    hub.stop()
                hubs[0].database.drop()
        bare_lat, bare_last = await bare_rounds(n, args.rounds, sample)
        ratio = statistics.median(hub_last) / statistics.median(bare_last)
        kind = "binary" if isinstance(sample, bytes) else "text"
        print(f"# N={n}: each subscriber got a {kind} message of {len(sample)} bytes; each bare client too")
        pairs = zip(hub_last, bare_last, strict=True)
        rounds_ms = ", ".join(f"{hub * 1e3:.0f}/{bare * 1e3:.0f}" for hub, bare in pairs)
        print(f"# N={n}: last subscriber per round, hub/bare ms: {rounds_ms}")
        print(
            f"{n:<6} | {summary(hub_lat, hub_last)} | {summary(bare_lat, bare_last)} | {ratio:10.2f} |"
            f" {idle:.0f} -> {loaded:.0f}",
            flush=True,
        )


def summary(latencies: list[float], lasts: list[float]) -> str:
    parts = (
        min(latencies) * 1000,
        pct(latencies, 0.5),
        pct(latencies, 0.99),
        statistics.median(lasts) * 1000,
    )
    return " / ".join(f"{v:6.1f}" for v in parts)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--bare-server"]:
        bare_server(sys.argv[2], sys.argv[3])
    else:
        asyncio.run(main())
