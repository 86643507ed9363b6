"""graphql_schema/execution.py: the plain-leaf shortcut answers exactly what graphql-core answers.

The hub's own types (a procedure with its enum, datetime, lists, agency and sector) and a few made to fail
(a null in a non-null field, a value its scalar rejects, a field that raises), executed through strawberry
with the hub's execution context and with strawberry's own: same data, same errors, same paths.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry
from strawberry.schema.config import StrawberryConfig

from graphql_schema.catalog import Procedure, RequiredDocument, Sector, ServiceLevel
from graphql_schema.execution import HubExecutionContext
from graphql_schema.places import Agency
from graphql_schema.scalars import DateTime


@strawberry.type
class Odd:
    count: int
    label: str
    maybe: str | None

    @strawberry.field
    def broken(self) -> str:
        raise ValueError("this field fails")


def procedure(index: int) -> Procedure:
    agency = Agency(
        id=strawberry.ID(f"QWdlbmN5OjE{index}"),
        code="SXD",
        name="Sở Xây dựng",
        phone=None,
        email=None,
        address=None,
        unit_pk=None,
    )
    sector = Sector(id=strawberry.ID("U2VjdG9yOjE="), code="XAYDUNG", name="Hoạt động xây dựng", pk=1)
    node = Procedure(
        id=strawberry.ID(f"UHJvY2VkdXJlOj{index}"),
        code=f"1.00{index:04d}",
        name=f"Cấp giấy phép xây dựng số {index}",
        level=ServiceLevel.FULL_ONLINE if index % 2 else ServiceLevel.INFORMATION,
        processing_time="15 ngày làm việc",
        processing_days=15 if index % 3 else None,
        fee="Không",
        required_documents=[RequiredDocument(name="Đơn đề nghị", quantity=2)],
        steps=["Nộp hồ sơ", "Nhận kết quả"],
        legal_basis=[],
        updated_at=datetime(2026, 11, 26, 12, index % 60, tzinfo=UTC),
        sector_pk=1,
        agency_pk=1,
    )
    node.listed_agency, node.listed_sector = agency, sector
    return node


@strawberry.type
class Query:
    @strawberry.field
    def procedures(self) -> list[Procedure]:
        return [procedure(i) for i in range(12)]

    @strawberry.field
    def odd(self, kind: str) -> Odd:
        if kind == "null":
            return Odd(count=1, label=None, maybe=None)  # type: ignore[arg-type]
        if kind == "rejected":
            return Odd(count="many", label="x", maybe="y")  # type: ignore[arg-type]
        return Odd(count=2, label="ok", maybe=None)


def schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    options: dict[str, Any] = {
        "query": Query,
        "config": StrawberryConfig(),
        "scalar_overrides": {datetime: DateTime},
    }
    return strawberry.Schema(**options), strawberry.Schema(
        **options, execution_context_class=HubExecutionContext
    )


QUERIES = [
    """{ procedures { id code name level processingTime processingDays fee updatedAt
         requiredDocuments { name quantity } steps legalBasis
         agency { code name phone } sector { name } } }""",
    """{ procedures { ...P first: code kind: __typename } } fragment P on Procedure { name level }""",
    """query($skip: Boolean!) { procedures { code name @skip(if: $skip) fee @include(if: $skip) } }""",
    """{ odd(kind: "fine") { count label maybe } }""",
    """{ odd(kind: "null") { count label maybe } }""",
    """{ odd(kind: "rejected") { count label maybe } }""",
    """{ odd(kind: "fine") { label broken } }""",
]


@pytest.mark.parametrize("query", QUERIES)
async def test_the_shortcut_answers_what_graphql_core_answers(query: str) -> None:
    plain, hub = schemas()
    variables = {"skip": True}
    expected = await plain.execute(query, variable_values=variables)
    got = await hub.execute(query, variable_values=variables)
    assert got.data == expected.data
    assert [(e.message, e.path) for e in got.errors or []] == [
        (e.message, e.path) for e in expected.errors or []
    ]


async def test_the_failing_cases_do_fail() -> None:
    """The comparison above must cover real errors, not only happy answers."""
    _, hub = schemas()
    null = await hub.execute('{ odd(kind: "null") { count label } }')
    assert null.data is None and null.errors and null.errors[0].path == ["odd", "label"]
    rejected = await hub.execute('{ odd(kind: "rejected") { count } }')
    assert rejected.errors and "Int cannot represent" in rejected.errors[0].message
    listed = await hub.execute("{ procedures { level updatedAt } }")
    assert listed.data is not None
    assert listed.data["procedures"][0] == {"level": "INFORMATION", "updatedAt": "2026-11-26T19:00:00+07:00"}
