"""Notifications as GraphQL: the inbox, announcements, Web Push registration, preferences, and the
subscriptions (graphql-transport-ws). Thin: parse, call server/notify/service.py, map."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import AsyncGenerator, Callable, Sequence
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import FieldNode
from sqlalchemy import select
from starlette.websockets import WebSocket, WebSocketState

from graphql_schema.context import Context, Info
from graphql_schema.errors import UserError, user_errors
from graphql_schema.places import AdministrativeUnit, Agency, load_agency, load_unit
from graphql_schema.relay import (
    NODE_RESOLVERS,
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
from graphql_schema.scalars import serialize_datetime
from graphql_schema.transport import RunningOperation, running_operation
from server.errors import UserInputError
from server.i18n import Lang
from server.identity.models import Account as AccountModel
from server.notify import models, service, texts
from server.notify.fanout import LiveNotification
from server.notify.outbox import NotificationKind as ServiceKind
from server.notify.runtime import notifier, vapid_keys
from server.notify.webpush import public_key_b64url

NotificationKind = strawberry.enum(
    ServiceKind, name="NotificationKind", description="What a notification is about."
)


@strawberry.enum(description="How urgent an announcement is. EMERGENCY always comes by push, urgently.")
class AnnouncementSeverity(Enum):
    INFO = "INFO"
    WARNING = "WARNING"
    EMERGENCY = "EMERGENCY"


def _lang(account_language: str | None) -> Lang:
    return "en" if account_language == "EN" else "vi"


# ---------------------------------------------------------------- Notification


@strawberry.type(description="Something the hub told one person: in their inbox, live, and maybe by push.")
class Notification(Node):
    id: strawberry.ID = strawberry.field(description="Globally unique ID.")
    kind: NotificationKind = strawberry.field(description="What it is about.")
    title: str = strawberry.field(description="Short title, in the recipient's language.")
    body: str = strawberry.field(description="Text, in the recipient's language.")
    created_at: datetime = strawberry.field(description="When it was created.")
    read_at: datetime | None = strawberry.field(
        description="When the recipient marked it read; null if unread."
    )
    subject_type: strawberry.Private[str]
    subject_pk: strawberry.Private[int]

    @strawberry.field(description="The feedback, dossier or announcement it is about.")
    async def subject(self, info: Info) -> Node | None:
        return await _subject_loader(info.context).load((self.subject_type, self.subject_pk))

    @classmethod
    def build(
        cls,
        pk: int,
        kind: str,
        payload: dict[str, Any],
        subject_type: str,
        subject_pk: int,
        created_at: datetime,
        read_at: datetime | None,
        lang: Lang,
    ) -> Notification:
        title, body = texts.render(kind, payload, lang)
        return cls(
            id=strawberry.ID(to_global_id("Notification", pk)),
            kind=ServiceKind(kind),
            title=title,
            body=body,
            created_at=created_at,
            read_at=read_at,
            subject_type=subject_type,
            subject_pk=subject_pk,
        )

    @classmethod
    def from_row(cls, row: models.Notification, event: models.OutboxEvent, lang: Lang) -> Notification:
        return cls.build(
            row.id,
            row.kind,
            event.payload,
            event.subject_type,
            event.subject_id,
            row.created_at,
            row.read_at,
            lang,
        )

    @classmethod
    def from_live(cls, item: LiveNotification, lang: Lang) -> Notification:
        return cls.build(
            item.id, item.kind, item.payload, item.subject_type, item.subject_id, item.created_at, None, lang
        )


async def _feedback_subjects(ctx: Context, ids: list[int]) -> dict[int, Any]:
    from graphql_schema.feedback import Feedback
    from server.feedback import queries
    from server.feedback.models import Feedback as FeedbackModel

    rows = await ctx.session.scalars(
        select(FeedbackModel).where(FeedbackModel.id.in_(ids)).options(*queries._card_options())
    )
    return {row.id: Feedback.build(row, ctx) for row in rows}


async def _announcement_subjects(ctx: Context, ids: list[int]) -> dict[int, Any]:
    rows = await ctx.session.scalars(select(models.Announcement).where(models.Announcement.id.in_(ids)))
    units = await service.announcement_units(ctx.session, ids)
    return {row.id: Announcement.from_model(row, units.get(row.id, [])) for row in rows}


SUBJECT_BATCHES = {"Feedback": _feedback_subjects, "Announcement": _announcement_subjects}


def _subject_loader(ctx: Context):  # type: ignore[no-untyped-def]
    """Subjects of a page of notifications: one statement per subject type, not one per notification."""

    async def load(keys: Sequence[tuple[str, int]]) -> list[Any]:
        by_type: dict[str, list[int]] = defaultdict(list)
        for subject_type, pk in keys:
            by_type[subject_type].append(pk)
        found: dict[tuple[str, int], Any] = {}
        for subject_type, pks in by_type.items():
            batch = SUBJECT_BATCHES.get(subject_type)
            if batch is not None:
                for pk, node in (await batch(ctx, sorted(set(pks)))).items():
                    found[(subject_type, pk)] = node
            elif (resolver := NODE_RESOLVERS.get(subject_type)) is not None:
                # A type without a batch loader yet (e.g. dossiers): its node resolver, which checks access.
                for pk in pks:
                    found[(subject_type, pk)] = await resolver(_InfoLike(ctx), pk)
        return [found.get(key) for key in keys]

    return ctx.loader("notification_subjects", load)


class _InfoLike:
    def __init__(self, context: Context) -> None:
        self.context = context


@strawberry.type(description="A notification in a page of the inbox.")
class NotificationEdge:
    node: Notification = strawberry.field(description="The notification.")
    cursor: str = strawberry.field(description="Pass as `after` to get what follows.")


@strawberry.type(description="A page of the inbox, newest first.")
class NotificationConnection:
    edges: list[NotificationEdge] = strawberry.field(description="The notifications of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page lies.")
    total_count: int = strawberry.field(description="How many match, over all pages.")


@node_resolver("Notification")
async def _notification_node(info: Info, pk: int) -> Notification | None:
    ctx = info.context
    found = await service.get_notification(ctx.session, ctx.principal, pk)
    if found is None:
        return None
    account = await ctx.session.get(AccountModel, ctx.principal.account_id)
    return Notification.from_row(found[0], found[1], _lang(account.language if account else None))


# ---------------------------------------------------------------- Viewer fields (called from identity.py)


async def viewer_notifications(
    ctx: Context, account: AccountModel, unread_only: bool | None, first: int | None, after: str | None
) -> NotificationConnection:
    limit = page_size(first)
    start = decode_offset_cursor(after) + 1
    rows, total = await service.inbox_page(ctx.session, account.id, bool(unread_only), limit, start)
    lang = _lang(account.language)
    edges = [
        NotificationEdge(node=Notification.from_row(n, e, lang), cursor=encode_offset_cursor(start + i))
        for i, (n, e) in enumerate(rows)
    ]
    return NotificationConnection(
        edges=edges,
        page_info=offset_page_info(start, edges, total),
        total_count=total,
    )


async def viewer_unread_count(ctx: Context, account: AccountModel) -> int:
    return await service.unread_count(ctx.session, account.id)


@strawberry.type(description="Which notifications also come by Web Push. The inbox always gets everything.")
class NotificationPreferences:
    push_kinds: list[NotificationKind] = strawberry.field(
        description="Kinds that come by push too. EMERGENCY announcements always do."
    )


async def viewer_preferences(ctx: Context, account: AccountModel) -> NotificationPreferences:
    kinds = await service.push_kinds(ctx.session, account.id)
    return NotificationPreferences(push_kinds=[ServiceKind(k) for k in kinds])


# ---------------------------------------------------------------- Announcement


@strawberry.type(description="An area warning or notice to the residents of some units.")
class Announcement(Node):
    id: strawberry.ID = strawberry.field(description="Globally unique ID.")
    title: str = strawberry.field(description="Title, as the issuer wrote it.")
    body: str = strawberry.field(description="Text, as the issuer wrote it.")
    severity: AnnouncementSeverity = strawberry.field(description="How urgent it is.")
    published_at: datetime = strawberry.field(description="When it was published.")
    expires_at: datetime | None = strawberry.field(description="When it stops being in force; null: never.")
    issuer_pk: strawberry.Private[int | None]
    unit_pks: strawberry.Private[list[int]]

    @strawberry.field(description="The agency that published it; null for the hub's administrators.")
    async def issuer(self, info: Info) -> Agency | None:
        return await load_agency(info.context, self.issuer_pk) if self.issuer_pk is not None else None

    @strawberry.field(description="Where it applies; empty means the whole province.")
    async def units(self, info: Info) -> list[AdministrativeUnit]:
        found = await asyncio.gather(*(load_unit(info.context, pk) for pk in self.unit_pks))
        return [unit for unit in found if unit is not None]

    @classmethod
    def from_model(cls, row: models.Announcement, unit_pks: list[int]) -> Announcement:
        return cls(
            id=strawberry.ID(to_global_id("Announcement", row.id)),
            title=row.title,
            body=row.body,
            severity=AnnouncementSeverity(row.severity),
            published_at=row.published_at,
            expires_at=row.expires_at,
            issuer_pk=row.issuer_agency_id,
            unit_pks=unit_pks,
        )


@node_resolver("Announcement")
async def _announcement_node(info: Info, pk: int) -> Announcement | None:
    return (await _announcement_subjects(info.context, [pk])).get(pk)


@strawberry.type(description="An announcement in a page of results.")
class AnnouncementEdge:
    node: Announcement = strawberry.field(description="The announcement.")
    cursor: str = strawberry.field(description="Pass as `after` to get what follows.")


@strawberry.type(description="A page of announcements, newest first.")
class AnnouncementConnection:
    edges: list[AnnouncementEdge] = strawberry.field(description="The announcements of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page lies.")
    total_count: int = strawberry.field(description="How many are in force, over all pages.")


# ---------------------------------------------------------------- inputs and payloads


@strawberry.input(description="Which notifications to mark read.")
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Omit to mark all as read.")


@strawberry.type(description="The inbox after marking notifications read.")
class MarkNotificationsReadPayload:
    unread_count: int = strawberry.field(description="How many notifications remain unread.")
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems; empty on success."
    )


@strawberry.input(description="A browser's push subscription (PushSubscription.toJSON()).")
class PushSubscriptionInput:
    endpoint: str = strawberry.field(
        description="The push service URL; https (http only to a loopback host)."
    )
    p256dh: str = strawberry.field(description="The browser's P-256 public key, base64url.")
    auth: str = strawberry.field(description="The 16-byte authentication secret, base64url.")


@strawberry.type(description="Result of registering a push subscription.")
class PushSubscriptionPayload:
    ok: bool = strawberry.field(description="True when the subscription is stored.")
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems; empty on success."
    )


@strawberry.input(description="The push subscription to forget (its endpoint, as registered).")
class UnregisterPushSubscriptionInput:
    endpoint: str = strawberry.field(description="The push service URL of the browser's subscription.")


@strawberry.input(description="A new announcement.")
class PublishAnnouncementInput:
    title: str = strawberry.field(description="3 to 200 characters.")
    body: str = strawberry.field(description="The text.")
    severity: AnnouncementSeverity = strawberry.field(description="How urgent it is.")
    unit_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Target units (and everything below them). None: the whole province for admins and "
        "province agencies, the agency's own area for other cadres.",
    )
    expires_at: datetime | None = strawberry.field(default=None, description="When it stops being in force.")


@strawberry.type(description="The published announcement, or why it was not published.")
class AnnouncementPayload:
    announcement: Announcement | None = strawberry.field(default=None, description="The announcement.")
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems; empty on success."
    )


@strawberry.input(description="Which notification kinds also come by push.")
class NotificationPreferencesInput:
    push_kinds: list[NotificationKind] = strawberry.field(
        description="Kinds to push; the others only go to the inbox."
    )


@strawberry.type(description="The preferences now in force.")
class NotificationPreferencesPayload:
    preferences: NotificationPreferences | None = strawberry.field(
        default=None, description="The preferences."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems; empty on success."
    )


# ---------------------------------------------------------------- roots


@strawberry.type
class NotifyQuery:
    @strawberry.field(description="Announcements in force, newest first; for a unit: those that reach it.")
    async def announcements(
        self,
        info: Info,
        unit_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AnnouncementConnection:
        ctx = info.context
        unit_pk = decode_id_arg(unit_id, "AdministrativeUnit", "unitId") if unit_id is not None else None
        limit = page_size(first)
        start = decode_offset_cursor(after) + 1
        rows, total = await service.announcements_page(ctx.session, unit_pk, limit, start)
        units = await service.announcement_units(ctx.session, [row.id for row in rows]) if rows else {}
        edges = [
            AnnouncementEdge(
                node=Announcement.from_model(row, units.get(row.id, [])),
                cursor=encode_offset_cursor(start + i),
            )
            for i, row in enumerate(rows)
        ]
        return AnnouncementConnection(
            edges=edges,
            page_info=offset_page_info(start, edges, total),
            total_count=total,
        )

    @strawberry.field(description="VAPID public key (base64url) for the PWA's push subscription.")
    def web_push_public_key(self, info: Info) -> str:
        return public_key_b64url(vapid_keys(info.context.hub))


@strawberry.type
class NotifyMutation:
    @strawberry.mutation(description="Mark one's own notifications read: the given ones, or all.")
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        ctx = info.context
        try:
            ids = (
                [decode_id(gid, "Notification", ("input", "ids", str(i))) for i, gid in enumerate(input.ids)]
                if input.ids is not None
                else None
            )
            return MarkNotificationsReadPayload(
                unread_count=await service.mark_read(ctx.session, ctx.principal, ids)
            )
        except UserInputError as error:
            await ctx.session.rollback()
            count = (
                await service.unread_count(ctx.session, ctx.principal.account_id)
                if ctx.principal.account_id
                else 0
            )
            return MarkNotificationsReadPayload(unread_count=count, errors=user_errors(error, ctx.language))

    @strawberry.mutation(description="Store this browser's Web Push subscription for the signed-in account.")
    async def register_push_subscription(
        self, info: Info, input: PushSubscriptionInput
    ) -> PushSubscriptionPayload:
        ctx = info.context
        try:
            await service.register_push_subscription(
                ctx.session, ctx.principal, input.endpoint, input.p256dh, input.auth
            )
            return PushSubscriptionPayload(ok=True)
        except UserInputError as error:
            await ctx.session.rollback()
            return PushSubscriptionPayload(ok=False, errors=user_errors(error, ctx.language))

    @strawberry.mutation(
        description="Stop Web Push to this browser for the signed-in account (on sign-out, or when the "
        "resident turns push off). Another account's subscription is left alone; an unknown endpoint "
        "is fine (ok: true)."
    )
    async def unregister_push_subscription(
        self, info: Info, input: UnregisterPushSubscriptionInput
    ) -> PushSubscriptionPayload:
        ctx = info.context
        try:
            await service.unregister_push_subscription(ctx.session, ctx.principal, input.endpoint)
            return PushSubscriptionPayload(ok=True)
        except UserInputError as error:
            await ctx.session.rollback()
            return PushSubscriptionPayload(ok=False, errors=user_errors(error, ctx.language))

    @strawberry.mutation(
        description="Publish an announcement: cadres for their agency's area, admins anywhere. Every "
        "resident whose home unit lies in a target unit (or below it) is notified."
    )
    async def publish_announcement(self, info: Info, input: PublishAnnouncementInput) -> AnnouncementPayload:
        ctx = info.context
        try:
            unit_ids = (
                [
                    decode_id(gid, "AdministrativeUnit", ("input", "unitIds", str(i)))
                    for i, gid in enumerate(input.unit_ids)
                ]
                if input.unit_ids
                else None
            )
            data = service.NewAnnouncement(
                title=input.title,
                body=input.body,
                severity=input.severity.value,
                unit_ids=unit_ids,
                expires_at=input.expires_at,
            )
            row = await service.publish_announcement(ctx.session, ctx.principal, data)
            units = await service.announcement_units(ctx.session, [row.id])
            return AnnouncementPayload(announcement=Announcement.from_model(row, units[row.id]))
        except UserInputError as error:
            await ctx.session.rollback()
            return AnnouncementPayload(errors=user_errors(error, ctx.language))

    @strawberry.mutation(description="Choose which notification kinds also come by push.")
    async def set_notification_preferences(
        self, info: Info, input: NotificationPreferencesInput
    ) -> NotificationPreferencesPayload:
        ctx = info.context
        try:
            kinds = await service.set_push_kinds(
                ctx.session, ctx.principal, [k.value for k in input.push_kinds]
            )
            return NotificationPreferencesPayload(
                preferences=NotificationPreferences(push_kinds=[ServiceKind(k) for k in kinds])
            )
        except UserInputError as error:
            await ctx.session.rollback()
            return NotificationPreferencesPayload(errors=user_errors(error, ctx.language))


# ---------------------------------------------------------------- subscriptions


async def _close(ctx: Context, code: int, reason: str) -> None:
    ws = ctx.request
    if isinstance(ws, WebSocket) and ws.application_state is not WebSocketState.DISCONNECTED:
        try:
            await ws.close(code=code, reason=reason)
        except RuntimeError:  # already closing
            pass


_EXPIRED = object()


@contextlib.contextmanager
def _ends_with_token(ctx: Context, queue: asyncio.Queue[Any]):  # type: ignore[no-untyped-def]
    """When the connection's access token expires, a marker enters the queue: the subscription ends.

    One timer per subscription rather than a timeout per message: waiting stays a plain queue.get().
    """

    def expire() -> None:
        while not queue.empty():  # live messages are dropped; they are in the inbox
            queue.get_nowait()
        queue.put_nowait(_EXPIRED)

    timer = None
    if ctx.token_expires_at is not None:
        delay = max(0.0, ctx.token_expires_at - time.time())
        timer = asyncio.get_running_loop().call_later(delay, expire)
    try:
        yield
    finally:
        if timer is not None:
            timer.cancel()


async def _next(ctx: Context, queue: asyncio.Queue[Any]) -> Any | None:
    """The next message, or None when the connection's access token expired (the connection closes)."""
    item = await queue.get()
    if item is _EXPIRED:
        await _close(ctx, 4401, "Access token expired")
        return None
    return item


class _DirectNotifications:
    """notificationReceived results sent without graphql-core, when the selection is only plain fields.

    Executing the selection set per subscriber per message was most of a fan-out's cost; a selection of
    Notification's own scalar fields (any aliases, no fragments, directives or `subject`) is just a
    mapping, built here and sent as strawberry would send it (graphql_schema/transport.py). Anything
    else, and HTTP, goes through graphql-core as before.
    """

    FIELDS: dict[str, Callable[[Notification], Any]] = {
        "id": lambda n: n.id,
        "kind": lambda n: n.kind.name,
        "title": lambda n: n.title,
        "body": lambda n: n.body,
        "createdAt": lambda n: serialize_datetime(n.created_at),
        "readAt": lambda n: None if n.read_at is None else serialize_datetime(n.read_at),
        "__typename": lambda n: "Notification",
    }

    def __init__(self, running: RunningOperation, key: str, fields: list[tuple[str, str]]) -> None:
        self.running = running
        self.key = key
        self.fields = [(alias, self.FIELDS[name]) for alias, name in fields]

    @classmethod
    def of(cls, info: Info) -> _DirectNotifications | None:
        running = running_operation()
        node = info._raw_info.field_nodes[0]
        if running is None or len(info._raw_info.field_nodes) != 1 or node.selection_set is None:
            return None
        fields: list[tuple[str, str]] = []
        for selection in node.selection_set.selections:
            if (
                not isinstance(selection, FieldNode)
                or selection.directives
                or selection.arguments
                or selection.name.value not in cls.FIELDS
            ):
                return None
            fields.append(((selection.alias or selection.name).value, selection.name.value))
        return cls(running, (node.alias or node.name).value, fields)

    async def send(self, notification: Notification) -> None:
        # A key selected twice keeps its first place, as graphql-core's field collection does.
        await self.running.send_data({self.key: {alias: value(notification) for alias, value in self.fields}})


@strawberry.type
class NotifySubscription:
    @strawberry.subscription(
        description="New notifications of the signed-in account, as they are created. Needs an access token "
        "in connection_init's payload; ends when that token expires."
    )
    async def notification_received(self, info: Info) -> AsyncGenerator[Notification, None]:
        ctx = info.context
        account_id = ctx.principal.account_id
        if account_id is None:
            await _close(ctx, 4401, "Unauthorized")
            return
        async with ctx.hub.session_factory() as session:  # short-lived: the subscription holds none
            account = await session.get(AccountModel, account_id)
        if account is None:
            await _close(ctx, 4403, "Forbidden")
            return
        lang = _lang(account.language)
        direct = _DirectNotifications.of(info)
        if direct is not None:
            await direct.running.settle_extensions()
        with notifier(ctx.hub).fanout.account_queue(account_id) as queue, _ends_with_token(ctx, queue):
            while (item := await _next(ctx, queue)) is not None:
                notification = Notification.from_live(item, lang)
                if direct is not None:
                    await direct.send(notification)
                else:
                    yield notification

    @strawberry.subscription(description="Every change to one feedback that the subscriber may see.")
    async def feedback_updated(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[Annotated[Feedback, strawberry.lazy("graphql_schema.feedback")], None]:  # noqa: F821
        from graphql_schema.feedback import Feedback
        from server.feedback import queries

        ctx = info.context
        pk = decode_id_arg(id, "Feedback", "id")
        with notifier(ctx.hub).fanout.subject_queue("Feedback", pk) as queue, _ends_with_token(ctx, queue):
            while await _next(ctx, queue) is not None:
                # The operation's session: SessionPerOperation closes it once this message is sent.
                row = await queries.get_feedback(ctx.session, pk)
                if row is None:
                    return
                yield Feedback.build(row, ctx)
