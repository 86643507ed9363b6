"""The public feed cache across processes: a change made through one hub process empties the others' caches.

Two `citizen-hub serve` processes share one database, one DATA_DIR (so one set of signing keys) and one
Redis. The cache keeps answers 60 s here, so only the Redis-announced invalidation can explain a fresh
answer right after a change made through the other process.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.feedback_helpers import categories, resident, submit
from tests.support import REDIS_URL, GraphQLClient, HubProcess, new_database, redis_available

FEED = "query($f: FeedbackFilter) { feedbacks(filter: $f) { totalCount edges { node { supportCount } } } }"
SUPPORT = "mutation($i: SetFeedbackFlagInput!) { supportFeedback(input: $i) { errors { code } } }"


@pytest.fixture
def two_processes(tmp_path) -> Iterator[tuple[HubProcess, HubProcess]]:
    if reason := redis_available():
        pytest.skip(reason)
    database = new_database(tmp_path)
    env = {
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}:",
        "FEEDBACK_PUBLIC_CACHE_SECONDS": "60",
        "RATE_LIMIT_BUCKET_SIZE": "100000000",
    }
    first = HubProcess(data_dir=tmp_path / "data", database=database, env=dict(env))
    if database.backend != "sqlite":
        first.run_cli("seed", "--demo", check=True)
    first.start()
    second = HubProcess(data_dir=tmp_path / "data", database=database, env=dict(env))
    try:
        second.start()
        yield first, second
    finally:
        second.stop()
        first.stop()
        database.drop()


def test_a_change_through_one_process_refreshes_the_other_processes_cache(two_processes):
    first, second = two_processes
    writer, reader = GraphQLClient(first.url), GraphQLClient(second.url)
    try:
        token = resident(writer)
        tag = "zc" + uuid.uuid4().hex[:8]
        feedback = submit(writer, token, categories(writer)["ROADS"]["id"], title=f"Nắp cống hở {tag}")
        variables = {"f": {"search": tag}}
        assert reader(FEED, variables)["feedbacks"]["edges"][0]["node"]["supportCount"] == 0  # now cached
        writer(SUPPORT, {"i": {"id": feedback["id"], "value": True}}, token=resident(writer))
        assert reader(FEED, variables)["feedbacks"]["edges"][0]["node"]["supportCount"] == 1
        # A new report, made through the other process too.
        submit(writer, token, categories(writer)["ROADS"]["id"], title=f"Ổ gà {tag}")
        assert reader(FEED, variables)["feedbacks"]["totalCount"] == 2
    finally:
        writer.close()
        reader.close()
