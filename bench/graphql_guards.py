"""Per-request cost of the GraphQL guards (limits, cost, rate limit, document cache), in process.

Run: .venv/bin/python bench/graphql_guards.py
Executes the same small query through the schema with and without GUARD_EXTENSIONS (in-memory bucket,
no database work) and prints microseconds per operation. The guards include the parsed+validated
document cache, so a repeated query gets cheaper overall; a fresh query text pays the limit checks.
"""

from __future__ import annotations

import asyncio
import tempfile
import time

import strawberry
from strawberry.schema.config import StrawberryConfig

from graphql_schema import schema as schema_module
from graphql_schema.context import Context
from server.config import Settings
from server.hub import Hub
from server.identity.principal import ANONYMOUS

QUERY = '{ __typename a: __type(name: "Query") { name fields { name } } }'


def build(with_guards: bool) -> strawberry.Schema:
    from graphql_schema.context import SessionPerOperation
    from graphql_schema.guard import GUARD_EXTENSIONS
    from graphql_schema.masking import MaskUnexpectedErrors

    extensions = [*GUARD_EXTENSIONS] if with_guards else []
    return strawberry.Schema(
        query=schema_module.Query,
        mutation=schema_module.Mutation,
        extensions=[*extensions, SessionPerOperation, MaskUnexpectedErrors],
        config=StrawberryConfig(disable_field_suggestions=True),
    )


async def measure(schema: strawberry.Schema, hub: Hub, rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        context = Context(hub=hub, request=None, response=None, principal=ANONYMOUS, language="en")  # type: ignore
        result = await schema.execute(QUERY, context_value=context)
        assert not result.errors, result.errors
    return (time.perf_counter() - started) / rounds * 1e6


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env({"DATA_DIR": tmp, "RATE_LIMIT_BUCKET_SIZE": "1000000000"})
        hub = Hub.build(settings)
        plain, guarded = build(False), build(True)
        for schema in (plain, guarded):
            await measure(schema, hub, 200)  # warm up
        for _ in range(2):
            without = await measure(plain, hub, 2000)
            with_guards = await measure(guarded, hub, 2000)
            print(
                f"without guards {without:7.1f} µs/op   with guards {with_guards:7.1f} µs/op   "
                f"difference {with_guards - without:+7.1f} µs/op"
            )
        await hub.close()


if __name__ == "__main__":
    asyncio.run(main())
