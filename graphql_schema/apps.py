"""Third-party apps as residents see them: the consent screen's data, connected apps, revocation."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_schema.context import Info
from graphql_schema.errors import UserError, user_errors
from server.apps import service
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

    @strawberry.mutation(description="Stop an app from acting for the signed-in resident, at once.")
    async def revoke_app_access(self, info: Info, input: RevokeAppAccessInput) -> RevokeAppAccessPayload:
        ctx = info.context
        try:
            await service.revoke_app_access(ctx.session, ctx.principal, input.client_id)
            return RevokeAppAccessPayload(ok=True)
        except UserInputError as error:
            await ctx.session.rollback()
            return RevokeAppAccessPayload(ok=False, errors=user_errors(error, ctx.language))
