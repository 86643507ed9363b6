"""Administrative units and agencies as GraphQL types, with their request-scoped loaders."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

import strawberry
from sqlalchemy import select

from graphql_schema.context import Context, Info
from graphql_schema.relay import Node, node_resolver, to_global_id
from server.catalog import models
from server.i18n import Lang


@strawberry.enum(
    description="Level of an administrative unit. Districts remain only for history (2025 reform)."
)
class UnitLevel(Enum):
    PROVINCE = "PROVINCE"
    DISTRICT = "DISTRICT"
    COMMUNE = "COMMUNE"


def localized(vi: str, en: str | None, lang: Lang) -> str:
    return en if lang == "en" and en else vi


@strawberry.type(description="A province, a commune or ward, or (for history) a district.")
class AdministrativeUnit(Node):
    id: strawberry.ID = strawberry.field(description="Globally unique ID.")
    code: str = strawberry.field(description="Official code of the unit (General Statistics Office).")
    name: str = strawberry.field(description='Name, e.g. "Phường Vũng Tàu".')
    level: UnitLevel = strawberry.field(description="Province, district or commune/ward.")
    parent_pk: strawberry.Private[int | None]

    @strawberry.field(description="The unit this one lies in; null for the province.")
    async def parent(self, info: Info) -> AdministrativeUnit | None:
        if self.parent_pk is None:
            return None
        return await load_unit(info.context, self.parent_pk)

    @classmethod
    def from_model(cls, unit: models.AdministrativeUnit, lang: Lang) -> AdministrativeUnit:
        return cls(
            id=strawberry.ID(to_global_id("AdministrativeUnit", unit.id)),
            code=unit.code,
            name=localized(unit.name, unit.name_en, lang),
            level=UnitLevel(unit.level),
            parent_pk=unit.parent_id,
        )


@strawberry.type(
    description="A government agency or public-service body that handles procedures and feedback."
)
class Agency(Node):
    id: strawberry.ID = strawberry.field(description="Globally unique ID.")
    code: str = strawberry.field(description="Short code of the agency, e.g. SXD.")
    name: str = strawberry.field(description="Name in the request's language.")
    phone: str | None = strawberry.field(description="Public phone number.")
    email: str | None = strawberry.field(description="Public email address.")
    address: str | None = strawberry.field(description="Street address of its office.")
    unit_pk: strawberry.Private[int | None]

    @strawberry.field(description="The administrative unit it serves.")
    async def unit(self, info: Info) -> AdministrativeUnit | None:
        if self.unit_pk is None:
            return None
        return await load_unit(info.context, self.unit_pk)

    @classmethod
    def from_model(cls, agency: models.Agency, lang: Lang) -> Agency:
        return cls(
            id=strawberry.ID(to_global_id("Agency", agency.id)),
            code=agency.code,
            name=localized(agency.name, agency.name_en, lang),
            phone=agency.phone,
            email=agency.email,
            address=agency.address,
            unit_pk=agency.unit_id,
        )


@strawberry.type(description="A point on the map (WGS 84).")
class GeoPoint:
    latitude: float = strawberry.field(description="Degrees north.")
    longitude: float = strawberry.field(description="Degrees east.")


@strawberry.input(description="A point on the map (WGS 84).")
class GeoPointInput:
    latitude: float = strawberry.field(description="Degrees north, -90..90.")
    longitude: float = strawberry.field(description="Degrees east, -180..180.")


def _by_ids(context: Context, model: type, name: str):
    async def load(ids: Sequence[int]) -> list[object | None]:
        rows = await context.session.scalars(select(model).where(model.id.in_(ids)))  # type: ignore[attr-defined]
        found = {row.id: row for row in rows}
        return [found.get(i) for i in ids]

    return context.loader(name, load)


async def load_unit(context: Context, pk: int) -> AdministrativeUnit | None:
    row = await _by_ids(context, models.AdministrativeUnit, "unit_by_id").load(pk)
    return AdministrativeUnit.from_model(row, context.language) if row is not None else None


async def load_agency(context: Context, pk: int) -> Agency | None:
    row = await _by_ids(context, models.Agency, "agency_by_id").load(pk)
    return Agency.from_model(row, context.language) if row is not None else None


@node_resolver("AdministrativeUnit")
async def _unit_node(info: Info, pk: int) -> AdministrativeUnit | None:
    return await load_unit(info.context, pk)


@node_resolver("Agency")
async def _agency_node(info: Info, pk: int) -> Agency | None:
    return await load_agency(info.context, pk)
