"""Public services catalogue: sectors, procedures (searchable), feedback categories, and the place lists.

Thin: parse arguments, call server.catalog.service, map. A page of procedures costs one statement (ranked
page with its agencies, sectors and, when selected, the total; see server/catalog/search.py), plus one
batched statement for the units it shows, if asked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import datetime
from enum import Enum
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, TypeVar

import strawberry
from sqlalchemy import select

from graphql_schema.context import Context, Info
from graphql_schema.places import AdministrativeUnit, Agency, UnitLevel, load_agency, localized
from graphql_schema.relay import (
    Node,
    PageInfo,
    decode_id_arg,
    decode_offset_cursor,
    encode_offset_cursor,
    node_resolver,
    page_size,
    to_global_id,
)
from graphql_schema.selection import direct_fields, selects
from server.catalog import models, service
from server.i18n import Lang

T = TypeVar("T")


@strawberry.enum(description="How far a procedure can be done online.")
class ServiceLevel(Enum):
    INFORMATION = strawberry.enum_value("INFORMATION", description="Information only: apply in person.")
    PARTIAL_ONLINE = strawberry.enum_value("PARTIAL_ONLINE", description="Part of the procedure is online.")
    FULL_ONLINE = strawberry.enum_value(
        "FULL_ONLINE", description="The whole procedure is online (toàn trình)."
    )


@strawberry.type(description="A field of public administration (lĩnh vực) that groups procedures.")
class Sector(Node):
    id: strawberry.ID = strawberry.field(description="Globally unique ID.")
    code: str = strawberry.field(description="Short code of the sector, e.g. HOTICH.")
    name: str = strawberry.field(description="Name in the request's language.")
    pk: strawberry.Private[int]

    @strawberry.field(description="How many procedures of the catalogue belong to this sector.")
    async def procedure_count(self, info: Info) -> int:
        return await _procedure_counts(info.context).load(self.pk)

    @classmethod
    def from_model(cls, sector: models.Sector, lang: Lang) -> Sector:
        return cls(
            id=strawberry.ID(to_global_id("Sector", sector.id)),
            code=sector.code,
            name=localized(sector.name, sector.name_en, lang),
            pk=sector.id,
        )


@strawberry.type(description="A paper to bring or upload for a procedure.")
class RequiredDocument:
    name: str = strawberry.field(description="What the document is, as published.")
    quantity: int = strawberry.field(description="How many copies.")


@strawberry.type(description="An administrative procedure (thủ tục hành chính) of the national catalogue.")
class Procedure(Node):
    id: strawberry.ID = strawberry.field(description="Globally unique ID.")
    code: str = strawberry.field(description="National procedure code, e.g. 1.001612.")
    name: str = strawberry.field(description="Name in the request's language (else in Vietnamese).")
    level: ServiceLevel = strawberry.field(description="How far it can be done online.")
    processing_time: str = strawberry.field(description='As published, e.g. "05 ngày làm việc".')
    processing_days: int | None = strawberry.field(description="The time limit in days, where it is one.")
    fee: str = strawberry.field(description="Fees and charges, as published.")
    required_documents: list[RequiredDocument] = strawberry.field(description="The dossier to bring.")
    steps: list[str] = strawberry.field(description="How it is done, step by step.")
    legal_basis: list[str] = strawberry.field(description="Laws, decrees and circulars it rests on.")
    updated_at: datetime = strawberry.field(description="When the catalogue entry last changed.")
    sector_pk: strawberry.Private[int]
    agency_pk: strawberry.Private[int]

    # Set by a listing, which reads them with the page (one statement); else loaded per request, batched.
    listed_sector: strawberry.Private[Sector | None] = None
    listed_agency: strawberry.Private[Agency | None] = None

    # Plain (not async) resolvers: a listed procedure answers at once, without an awaitable per item;
    # otherwise they return the loader's awaitable, which the executor awaits.
    @strawberry.field(description="The sector it belongs to.")
    def sector(self, info: Info) -> Sector:
        if self.listed_sector is not None:
            return self.listed_sector
        return _required(load_sector(info.context, self.sector_pk))  # type: ignore[return-value]

    @strawberry.field(description="The agency that carries it out.")
    def agency(self, info: Info) -> Agency:
        if self.listed_agency is not None:
            return self.listed_agency
        return _required(load_agency(info.context, self.agency_pk))  # type: ignore[return-value]

    @classmethod
    def from_model(
        cls, procedure: models.Procedure, lang: Lang, unread: frozenset[str] = frozenset()
    ) -> Procedure:
        """`unread`: JSON columns a listing left out of its rows (see _unread_columns), shown empty; asked
        for by name, not by a getattr default, since a missing key costs a Row ~5 us (an AttributeError)."""
        return cls(
            id=strawberry.ID(to_global_id("Procedure", procedure.id)),
            code=procedure.code,
            name=localized(procedure.name, procedure.name_en, lang),
            level=ServiceLevel(procedure.level),
            processing_time=procedure.processing_time,
            processing_days=procedure.processing_days,
            fee=procedure.fee,
            required_documents=[]
            if "required_documents" in unread
            else [
                RequiredDocument(name=d["name"], quantity=int(d.get("quantity", 1)))
                for d in procedure.required_documents
            ],
            steps=[] if "steps" in unread else list(procedure.steps),
            legal_basis=[] if "legal_basis" in unread else list(procedure.legal_basis),
            updated_at=procedure.updated_at,
            sector_pk=procedure.sector_id,
            agency_pk=procedure.agency_id,
        )


@strawberry.type(description="A procedure in a list, with its cursor.")
class ProcedureEdge:
    node: Procedure = strawberry.field(description="The procedure.")
    cursor: str = strawberry.field(description="Pass as `after` to continue after this procedure.")


@strawberry.type(description="A page of procedures.")
class ProcedureConnection:
    edges: list[ProcedureEdge] = strawberry.field(description="The procedures of this page, in rank order.")
    page_info: PageInfo = strawberry.field(description="Where this page lies.")
    total: strawberry.Private[int | None]
    wanted: strawberry.Private[service.ProcedureFilter]

    @strawberry.field(description="How many procedures match, on all pages.")
    def total_count(self, info: Info) -> int:
        if self.total is not None:  # read with the page, when the query asked for it
            return self.total
        return service.count_procedures(info.context.session, self.wanted)  # type: ignore[return-value]


@strawberry.type(description="A kind of problem residents report (phản ánh), with its time limit.")
class FeedbackCategory(Node):
    id: strawberry.ID = strawberry.field(description="Globally unique ID.")
    code: str = strawberry.field(description="Short code, e.g. ROADS.")
    name: str = strawberry.field(description="Name in the request's language.")
    sla_hours: int = strawberry.field(
        description="Hours within which the responsible agency must resolve it."
    )
    urgent: bool = strawberry.field(
        description="Urgent categories count calendar hours; the others working hours (Monday to Friday)."
    )
    default_agency_pk: strawberry.Private[int | None]

    @strawberry.field(description="The agency responsible where no unit-specific route exists.")
    async def default_agency(self, info: Info) -> Agency | None:
        if self.default_agency_pk is None:
            return None
        return await load_agency(info.context, self.default_agency_pk)

    @classmethod
    def from_model(cls, category: models.FeedbackCategory, lang: Lang) -> FeedbackCategory:
        return cls(
            id=strawberry.ID(to_global_id("FeedbackCategory", category.id)),
            code=category.code,
            name=localized(category.name, category.name_en, lang),
            sla_hours=category.sla_hours,
            urgent=category.urgent,
            default_agency_pk=category.default_agency_id,
        )


# ---------------------------------------------------------------- request-scoped loaders


def _by_ids(context: Context, model: type, name: str):
    async def load(ids: Sequence[int]) -> list[object | None]:
        rows = await context.session.scalars(select(model).where(model.id.in_(ids)))  # type: ignore[attr-defined]
        found = {row.id: row for row in rows}
        return [found.get(i) for i in ids]

    return context.loader(name, load)


def _procedure_counts(context: Context):
    async def load(ids: Sequence[int]) -> list[int]:
        counts = await service.procedure_counts(context.session, list(ids))
        return [counts.get(i, 0) for i in ids]

    return context.loader("procedure_count_by_sector", load)


async def load_sector(context: Context, pk: int) -> Sector | None:
    row = await _by_ids(context, models.Sector, "sector_by_id").load(pk)
    return Sector.from_model(row, context.language) if row is not None else None


async def load_procedure(context: Context, pk: int) -> Procedure | None:
    row = await _by_ids(context, models.Procedure, "procedure_by_id").load(pk)
    return Procedure.from_model(row, context.language) if row is not None else None


async def load_category(context: Context, pk: int) -> FeedbackCategory | None:
    """The feedback category with this id (batched per request), in the request's language."""
    row = await _by_ids(context, models.FeedbackCategory, "feedback_category_by_id").load(pk)
    return FeedbackCategory.from_model(row, context.language) if row is not None else None


@node_resolver("Sector")
async def _sector_node(info: Info, pk: int) -> Sector | None:
    return await load_sector(info.context, pk)


@node_resolver("Procedure")
async def _procedure_node(info: Info, pk: int) -> Procedure | None:
    return await load_procedure(info.context, pk)


@node_resolver("FeedbackCategory")
async def _category_node(info: Info, pk: int) -> FeedbackCategory | None:
    return await load_category(info.context, pk)


@lru_cache(maxsize=8)
def _prefixed_keys(model: type[models.Base], prefix: str) -> tuple[tuple[str, str], ...]:
    return tuple((c.name, prefix + c.name) for c in model.__table__.c)  # type: ignore[attr-defined]


def _prefixed(row: Any, model: type[models.Base], prefix: str) -> SimpleNamespace:
    """A page row's agency or sector columns (`agency__name`, …) under the model's names (`name`, …):
    what from_model reads. Copied once (a namespace), since each is read several times. The key pairs are
    made once: walking the table's columns and joining names cost 3x the copy, about 30 times a page."""
    mapping = row._mapping
    return SimpleNamespace(**{name: mapping[key] for name, key in _prefixed_keys(model, prefix)})


# Procedure fields backed by a JSON column a listing may leave unread.
_LIST_COLUMNS = {"requiredDocuments": "required_documents", "steps": "steps", "legalBasis": "legal_basis"}


def _unread_columns(info: Info) -> frozenset[str]:
    """The JSON columns of procedures that this `procedures` selection never shows (edges → node, through
    fragments); anything else than that shape reads them all."""
    shown: set[str] = set()
    for connection in info.selected_fields:
        for edges in direct_fields(connection.selections):
            if edges.name != "edges":
                continue
            for node in direct_fields(edges.selections):
                if node.name == "node":
                    shown.update(field.name for field in direct_fields(node.selections))
    return frozenset(column for name, column in _LIST_COLUMNS.items() if name not in shown)


async def _required(loading: Awaitable[T | None]) -> T:
    found = await loading
    assert found is not None  # a foreign key guarantees it
    return found


# ---------------------------------------------------------------- root


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Administrative units of the province; filter by parent and level.")
    async def administrative_units(
        self, info: Info, parent_id: strawberry.ID | None = None, level: UnitLevel | None = None
    ) -> list[AdministrativeUnit]:
        parent = decode_id_arg(parent_id, "AdministrativeUnit", "parentId") if parent_id is not None else None
        rows = await service.units(info.context.session, parent, level.value if level else None)
        return [AdministrativeUnit.from_model(row, info.context.language) for row in rows]

    @strawberry.field(description="Every agency of the province, by code.")
    async def agencies(self, info: Info) -> list[Agency]:
        rows = await service.agencies(info.context.session)
        return [Agency.from_model(row, info.context.language) for row in rows]

    @strawberry.field(description="Every sector of the catalogue, by code.")
    async def sectors(self, info: Info) -> list[Sector]:
        context = info.context
        rows = await service.sectors(context.session)
        counts = await service.procedure_counts(context.session)
        loader = _procedure_counts(context)
        for row in rows:
            loader.prime(row.id, counts.get(row.id, 0))
        return [Sector.from_model(row, context.language) for row in rows]

    @strawberry.field(
        description="Procedures of the catalogue. `search` matches word starts with or without diacritics "
        '("giay ph" finds "Giấy phép …"); results are ranked: exact code, then name, then documents and '
        "steps. At most 100 a page."
    )
    async def procedures(
        self,
        info: Info,
        search: str | None = None,
        sector_id: strawberry.ID | None = None,
        agency_id: strawberry.ID | None = None,
        level: ServiceLevel | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ProcedureConnection:
        size = page_size(first)
        start = decode_offset_cursor(after) + 1
        wanted = service.ProcedureFilter(
            search=search,
            sector_id=decode_id_arg(sector_id, "Sector", "sectorId") if sector_id is not None else None,
            agency_id=decode_id_arg(agency_id, "Agency", "agencyId") if agency_id is not None else None,
            level=level.value if level else None,
        )
        unread = _unread_columns(info)
        with_total = selects(info.selected_fields, {"totalCount"})
        page = await service.find_procedures(
            info.context.session, wanted, start, size, with_total=with_total, omit=unread
        )
        lang = info.context.language
        agencies: dict[int, Agency] = {}
        sectors: dict[int, Sector] = {}
        edges = []
        for i, row in enumerate(page.rows):
            node = Procedure.from_model(row, lang, unread)  # type: ignore[arg-type]  # a Row, the model's names
            node.listed_agency = agencies.get(row.agency_id) or agencies.setdefault(
                row.agency_id,
                Agency.from_model(_prefixed(row, models.Agency, "agency__"), lang),  # type: ignore[arg-type]
            )
            node.listed_sector = sectors.get(row.sector_id) or sectors.setdefault(
                row.sector_id,
                Sector.from_model(_prefixed(row, models.Sector, "sector__"), lang),  # type: ignore[arg-type]
            )
            edges.append(ProcedureEdge(node=node, cursor=encode_offset_cursor(start + i)))
        page_info = PageInfo(
            has_next_page=page.has_next,
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return ProcedureConnection(edges=edges, page_info=page_info, total=page.total, wanted=wanted)

    @strawberry.field(description="The procedure with this national code; null when the catalogue has none.")
    async def procedure(self, info: Info, code: str) -> Procedure | None:
        row = await service.procedure_by_code(info.context.session, code)
        return Procedure.from_model(row, info.context.language) if row is not None else None

    @strawberry.field(description="Categories of feedback residents can report, by code.")
    async def feedback_categories(self, info: Info) -> list[FeedbackCategory]:
        rows = await service.feedback_categories(info.context.session)
        return [FeedbackCategory.from_model(row, info.context.language) for row in rows]
