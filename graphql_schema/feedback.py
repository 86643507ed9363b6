"""Feedback (phản ánh hiện trường) as GraphQL: types, the feed, and the mutations. Thin: parse, call, map."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from graphql_schema.catalog import FeedbackCategory
from graphql_schema.context import Context, Info
from graphql_schema.errors import UserError, user_errors
from graphql_schema.identity import PublicProfile, Role
from graphql_schema.places import AdministrativeUnit, Agency, GeoPoint, GeoPointInput
from graphql_schema.relay import (
    Node,
    PageInfo,
    decode_id,
    decode_id_arg,
    decode_offset_cursor,
    encode_offset_cursor,
    node_resolver,
    offset_page_info,
    page_size,
    to_global_id,
)
from graphql_schema.selection import selects
from server.errors import NotAuthenticated, UserInputError
from server.feedback import models, queries, service
from server.feedback.geo import public_coordinate
from server.feedback.public_cache import public_feedback_changed
from server.feedback.states import OPEN, EventKind, Status
from server.identity.models import Account as AccountModel
from server.identity.principal import Principal
from server.identity.principal import Role as ServiceRole
from server.media.photos import MAX_BYTES

FeedbackStatus = strawberry.enum(Status, name="FeedbackStatus", description="Where a feedback stands.")
FeedbackEventKind = strawberry.enum(
    EventKind, name="FeedbackEventKind", description="What a timeline entry records."
)


@strawberry.enum(description="Orders of the feedback feed.")
class FeedbackOrder(Enum):
    NEWEST = "NEWEST"
    MOST_SUPPORTED = "MOST_SUPPORTED"
    NEAREST = "NEAREST"


def display_name(full_name: str) -> str:
    """How a resident appears to strangers: given name and family initial ("Trần Thị Bình" → "Bình T.")."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name
    return f"{parts[-1]} {parts[0][0]}."


def public_profile(account: AccountModel, agency_pk: int | None = None) -> PublicProfile:
    role = ServiceRole(account.role)
    if role is ServiceRole.CITIZEN:
        return PublicProfile(display_name=display_name(account.full_name), role=role, agency_pk=None)
    return PublicProfile(display_name=account.full_name, role=role, agency_pk=agency_pk or account.agency_id)


@strawberry.type(
    description="A stored photo, without any metadata, at most 1600 px, with a 320 px thumbnail."
)
class Photo:
    url: str = strawberry.field(description="The photo, at most 1600 px on its long side.")
    thumbnail_url: str = strawberry.field(description="A thumbnail, at most 320 px.")
    width: int = strawberry.field(description="Width in pixels of the photo at `url`.")
    height: int = strawberry.field(description="Height in pixels of the photo at `url`.")

    @classmethod
    def from_model(cls, photo: models.FeedbackPhoto, base_url: str) -> Photo:
        return cls(
            url=f"{base_url}/media/{photo.path}",
            thumbnail_url=f"{base_url}/media/{photo.thumbnail_path}",
            width=photo.width,
            height=photo.height,
        )


@strawberry.type(description="One entry of a feedback's timeline.")
class FeedbackEvent:
    kind: FeedbackEventKind = strawberry.field(description="What happened.")
    status: FeedbackStatus | None = strawberry.field(description="The status it led to, if it changed one.")
    message: str | None = strawberry.field(description="Reply, reason or comment.")
    actor: PublicProfile | None = strawberry.field(
        description="Who acted: cadres with their agency; the author unless anonymous; null for the system."
    )
    photos: list[Photo] = strawberry.field(description="Photos attached to this entry.")
    created_at: datetime = strawberry.field(description="When it happened.")


@strawberry.type(
    description="Contact details of a feedback's author. Only for cadres of the assigned agency; every read "
    "is recorded in the author's data access log."
)
class ContactInfo:
    full_name: str = strawberry.field(description="Full name.")
    phone: str = strawberry.field(description="Mobile number.")
    email: str | None = strawberry.field(description="Email address, if given.")


# ---------------------------------------------------------------- per-request batches


def _flag_loader(ctx: Context, support: bool):  # type: ignore[no-untyped-def]
    async def load(ids: Sequence[int]) -> list[bool]:
        found = await queries.flags(ctx.session, ctx.principal, ids, support=support)
        return [i in found for i in ids]

    return ctx.loader("feedback_supported" if support else "feedback_following", load)


def _timeline_loader(ctx: Context):  # type: ignore[no-untyped-def]
    async def load(ids: Sequence[int]) -> list[list[models.FeedbackEvent]]:
        found = await queries.timelines(ctx.session, ids)
        return [found[i] for i in ids]

    return ctx.loader("feedback_timeline", load)


def _account_loader(ctx: Context):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    async def load(ids: Sequence[int]) -> list[AccountModel | None]:
        rows = await ctx.session.scalars(select(AccountModel).where(AccountModel.id.in_(ids)))
        found = {a.id: a for a in rows}
        return [found.get(i) for i in ids]

    return ctx.loader("feedback_account_by_id", load)


# ---------------------------------------------------------------- Feedback


@strawberry.type(
    description="A report of a problem in a public place, and how the responsible agency handles it."
)
class Feedback(Node):
    id: strawberry.ID = strawberry.field(description="Globally unique ID.")
    reference_code: str = strawberry.field(description="Human reference, e.g. PA-2026-000123.")
    title: str = strawberry.field(description="Short title.")
    description: str = strawberry.field(description="What is wrong, in the author's words.")
    category: FeedbackCategory = strawberry.field(description="The kind of problem.")
    status: FeedbackStatus = strawberry.field(description="Where it stands.")
    location: GeoPoint = strawberry.field(
        description="Where it is. Rounded to about 100 m for everyone but the author, cadres and admins."
    )
    address: str | None = strawberry.field(description="Address or landmark, as the author gave it.")
    unit: AdministrativeUnit | None = strawberry.field(description="The commune or ward the point lies in.")
    photos: list[Photo] = strawberry.field(description="Photos of the report (metadata removed).")
    author: PublicProfile | None = strawberry.field(
        description="Null when the author chose to stay anonymous."
    )
    assigned_agency: Agency | None = strawberry.field(description="The agency that must handle it.")
    created_at: datetime = strawberry.field(description="When it was submitted.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    due_at: datetime | None = strawberry.field(
        description="When the agency must have resolved it (category SLA)."
    )
    is_overdue: bool = strawberry.field(description="Still open after its due time.")
    support_count: int = strawberry.field(description='How many residents said "me too".')
    rating: int | None = strawberry.field(description="1..5, given by the author once resolved.")
    version: int = strawberry.field(
        description="Increases on every change; cadre mutations must send the version they saw."
    )
    model: strawberry.Private[models.Feedback]
    # (supported, following) by the viewer, when the page already knows them.
    flags: strawberry.Private[tuple[bool, bool] | None] = None

    @classmethod
    def build(cls, row: models.Feedback, ctx: Context, flags: tuple[bool, bool] | None = None) -> Feedback:
        principal = ctx.principal
        exact = service.sees_exact_location(principal, row)
        lat, lon = (
            (row.latitude, row.longitude)
            if exact
            else (public_coordinate(row.latitude), public_coordinate(row.longitude))
        )
        author = None
        if row.author is not None and service.sees_author(principal, row):
            author = public_profile(row.author)
        status = service.effective_status(row)
        now = datetime.now(tz=row.created_at.tzinfo)
        base = ctx.hub.settings.public_base_url
        return cls(
            id=strawberry.ID(to_global_id("Feedback", row.id)),
            reference_code=row.reference_code or "",
            title=row.title,
            description=row.description,
            category=FeedbackCategory.from_model(row.category, ctx.language),
            status=Status(status),
            location=GeoPoint(latitude=lat, longitude=lon),
            address=row.address,
            unit=AdministrativeUnit.from_model(row.unit, ctx.language) if row.unit is not None else None,
            photos=[Photo.from_model(p, base) for p in row.photos],
            author=author,
            assigned_agency=Agency.from_model(row.assigned_agency, ctx.language)
            if row.assigned_agency
            else None,
            created_at=row.created_at,
            updated_at=row.updated_at,
            due_at=row.due_at,
            is_overdue=bool(row.due_at and row.due_at < now and Status(status) in OPEN),
            support_count=row.support_count,
            rating=row.rating,
            version=row.version,
            model=row,
            flags=flags,
        )

    @strawberry.field(description="Whether the signed-in account supports it (false for visitors).")
    def viewer_has_supported(self, info: Info) -> bool:
        # Sync on purpose: a page hands the flags in (no awaitable per item); alone, a batched load.
        if self.flags is not None:
            return self.flags[0]
        if info.context.principal.account_id is None:
            return False
        return _flag_loader(info.context, True).load(self.model.id)  # type: ignore[return-value]

    @strawberry.field(description="Whether the signed-in account follows it (false for visitors).")
    def viewer_is_following(self, info: Info) -> bool:
        if self.flags is not None:
            return self.flags[1]
        if info.context.principal.account_id is None:
            return False
        return _flag_loader(info.context, False).load(self.model.id)  # type: ignore[return-value]

    @strawberry.field(
        description="Contact details of the author: only for cadres of the assigned agency, and every read "
        "is recorded in the author's data access log."
    )
    async def author_contact(self, info: Info) -> ContactInfo | None:
        ctx = info.context
        account = await service.author_contact(ctx.session, ctx.principal, self.model)
        if account is None:
            return None
        return ContactInfo(full_name=account.full_name, phone=account.phone, email=account.email)  # type: ignore[attr-defined]

    @strawberry.field(description="The original report, when this one was marked DUPLICATE.")
    async def duplicate_of(self, info: Info) -> Feedback | None:
        if self.model.duplicate_of_id is None:
            return None
        return await load_feedback_node(info.context, self.model.duplicate_of_id)

    @strawberry.field(description="Everything that happened to it, oldest first.")
    async def timeline(self, info: Info) -> list[FeedbackEvent]:
        ctx = info.context
        events = await _timeline_loader(ctx).load(self.model.id)
        accounts = _account_loader(ctx)
        actors = await accounts.load_many(
            [e.actor_account_id for e in events if e.actor_account_id is not None]
        )
        by_id = {a.id: a for a in actors if a is not None}
        shows_author = service.sees_author(ctx.principal, self.model)
        base = ctx.hub.settings.public_base_url
        out = []
        for event in events:
            actor = None
            account = by_id.get(event.actor_account_id) if event.actor_account_id is not None else None
            if account is not None:
                is_author = account.id == self.model.author_account_id
                if event.actor_agency_id is not None or not is_author or shows_author:
                    actor = public_profile(account, event.actor_agency_id)
            out.append(
                FeedbackEvent(
                    kind=EventKind(event.kind),
                    status=Status(event.status) if event.status else None,
                    message=event.message,
                    actor=actor,
                    photos=[Photo.from_model(p, base) for p in event.photos],
                    created_at=event.created_at,
                )
            )
        return out


async def load_feedback_node(ctx: Context, pk: int) -> Feedback | None:
    row = await queries.get_feedback(ctx.session, pk)
    return Feedback.build(row, ctx) if row is not None else None


@node_resolver("Feedback")
async def _feedback_node(info: Info, pk: int) -> Feedback | None:
    return await load_feedback_node(info.context, pk)


@strawberry.type(description="A feedback in a page of results.")
class FeedbackEdge:
    node: Feedback = strawberry.field(description="The feedback.")
    cursor: str = strawberry.field(description="Pass as `after` to get what follows.")


@strawberry.type(description="A page of feedback.")
class FeedbackConnection:
    edges: list[FeedbackEdge] = strawberry.field(description="The feedback of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page lies.")
    total_count: int = strawberry.field(description="How many match, over all pages.")


async def feedback_page(
    ctx: Context,
    f: queries.FeedFilter,
    order: str,
    first: int | None,
    after: str | None,
    wants_flags: bool = True,
) -> FeedbackConnection:
    limit = page_size(first)
    start = decode_offset_cursor(after) + 1
    rows, total = await queries.feed(ctx.session, f, order, start, limit)
    ids = [row.id for row in rows]
    if ctx.principal.account_id is None:
        known: dict[int, tuple[bool, bool]] = {pk: (False, False) for pk in ids}
    elif wants_flags:
        supported = await queries.flags(ctx.session, ctx.principal, ids, support=True)
        following = await queries.flags(ctx.session, ctx.principal, ids, support=False)
        known = {pk: (pk in supported, pk in following) for pk in ids}
    else:
        known = {}
    edges = [
        FeedbackEdge(node=Feedback.build(row, ctx, known.get(row.id)), cursor=encode_offset_cursor(start + i))
        for i, row in enumerate(rows)
    ]
    return FeedbackConnection(
        edges=edges,
        page_info=offset_page_info(start, edges, total),
        total_count=total,
    )


@strawberry.input(description="Which feedback to list.")
class FeedbackFilter:
    status: list[FeedbackStatus] | None = strawberry.field(default=None, description="Any of these statuses.")
    category_id: strawberry.ID | None = strawberry.field(default=None, description="Of this category.")
    unit_id: strawberry.ID | None = strawberry.field(default=None, description="In this commune or ward.")
    near: GeoPointInput | None = strawberry.field(
        default=None, description="Around this point (see radiusMeters)."
    )
    radius_meters: int | None = strawberry.field(default=None, description="Within this distance of `near`.")
    search: str | None = strawberry.field(
        default=None,
        description="Words of the title, text, address or reference; with or without diacritics.",
    )
    overdue: bool | None = strawberry.field(
        default=None, description="Only (true) or never (false) overdue ones."
    )


def _feed_filter(value: FeedbackFilter | None) -> queries.FeedFilter:
    if value is None:
        return queries.FeedFilter()
    return queries.FeedFilter(
        statuses=[s.value for s in value.status] if value.status else None,
        category_id=decode_id_arg(value.category_id, "FeedbackCategory", "filter.categoryId")
        if value.category_id
        else None,
        unit_id=decode_id_arg(value.unit_id, "AdministrativeUnit", "filter.unitId")
        if value.unit_id
        else None,
        near=(value.near.latitude, value.near.longitude) if value.near else None,
        radius_m=value.radius_meters,
        search=value.search,
        overdue=value.overdue,
    )


@strawberry.type(description="How many feedbacks have a status.")
class StatusCount:
    status: FeedbackStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="How many.")


@strawberry.type(description="Feedback statistics for the filters given.")
class FeedbackStats:
    total: int = strawberry.field(description="How many feedbacks.")
    by_status: list[StatusCount] = strawberry.field(description="How many per status.")
    resolved_on_time_rate: float | None = strawberry.field(
        description="Share of resolved feedback resolved before its due time, 0..1."
    )
    average_resolution_hours: float | None = strawberry.field(
        description="Mean hours from submission to resolution."
    )
    average_rating: float | None = strawberry.field(description="Mean rating given by authors, 1..5.")


# ---------------------------------------------------------------- viewer fields (called from identity.Viewer)


def _signed_in(ctx: Context) -> Principal:
    if ctx.principal.account_id is None:
        raise NotAuthenticated()
    return ctx.principal


async def viewer_feedbacks(ctx: Context, first: int | None, after: str | None) -> FeedbackConnection:
    principal = _signed_in(ctx)
    return await feedback_page(
        ctx, queries.FeedFilter(author_account_id=principal.account_id), "NEWEST", first, after
    )


async def viewer_followed(ctx: Context, first: int | None, after: str | None) -> FeedbackConnection:
    principal = _signed_in(ctx)
    return await feedback_page(
        ctx, queries.FeedFilter(followed_by=principal.account_id), "NEWEST", first, after
    )


async def viewer_assigned(
    ctx: Context, status: list[Status] | None, first: int | None, after: str | None
) -> FeedbackConnection:
    principal = _signed_in(ctx)
    if principal.role is not ServiceRole.CADRE or principal.agency_id is None:
        return await feedback_page(ctx, queries.FeedFilter(agency_id=-1), "NEWEST", first, after)
    f = queries.FeedFilter(
        agency_id=principal.agency_id, statuses=[s.value for s in status] if status else None
    )
    return await feedback_page(ctx, f, "NEWEST", first, after)


# ---------------------------------------------------------------- inputs and payloads


@strawberry.input(description="A new feedback.")
class SubmitFeedbackInput:
    idempotency_key: str = strawberry.field(
        description="Client-made UUID. Sending the same key again returns the first feedback and creates "
        "nothing."
    )
    title: str = strawberry.field(description="Short title, 3 to 200 characters.")
    description: str = strawberry.field(description="What is wrong.")
    category_id: strawberry.ID = strawberry.field(description="A FeedbackCategory.")
    location: GeoPointInput = strawberry.field(description="Where: must lie inside the province.")
    address: str | None = strawberry.field(default=None, description="Address or landmark.")
    photos: list[Upload] | None = strawberry.field(
        default=None, description="0 to 6 JPEG, PNG or WebP photos, each at most 10 MB and 40 megapixels."
    )
    anonymous: bool | None = strawberry.field(
        default=None, description="Hide the author from everyone but the assigned agency and admins."
    )


@strawberry.input(description="Move a feedback to another status (cadres of the assigned agency, admins).")
class TransitionFeedbackInput:
    id: strawberry.ID = strawberry.field(description="The feedback.")
    status: FeedbackStatus = strawberry.field(description="The new status.")
    message: str | None = strawberry.field(default=None, description="A note; the reason when REJECTED.")
    expected_version: int = strawberry.field(description="The version the cadre saw.")
    duplicate_of_id: strawberry.ID | None = strawberry.field(
        default=None, description="The original, for DUPLICATE."
    )
    photos: list[Upload] | None = strawberry.field(default=None, description="Photos, e.g. of the repair.")


@strawberry.input(description="Hand a feedback to an agency (cadres of the agency holding it, admins).")
class AssignFeedbackInput:
    id: strawberry.ID = strawberry.field(description="The feedback.")
    agency_id: strawberry.ID = strawberry.field(description="The agency that must handle it.")
    expected_version: int = strawberry.field(description="The version the cadre saw.")


@strawberry.input(description="An answer of the assigned agency, shown on the timeline.")
class ReplyToFeedbackInput:
    id: strawberry.ID = strawberry.field(description="The feedback.")
    message: str = strawberry.field(description="The answer.")
    photos: list[Upload] | None = strawberry.field(default=None, description="Photos.")
    expected_version: int | None = strawberry.field(
        default=None, description="The version the cadre saw; CONFLICT when it changed meanwhile."
    )


@strawberry.input(description="The author says a RESOLVED feedback is not fixed.")
class ReopenFeedbackInput:
    id: strawberry.ID = strawberry.field(description="The feedback.")
    reason: str = strawberry.field(description="Why the author says it is not fixed.")
    photos: list[Upload] | None = strawberry.field(default=None, description="Photos.")


@strawberry.input(description="The author's rating once resolved.")
class RateFeedbackInput:
    id: strawberry.ID = strawberry.field(description="The feedback.")
    rating: int = strawberry.field(description="1 to 5.")
    comment: str | None = strawberry.field(default=None, description="A comment.")


@strawberry.input(description="Set or clear a flag (support, follow) of the signed-in account.")
class SetFeedbackFlagInput:
    id: strawberry.ID = strawberry.field(description="The feedback.")
    value: bool = strawberry.field(description="True sets, false withdraws.")


@strawberry.type(description="The feedback after a mutation, or why nothing changed.")
class FeedbackPayload:
    feedback: Feedback | None = strawberry.field(default=None, description="The feedback as it is now.")
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems; empty on success."
    )


async def _read_uploads(uploads: list[Any] | None) -> list[bytes]:
    out = []
    for upload in uploads or []:
        # One byte more than allowed is enough to know it is too large.
        out.append(await upload.read(MAX_BYTES + 1))
    return out


async def _run(ctx: Context, work: Any) -> FeedbackPayload:
    try:
        row = await work()
    except UserInputError as error:
        await ctx.session.rollback()
        return FeedbackPayload(errors=user_errors(error, ctx.language))
    await public_feedback_changed(ctx.hub)
    return FeedbackPayload(feedback=Feedback.build(row, ctx))


def _fid(value: str) -> int:
    return decode_id(value, "Feedback", ("input", "id"))


# ---------------------------------------------------------------- roots


@strawberry.type
class FeedbackQuery:
    @strawberry.field(description="The public feed of feedback, filtered and ordered, a page at a time.")
    async def feedbacks(
        self,
        info: Info,
        filter: FeedbackFilter | None = None,
        order_by: FeedbackOrder | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> FeedbackConnection:
        order = order_by.value if order_by else "NEWEST"
        wants = selects(info.selected_fields, {"viewerHasSupported", "viewerIsFollowing"})
        return await feedback_page(info.context, _feed_filter(filter), order, first, after, wants)

    @strawberry.field(
        description='Open feedback of the same category within 150 m, nearest first: offer "me too" before a '
        "new report."
    )
    async def similar_feedbacks(
        self, info: Info, category_id: strawberry.ID, location: GeoPointInput
    ) -> list[Feedback]:
        category = decode_id_arg(category_id, "FeedbackCategory", "categoryId")
        rows = await queries.similar(info.context.session, category, location.latitude, location.longitude)
        return [Feedback.build(row, info.context) for row in rows]

    @strawberry.field(description="Counts, on-time rate, resolution time and rating, for the filters given.")
    async def feedback_stats(
        self,
        info: Info,
        category_id: strawberry.ID | None = None,
        unit_id: strawberry.ID | None = None,
        since: datetime | None = None,
    ) -> FeedbackStats:
        category = decode_id_arg(category_id, "FeedbackCategory", "categoryId") if category_id else None
        unit = decode_id_arg(unit_id, "AdministrativeUnit", "unitId") if unit_id else None
        s = await queries.stats(info.context.session, category, unit, since)
        return FeedbackStats(
            total=s.total,
            by_status=[StatusCount(status=Status(st), count=n) for st, n in s.by_status],
            resolved_on_time_rate=s.resolved_on_time_rate,
            average_resolution_hours=s.average_resolution_hours,
            average_rating=s.average_rating,
        )


@strawberry.type
class FeedbackMutation:
    @strawberry.mutation(description="Report a problem. Photos come as multipart uploads.")
    async def submit_feedback(self, info: Info, input: SubmitFeedbackInput) -> FeedbackPayload:
        ctx = info.context

        async def work() -> models.Feedback:
            category = decode_id(input.category_id, "FeedbackCategory", ("input", "categoryId"))
            data = service.NewFeedback(
                idempotency_key=input.idempotency_key,
                title=input.title,
                description=input.description,
                category_id=category,
                latitude=input.location.latitude,
                longitude=input.location.longitude,
                address=input.address,
                anonymous=bool(input.anonymous),
                photos=await _read_uploads(input.photos),
            )
            return await service.submit(ctx.session, ctx.principal, ctx.hub.settings.media_dir, data)

        return await _run(ctx, work)

    @strawberry.mutation(description='"Me too" (value true; also follows) or withdraw it (false).')
    async def support_feedback(self, info: Info, input: SetFeedbackFlagInput) -> FeedbackPayload:
        ctx = info.context
        return await _run(
            ctx,
            lambda: service.set_flag(ctx.session, ctx.principal, _fid(input.id), input.value, support=True),
        )

    @strawberry.mutation(description="Follow (value true) or unfollow a feedback.")
    async def follow_feedback(self, info: Info, input: SetFeedbackFlagInput) -> FeedbackPayload:
        ctx = info.context
        return await _run(
            ctx,
            lambda: service.set_flag(ctx.session, ctx.principal, _fid(input.id), input.value, support=False),
        )

    @strawberry.mutation(description="The author rates a RESOLVED or CLOSED feedback, once; it then closes.")
    async def rate_feedback(self, info: Info, input: RateFeedbackInput) -> FeedbackPayload:
        ctx = info.context
        return await _run(
            ctx, lambda: service.rate(ctx.session, ctx.principal, _fid(input.id), input.rating, input.comment)
        )

    @strawberry.mutation(
        description="The author says a RESOLVED feedback is not fixed: it goes back to the assigned agency."
    )
    async def reopen_feedback(self, info: Info, input: ReopenFeedbackInput) -> FeedbackPayload:
        ctx = info.context

        async def work() -> models.Feedback:
            return await service.reopen(
                ctx.session,
                ctx.principal,
                ctx.hub.settings.media_dir,
                _fid(input.id),
                input.reason,
                await _read_uploads(input.photos),
            )

        return await _run(ctx, work)

    @strawberry.mutation(description="A cadre of the assigned agency answers on the timeline.")
    async def reply_to_feedback(self, info: Info, input: ReplyToFeedbackInput) -> FeedbackPayload:
        ctx = info.context

        async def work() -> models.Feedback:
            return await service.reply(
                ctx.session,
                ctx.principal,
                ctx.hub.settings.media_dir,
                _fid(input.id),
                input.message,
                input.expected_version,
                await _read_uploads(input.photos),
            )

        return await _run(ctx, work)

    @strawberry.mutation(
        description="Hand a feedback to an agency (admins; cadres of the agency holding it)."
    )
    async def assign_feedback(self, info: Info, input: AssignFeedbackInput) -> FeedbackPayload:
        ctx = info.context

        async def work() -> models.Feedback:
            agency = decode_id(input.agency_id, "Agency", ("input", "agencyId"))
            return await service.assign(
                ctx.session, ctx.principal, _fid(input.id), agency, input.expected_version
            )

        return await _run(ctx, work)

    @strawberry.mutation(
        description="Move a feedback along its lifecycle (cadres of the assigned agency, admins)."
    )
    async def transition_feedback(self, info: Info, input: TransitionFeedbackInput) -> FeedbackPayload:
        ctx = info.context

        async def work() -> models.Feedback:
            duplicate = (
                decode_id(input.duplicate_of_id, "Feedback", ("input", "duplicateOfId"))
                if input.duplicate_of_id
                else None
            )
            return await service.transition(
                ctx.session,
                ctx.principal,
                ctx.hub.settings.media_dir,
                _fid(input.id),
                Status(input.status.value),
                input.expected_version,
                input.message,
                duplicate,
                await _read_uploads(input.photos),
            )

        return await _run(ctx, work)


__all__ = ["FeedbackMutation", "FeedbackQuery", "Role"]
