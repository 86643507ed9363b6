"""Catalogue search benchmark: a diacritics-free word-prefix search against an exact lookup by code.

Run (SQLite, then PostgreSQL at 127.0.0.1:5432 as user postgres; each gets a scratch database):

    .venv/bin/python bench/catalog_search.py [--procedures 5000] [--rounds 400] [--backend sqlite|postgresql]

It migrates a scratch database, loads the demo province's units, agencies and sectors, generates N procedures
(realistic Vietnamese names, documents and steps) through the catalogue importer, then times, per request
(fresh session, as the GraphQL layer does):
  - search: service.find_procedures(search=<typed prefix, no diacritics>, first 20): one statement, the
    ranked page with its agencies, sectors and total;
  - exact:  service.procedure_by_code(<random code>).
It prints p50, p95 and queries per second of each and the p95 ratio, first in process (the service
functions alone), then through the API as a client sees it: a real `citizen-hub serve` on the same
database, GraphQL over HTTP, `procedures(search:, first: 20)` against `procedure(code:)`, both selecting
the same fields. Target: search p95 <= 2 x exact p95, judged through the API (what a resident's phone
waits for); in process the exact lookup is a sub-millisecond primary-key read, so that ratio mostly
measures how many candidates a prefix matches. The search p95 is its broadest query ("giay ph", 2,966
matches of 5,000).

Results (2 cores shared with other work; each run under the exclusive machine lock; p50/p95 ms through the
API, search vs exact -> p95 ratio):
  before (commit 33acef5, --rounds 200):
    SQLite      13.03/21.31 vs 4.65/7.57 -> 2.82     PostgreSQL 19.30/34.93 vs 6.48/13.23 -> 2.64
  after (commit 2dccdc4, --rounds 400, three runs; a fourth SQLite run on a busy machine is left out):
    SQLite       7.72/13.71 vs 5.76/7.43  -> 1.84     PostgreSQL  9.09/13.73 vs 4.40/5.66  -> 2.42
                 8.03/13.86 vs 6.51/10.50 -> 1.32                 9.33/14.79 vs 5.11/6.41  -> 2.31
  after (commits 7712bce GIN pending list merged on import, 8634370 cheaper row building; --rounds 400):
    PostgreSQL   6.82/10.82 vs 4.41/5.82  -> 1.86     SQLite      7.64/13.59 vs 5.78/7.06 -> 1.93
                 8.20/13.33 vs 5.40/6.64  -> 2.01                 7.80/13.66 vs 5.77/7.26 -> 1.88
                 8.65/14.26 vs 6.31/12.28 -> 1.16
                 8.40/14.61 vs 5.27/9.85  -> 1.48
                 7.75/12.54 vs 5.03/6.62  -> 1.89
    (a fifth run of both, with every number about doubled on a busy machine, is left out.)
  SQLite met. PostgreSQL NOT reliably met: its ratio passed in 4 of 5 runs, but the search's own p95
  (10.8-14.6 ms) barely moved; the low ratios come from slow exact-lookup tails. See docs/catalogue.md for
  where the ~3.3 ms of the broadest search's SQL goes and what was measured and dropped.
  Before those two commits: met on SQLite, NOT met on PostgreSQL. Earlier runs of intermediate commits
  showed PostgreSQL at 1.06-1.09 whenever ~1 exact lookup in 20 took ~13 ms (cause not found; not
  autovacuum): the verdict there rests on the exact lookup's tail, so read the p95 values, not just the
  ratio. What was left of the search's p95 then
  (its broadest query, "giay ph"): ~4-5 ms of SQL (FTS5/GIN prefix expansion, one index lookup per
  candidate, ranking and sorting every candidate, the count; on PostgreSQL a bitmap heap scan over the
  wide rows), ~2 ms of driver and result round trips, ~3 ms building and rendering 20 procedures.

  2026-11-26, third session (a faster machine than the runs above; no other work running):
  - Changes: on PostgreSQL a broad search walks the names in order for its page (search.py
    _walked_ranking, migration 0011); page statements on the Core connection; plain leaf fields without a
    resolve call (graphql_schema/execution.py). The bench now times the API in alternating blocks of 50
    (first of each block not counted): run one after the other, a slow minute of the machine landed on one
    side only. (One by one was tried and dropped: each lookup then waited for the search before it to
    close its session, which favoured the search.)
  - Same method, the code before these changes (commit 132270f), PostgreSQL: 5.45/8.63 vs 3.07/3.60 ->
    2.40, 6.44/10.32 vs 3.76/5.62 -> 1.84: NOT reliably met.
  - Now, PostgreSQL, six runs: 6.43/8.51 vs 3.66/4.70 -> 1.81, 4.63/5.85 vs 2.76/3.39 -> 1.73,
    6.22/9.70 vs 3.40/5.90 -> 1.64, 5.98/8.50 vs 3.17/5.74 -> 1.48, 6.43/9.73 vs 3.27/5.40 -> 1.80,
    7.26/10.70 vs 4.42/6.50 -> 1.65. SQLite, two runs: 4.73/7.50 vs 3.52/4.70 -> 1.60, 5.09/8.40 vs
    3.53/5.29 -> 1.59. Met on both; in process the search's p95 on PostgreSQL went from 4.7-5.0 ms to
    2.8-4.1 ms ("giay ph" alone: 4.3 -> 2.2 ms), while a narrow search costs ~0.3 ms more (a larger
    statement, its candidates materialised for the count; see docs/catalogue.md).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.catalog import service
from server.catalog.demo import load_sectors
from server.catalog.importer import ProcedureRecord, import_records
from server.catalog.places import sync_units
from server.config import Settings
from server.db import create_engine, create_session_factory
from server.migrate import upgrade
from server.seed import demo_file, load_agencies

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"

ACTIONS = [
    "Cấp",
    "Cấp lại",
    "Cấp đổi",
    "Gia hạn",
    "Điều chỉnh",
    "Thu hồi",
    "Đăng ký",
    "Xác nhận",
    "Thẩm định",
    "Phê duyệt",
    "Công nhận",
    "Chấp thuận",
    "Giải quyết",
    "Chứng thực",
    "Thông báo",
]
OBJECTS = [
    "giấy phép xây dựng",
    "giấy chứng nhận quyền sử dụng đất",
    "giấy phép kinh doanh",
    "hộ kinh doanh",
    "giấy phép lái xe",
    "khai sinh",
    "kết hôn",
    "hộ khẩu thường trú",
    "giấy phép môi trường",
    "chứng chỉ hành nghề",
    "giấy phép lao động",
    "phương án phòng cháy",
    "hồ sơ dự án đầu tư",
    "giấy phép khai thác thủy sản",
    "trợ cấp xã hội",
    "bảo hiểm y tế",
    "giấy phép quảng cáo",
    "biển số xe",
    "giấy phép vận tải",
    "tàu cá",
    "cơ sở giáo dục",
    "nhà ở riêng lẻ",
    "di tích lịch sử",
    "giấy phép bán lẻ rượu",
    "đăng kiểm phương tiện",
    "cây xanh đô thị",
    "điểm du lịch",
]
QUALIFIERS = [
    "",
    "cho cá nhân",
    "cho tổ chức",
    "có yếu tố nước ngoài",
    "trên địa bàn xã",
    "cấp tỉnh",
    "trong khu công nghiệp",
    "đối với doanh nghiệp nhỏ",
    "lần đầu",
    "do mất, hỏng",
    "tại đặc khu Côn Đảo",
]
DOCUMENTS = [
    "Tờ khai theo mẫu",
    "Bản sao căn cước công dân",
    "Đơn đề nghị",
    "Bản vẽ thiết kế",
    "Giấy ủy quyền",
    "Hợp đồng thuê",
    "Báo cáo đánh giá tác động môi trường",
    "Ảnh 4x6",
    "Giấy khám sức khỏe",
    "Văn bản thẩm duyệt",
    "Sổ đỏ bản sao",
    "Quyết định thành lập",
]
STEPS = [
    "Nộp hồ sơ tại Bộ phận Một cửa hoặc trực tuyến",
    "Cán bộ kiểm tra tính hợp lệ của hồ sơ",
    "Thẩm định hồ sơ và kiểm tra thực tế",
    "Trình lãnh đạo ký duyệt",
    "Trả kết quả cho người nộp",
]
# What people type, without diacritics, cut mid-word as while typing.
SEARCHES = [
    "giay ph",
    "dang ky kh",
    "cap lai giay",
    "ho kinh doa",
    "giay phep xay",
    "ket hon co yeu",
    "tau ca",
    "bao hiem y",
    "cay xanh",
    "chung chi hanh",
    "thu hoi giay phep moi",
    "con dao",
]


def generate(count: int, sector_codes: list[str], agency_codes: list[str]) -> list[ProcedureRecord]:
    rng = random.Random(2026)
    records = []
    for index in range(count):
        name = " ".join(p for p in (rng.choice(ACTIONS), rng.choice(OBJECTS), rng.choice(QUALIFIERS)) if p)
        records.append(
            ProcedureRecord(
                where=f"index {index}",
                code=f"9.{index:06d}",
                name=name,
                name_en=None,
                sector_code=rng.choice(sector_codes),
                sector=None,
                sector_name=None,
                sector_name_en=None,
                agency_code=rng.choice(agency_codes),
                agency=None,
                level=rng.choice(["INFORMATION", "PARTIAL_ONLINE", "FULL_ONLINE"]),
                processing_time=f"{rng.randint(1, 30):02d} ngày làm việc",
                processing_days=None,
                fee=rng.choice(["Không", "50.000 đồng", "100.000 đồng/hồ sơ"]),
                documents=[{"name": d, "quantity": rng.randint(1, 2)} for d in rng.sample(DOCUMENTS, 4)],
                steps=rng.sample(STEPS, 3),
                legal_basis=["Nghị định số 123/2024/NĐ-CP"],
            )
        )
    return records


async def admin_sql(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(factory, fn, rounds: int) -> tuple[float, float, float]:
    samples = []
    for i in range(rounds):
        started = time.perf_counter()
        async with factory() as session:
            await fn(session, i)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), percentile(samples, 0.95), 1000 * len(samples) / sum(samples)


async def run_backend(backend: str, count: int, rounds: int) -> dict[str, float]:
    scratch = Path(tempfile.mkdtemp(prefix="catalog-bench-"))
    name = f"catalog_bench_{uuid.uuid4().hex[:8]}"
    if backend == "postgresql":
        await admin_sql(f'CREATE DATABASE "{name}"')
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    else:
        url = f"sqlite+aiosqlite:///{scratch / 'bench.sqlite3'}"
    settings = Settings(data_dir=scratch, database_url=url)
    try:
        await asyncio.to_thread(upgrade, settings)
        engine = create_engine(settings)
        factory = create_session_factory(engine)
        started = time.perf_counter()
        async with factory() as session:
            await sync_units(session, settings.province_code)
            await load_agencies(session, demo_file("agencies.json"))
            await session.flush()
            sectors = demo_file("sectors.json")
            await load_sectors(session, sectors)
            agencies = [a["code"] for a in demo_file("agencies.json")]
            await import_records(session, generate(count, [s["code"] for s in sectors], agencies))
            await session.commit()
        load_seconds = time.perf_counter() - started
        if backend == "postgresql":
            async with engine.connect() as conn:
                from sqlalchemy import text

                await conn.execute(text("ANALYZE"))
                await conn.commit()
        rng = random.Random(7)
        codes = [f"9.{rng.randrange(count):06d}" for _ in range(rounds)]

        async def search(session, i):
            return await service.find_procedures(
                session, service.ProcedureFilter(search=SEARCHES[i % len(SEARCHES)]), 0, 20
            )

        async def exact(session, i):
            return await service.procedure_by_code(session, codes[i])

        await measure(factory, search, 50)  # warm up caches and connections
        await measure(factory, exact, 50)
        s50, s95, sqps = await measure(factory, search, rounds)
        e50, e95, eqps = await measure(factory, exact, rounds)
        matches = []
        async with factory() as session:
            for query in SEARCHES:
                found = await service.find_procedures(session, service.ProcedureFilter(search=query), 0, 1)
                matches.append(found.total or 0)
        await engine.dispose()
        print(f"\n{backend}: {count} procedures loaded in {load_seconds:.1f} s; {rounds} rounds each")
        print(
            f"  matches per search: min {min(matches)}, "
            f"median {int(statistics.median(matches))}, max {max(matches)}"
        )
        print(f"  {'query':<34} {'p50 ms':>8} {'p95 ms':>8} {'q/s':>8}")
        print(f"  {'prefix search (count + 20, ranked)':<34} {s50:8.2f} {s95:8.2f} {sqps:8.0f}")
        print(f"  {'exact lookup by code':<34} {e50:8.2f} {e95:8.2f} {eqps:8.0f}")
        print(f"  p95 ratio search/exact in process: {s95 / e95:.2f}")
        a50, a95, aqps, b50, b95, bqps = await asyncio.to_thread(measure_api, settings, rounds, codes)
        print("  through the API (GraphQL over HTTP, one client):")
        print(f"  {'procedures(search:, first: 20)':<34} {a50:8.2f} {a95:8.2f} {aqps:8.0f}")
        print(f"  {'procedure(code:)':<34} {b50:8.2f} {b95:8.2f} {bqps:8.0f}")
        ratio = a95 / b95
        verdict = "met" if ratio <= 2 else "NOT met"
        print(f"  p95 ratio search/exact via API: {ratio:.2f} (target <= 2.0: {verdict})")
        return {"ratio": ratio}
    finally:
        if backend == "postgresql":
            await admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


API_SEARCH = """query($s: String) { procedures(search: $s, first: 20) { totalCount edges { node {
  code name processingTime fee agency { name } sector { name } } } } }"""
API_EXACT = """query($c: String!) { procedure(code: $c) {
  code name processingTime fee agency { name } sector { name } } }"""


def measure_api(settings: Settings, rounds: int, codes: list[str]) -> tuple[float, ...]:
    """Start a real hub on the scratch database and time both queries through HTTP."""
    import os
    import socket
    import subprocess

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "LOAD_DEMO_DATA": "false",
        "LOG_REQUESTS": "false",
        "RATE_LIMIT_BUCKET_SIZE": "100000000",
    }
    exe = Path(sys.executable).parent / "citizen-hub"
    server = subprocess.Popen(
        [str(exe), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        for _ in range(300):
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)

        def once(query: str, variables: dict[str, Any]) -> float:
            started = time.perf_counter()
            response = client.post("/graphql", json={"query": query, "variables": variables})
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200 and "errors" not in response.json(), response.text
            return elapsed

        def summary(samples: list[float]) -> tuple[float, float, float]:
            return statistics.median(samples), percentile(samples, 0.95), 1000 * len(samples) / sum(samples)

        # In alternating blocks of 50: both sides see the same minutes of a shared machine (run one after
        # the other, a slow minute landed on one side only and moved the ratio by +-0.5). Not one by one:
        # then each lookup would wait for the search before it to finish closing its session, and carry
        # part of the search's cost. The first request of each block, the one that could, is not counted.
        for i in range(50):  # warm-up
            once(API_SEARCH, {"s": SEARCHES[i % len(SEARCHES)]})
            once(API_EXACT, {"c": codes[i % len(codes)]})
        searches: list[float] = []
        exacts: list[float] = []
        s_index = e_index = 0
        while len(searches) < rounds or len(exacts) < rounds:
            for block in range(51):
                elapsed = once(API_SEARCH, {"s": SEARCHES[s_index % len(SEARCHES)]})
                s_index += 1
                if block and len(searches) < rounds:
                    searches.append(elapsed)
            for block in range(51):
                elapsed = once(API_EXACT, {"c": codes[e_index % len(codes)]})
                e_index += 1
                if block and len(exacts) < rounds:
                    exacts.append(elapsed)
        return (*summary(searches), *summary(exacts))
    finally:
        server.terminate()
        server.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procedures", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        asyncio.run(run_backend(backend, args.procedures, args.rounds))


if __name__ == "__main__":
    main()
