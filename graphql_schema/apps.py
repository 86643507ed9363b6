"""Third-party apps as residents see them: the consent screen's data, connected apps, revocation."""

from __future__ import annotations

from datetime import datetime

import orjson
import strawberry

from graphql_schema.context import Info
from graphql_schema.errors import UserError, user_errors
from graphql_schema.relay import (
    PageInfo,
    decode_id,
    decode_offset_cursor,
    encode_offset_cursor,
    offset_page_info,
    page_size,
    to_global_id,
)
from server.apps import service, webhooks
from server.db import utcnow
from server.errors import BadRequest, UserInputError
from server.i18n import Lang


@strawberry.type(description="A permission an app asks for or holds.")
class AppScope:
    name: str = strawberry.field(description="The scope, e.g. read:profile.")
    description: str = strawberry.field(description="What it lets the app do, in the request's language.")


def _scopes(names: list[str], lang: Lang) -> list[AppScope]:
    return [AppScope(name=n, description=service.SCOPES.get(n, {}).get(lang, n)) for n in names]


@strawberry.type(description="A validated authorization request, for the consent screen.")
class AppAuthorizationRequest:
    client_id: str = strawberry.field(description="The app's client id.")
    app_name: str = strawberry.field(description="The app's name, as registered by the operator.")
    scopes: list[AppScope] = strawberry.field(description="What the app asks to do for the resident.")
    redirect_uri: str = strawberry.field(description="Where the resident's browser returns to.")


@strawberry.type(description="An app the signed-in resident allowed to act for them.")
class ConnectedApp:
    client_id: str = strawberry.field(description="The app's client id; pass it to revokeAppAccess.")
    name: str = strawberry.field(description="The app's name.")
    scopes: list[AppScope] = strawberry.field(description="What the app may do.")
    granted_at: datetime = strawberry.field(description="When access was last granted.")


@strawberry.input(description="An OAuth 2.0 authorization request (authorization code flow with PKCE S256).")
class AuthorizeAppInput:
    client_id: str = strawberry.field(description="client_id of the request.")
    redirect_uri: str = strawberry.field(description="redirect_uri of the request; must be registered.")
    code_challenge: str = strawberry.field(description="PKCE code_challenge.")
    code_challenge_method: str = strawberry.field(default="S256", description="Must be S256.")
    scope: str | None = strawberry.field(
        default=None, description="Space-separated scopes; all of the app's if null."
    )
    state: str | None = strawberry.field(
        default=None, description="Opaque value returned to the app unchanged."
    )
    approve: bool = strawberry.field(default=True, description="False when the resident declines.")


@strawberry.type(description="Where to send the resident's browser next.")
class AuthorizeAppPayload:
    redirect_url: str | None = strawberry.field(
        default=None, description="The app's redirect URI with the result."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems; empty on success."
    )


@strawberry.input(description="The app to disconnect.")
class RevokeAppAccessInput:
    client_id: str = strawberry.field(description="The app's client id, from connectedApps.")


@strawberry.type(description="Result of revoking an app's access.")
class RevokeAppAccessPayload:
    ok: bool = strawberry.field(description="True when the app can no longer act for the resident.")
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems; empty on success."
    )


@strawberry.type(description="An app's subscription to public feedback events.")
class AppWebhook:
    id: strawberry.ID = strawberry.field(description="ID of the subscription; pass it to unsubscribeWebhook.")
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    events: list[str] = strawberry.field(description="Event types delivered, e.g. feedback.status_changed.")
    created_at: datetime = strawberry.field(description="When the app subscribed.")

    @classmethod
    def from_model(cls, hook: object) -> AppWebhook:
        return cls(
            id=strawberry.ID(to_global_id("AppWebhook", hook.id)),  # type: ignore[attr-defined]
            url=hook.url,  # type: ignore[attr-defined]
            events=hook.events.split(),  # type: ignore[attr-defined]
            created_at=hook.created_at,  # type: ignore[attr-defined]
        )


@strawberry.type(description="One event sent (or being sent) to one of the app's webhooks.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="Delivery id, also sent as the X-Hub-Delivery header.")
    url: str = strawberry.field(description="The webhook's URL.")
    event_type: str = strawberry.field(description="e.g. feedback.status_changed.")
    status: str = strawberry.field(description="PENDING, DELIVERED or FAILED (after the last retry).")
    attempts: int = strawberry.field(description="How many times it was sent.")
    last_response_status: int | None = strawberry.field(description="HTTP status of the last attempt.")
    last_error: str | None = strawberry.field(description="Why the last attempt failed, if it did.")
    created_at: datetime = strawberry.field(description="When the event was queued.")
    delivered_at: datetime | None = strawberry.field(description="When a 2xx answer came.")
    next_attempt_at: datetime | None = strawberry.field(description="When it is retried, while PENDING.")
    payload: str = strawberry.field(
        description="The JSON body that is sent, signed with the webhook's secret."
    )


@strawberry.type(description="An edge of the delivery log.")
class WebhookDeliveryEdge:
    node: WebhookDelivery = strawberry.field(description="The delivery.")
    cursor: str = strawberry.field(description="Cursor of this delivery.")


@strawberry.type(description="The app's delivery log, newest first.")
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge] = strawberry.field(description="Deliveries of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page lies.")
    total_count: int = strawberry.field(description="How many deliveries there are.")


@strawberry.input(description="Where and what to deliver.")
class SubscribeWebhookInput:
    url: str = strawberry.field(description="https URL (http only for loopback hosts, for development).")
    events: list[str] | None = strawberry.field(default=None, description="Event types; all when null.")


@strawberry.type(description="The new subscription and its signing secret.")
class SubscribeWebhookPayload:
    webhook: AppWebhook | None = strawberry.field(default=None, description="The subscription.")
    secret: str | None = strawberry.field(
        default=None, description="Signs every delivery (X-Hub-Signature-256: sha256=HMAC). Shown only now."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems; empty on success."
    )


@strawberry.input(description="The subscription to end.")
class UnsubscribeWebhookInput:
    id: strawberry.ID = strawberry.field(description="ID of the subscription.")


@strawberry.type(description="Result of ending a subscription.")
class UnsubscribeWebhookPayload:
    ok: bool = strawberry.field(description="True when no more deliveries will be made.")
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems; empty on success."
    )


async def _check(info: Info, input: AuthorizeAppInput) -> service.AuthorizationRequest:
    try:
        return await service.check_authorization_request(
            info.context.session,
            input.client_id,
            input.redirect_uri,
            input.scope,
            input.state,
            input.code_challenge,
            input.code_challenge_method,
        )
    except service.OAuthError as error:
        raise BadRequest(f"{error.error}: {error.description}") from None


async def connected_apps(info: Info) -> list[ConnectedApp]:
    rows = await service.connected_apps(info.context.session, info.context.principal)
    return [
        ConnectedApp(
            client_id=app.client_id,
            name=app.name,
            scopes=_scopes(grant.scopes.split(), info.context.language),
            granted_at=grant.granted_at,
        )
        for grant, app in rows
    ]


@strawberry.type
class AppsQuery:
    @strawberry.field(
        description="Validates an authorization request and describes it for the consent screen."
    )
    async def app_authorization_request(
        self, info: Info, input: AuthorizeAppInput
    ) -> AppAuthorizationRequest:
        request = await _check(info, input)
        return AppAuthorizationRequest(
            client_id=request.app.client_id,
            app_name=request.app.name,
            scopes=_scopes(request.scopes, info.context.language),
            redirect_uri=request.redirect_uri,
        )

    @strawberry.field(description="For app tokens: the app's webhook subscriptions.")
    async def app_webhooks(self, info: Info) -> list[AppWebhook]:
        hooks = await webhooks.webhooks_of(info.context.session, info.context.principal)
        return [AppWebhook.from_model(h) for h in hooks]

    @strawberry.field(description="For app tokens: the delivery log of the app's webhooks, newest first.")
    async def app_webhook_deliveries(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> WebhookDeliveryConnection:
        size = page_size(first)
        start = decode_offset_cursor(after) + 1
        rows, total = await webhooks.deliveries_of(info.context.session, info.context.principal, start, size)
        now = utcnow()
        edges = [
            WebhookDeliveryEdge(
                node=WebhookDelivery(
                    id=strawberry.ID(str(d.id)),
                    url=url,
                    event_type=d.event_type,
                    status=d.status,
                    attempts=d.attempts,
                    last_response_status=d.last_response_status,
                    last_error=d.last_error,
                    created_at=d.created_at,
                    delivered_at=d.delivered_at,
                    next_attempt_at=d.next_attempt_at
                    if webhooks.next_attempt_in(d, now) is not None
                    else None,
                    payload=orjson.dumps(d.payload).decode(),
                ),
                cursor=encode_offset_cursor(start + i),
            )
            for i, (d, url) in enumerate(rows)
        ]
        return WebhookDeliveryConnection(
            edges=edges,
            page_info=offset_page_info(start, edges, total),
            total_count=total,
        )


@strawberry.type
class AppsMutation:
    @strawberry.mutation(
        description="The signed-in resident approves (or declines) an app's authorization request."
    )
    async def authorize_app(self, info: Info, input: AuthorizeAppInput) -> AuthorizeAppPayload:
        request = await _check(info, input)
        if not input.approve:
            return AuthorizeAppPayload(redirect_url=service.deny_redirect(request))
        return AuthorizeAppPayload(
            redirect_url=await service.approve(info.context.session, info.context.principal, request)
        )

    @strawberry.mutation(description="For app tokens: receive public feedback events at a URL, signed.")
    async def subscribe_webhook(self, info: Info, input: SubscribeWebhookInput) -> SubscribeWebhookPayload:
        ctx = info.context
        try:
            hook, secret = await webhooks.subscribe(ctx.session, ctx.principal, input.url, input.events)
        except UserInputError as error:
            await ctx.session.rollback()
            return SubscribeWebhookPayload(errors=user_errors(error, ctx.language))
        return SubscribeWebhookPayload(webhook=AppWebhook.from_model(hook), secret=secret)

    @strawberry.mutation(description="For app tokens: end a webhook subscription.")
    async def unsubscribe_webhook(
        self, info: Info, input: UnsubscribeWebhookInput
    ) -> UnsubscribeWebhookPayload:
        ctx = info.context
        try:
            await webhooks.unsubscribe(
                ctx.session, ctx.principal, decode_id(input.id, "AppWebhook", ("input", "id"))
            )
        except UserInputError as error:
            await ctx.session.rollback()
            return UnsubscribeWebhookPayload(ok=False, errors=user_errors(error, ctx.language))
        return UnsubscribeWebhookPayload(ok=True)

    @strawberry.mutation(description="Stop an app from acting for the signed-in resident, at once.")
    async def revoke_app_access(self, info: Info, input: RevokeAppAccessInput) -> RevokeAppAccessPayload:
        ctx = info.context
        try:
            await service.revoke_app_access(ctx.session, ctx.principal, input.client_id)
            return RevokeAppAccessPayload(ok=True)
        except UserInputError as error:
            await ctx.session.rollback()
            return RevokeAppAccessPayload(ok=False, errors=user_errors(error, ctx.language))
