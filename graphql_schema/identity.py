"""Identity: accounts, the viewer, and the sign-in mutations. Thin: parse, call the service, map."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphql_schema.context import Info
from graphql_schema.errors import UserError, user_errors
from graphql_schema.places import AdministrativeUnit, Agency, load_agency, load_unit
from graphql_schema.relay import Node, decode_id, node_resolver, to_global_id
from server.errors import UserInputError
from server.identity import models, service
from server.identity.principal import Role as ServiceRole

if TYPE_CHECKING:
    from graphql_schema.apps import ConnectedApp
    from graphql_schema.feedback import FeedbackConnection, FeedbackStatus
    from graphql_schema.notify import NotificationConnection, NotificationPreferences
    from graphql_schema.privacy import DataAccessEventConnection
    from graphql_schema.records import DossierConnection, DossierStatus

Role = strawberry.enum(ServiceRole, name="Role", description="What an account may do in the hub.")


@strawberry.enum(description="Language of texts the hub sends to a person.")
class Language(Enum):
    VI = "VI"
    EN = "EN"


@strawberry.type(description="How a person appears to others: on feedback, replies and timelines.")
class PublicProfile:
    display_name: str = strawberry.field(description="Name shown to others.")
    role: Role = strawberry.field(description="The person's role.")
    agency_pk: strawberry.Private[int | None]

    @strawberry.field(description="For cadres: the agency they act for.")
    async def agency(self, info: Info) -> Agency | None:
        return await load_agency(info.context, self.agency_pk) if self.agency_pk is not None else None


@strawberry.type(description="The signed-in account. Reachable only by its owner (viewer) and admins.")
class Account(Node):
    id: strawberry.ID = strawberry.field(description="Globally unique ID.")
    full_name: str = strawberry.field(description="Full name as registered.")
    phone: str = strawberry.field(description="Mobile number in national form, e.g. 0912345678.")
    email: str | None = strawberry.field(description="Email address, if given.")
    national_id_masked: str | None = strawberry.field(
        description="Masked, e.g. 079******123; null until given."
    )
    national_id_verified: bool = strawberry.field(
        description="True once the national ID was confirmed (national identity login, or at an agency's "
        "counter). Only then are dossiers linked."
    )
    role: Role = strawberry.field(description="Citizen, cadre of an agency, or admin.")
    language: Language = strawberry.field(description="Language of the texts the hub sends this person.")
    created_at: datetime = strawberry.field(description="When the account was created.")
    agency_pk: strawberry.Private[int | None]
    home_unit_pk: strawberry.Private[int | None]

    @strawberry.field(description="For cadres: the agency they belong to.")
    async def agency(self, info: Info) -> Agency | None:
        return await load_agency(info.context, self.agency_pk) if self.agency_pk is not None else None

    @strawberry.field(description="The commune or ward the person lives in; area warnings follow it.")
    async def home_unit(self, info: Info) -> AdministrativeUnit | None:
        return await load_unit(info.context, self.home_unit_pk) if self.home_unit_pk is not None else None

    @classmethod
    def from_model(cls, account: models.Account) -> Account:
        return cls(
            id=strawberry.ID(to_global_id("Account", account.id)),
            full_name=account.full_name,
            phone=account.phone,
            email=account.email,
            national_id_masked=service.mask_national_id(account.national_id),
            national_id_verified=account.national_id_verified,
            role=ServiceRole(account.role),
            language=Language(account.language),
            created_at=account.created_at,
            agency_pk=account.agency_id,
            home_unit_pk=account.home_unit_id,
        )


@node_resolver("Account")
async def _account_node(info: Info, pk: int) -> Account | None:
    account = await service.get_account(info.context.session, info.context.principal, pk)
    return Account.from_model(account) if account is not None else None


LazyFeedbackConnection = Annotated["FeedbackConnection", strawberry.lazy("graphql_schema.feedback")]
LazyFeedbackStatus = Annotated["FeedbackStatus", strawberry.lazy("graphql_schema.feedback")]
LazyDataAccessEventConnection = Annotated[
    "DataAccessEventConnection", strawberry.lazy("graphql_schema.privacy")
]
LazyDossierConnection = Annotated["DossierConnection", strawberry.lazy("graphql_schema.records")]
LazyDossierStatus = Annotated["DossierStatus", strawberry.lazy("graphql_schema.records")]
LazyNotificationConnection = Annotated["NotificationConnection", strawberry.lazy("graphql_schema.notify")]
LazyNotificationPreferences = Annotated["NotificationPreferences", strawberry.lazy("graphql_schema.notify")]


@strawberry.type(description="The signed-in person and everything that is theirs.")
class Viewer:
    account_model: strawberry.Private[models.Account]

    @strawberry.field(description="The signed-in account.")
    def account(self) -> Account:
        return Account.from_model(self.account_model)

    # Notification fields live in graphql_schema/notify.py.
    @strawberry.field(description="How many of this person's notifications are unread.")
    async def unread_notification_count(self, info: Info) -> int:
        from graphql_schema.notify import viewer_unread_count

        return await viewer_unread_count(info.context, self.account_model)

    @strawberry.field(description="This person's notifications, newest first, in their language.")
    async def notifications(
        self,
        info: Info,
        unread_only: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> LazyNotificationConnection:
        from graphql_schema.notify import viewer_notifications

        return await viewer_notifications(info.context, self.account_model, unread_only, first, after)

    @strawberry.field(description="Which notification kinds also come by Web Push.")
    async def notification_preferences(self, info: Info) -> LazyNotificationPreferences:
        from graphql_schema.notify import viewer_preferences

        return await viewer_preferences(info.context, self.account_model)

    @strawberry.field(
        description="Third-party apps this person allowed to act for them (see revokeAppAccess)."
    )
    async def connected_apps(
        self, info: Info
    ) -> list[Annotated[ConnectedApp, strawberry.lazy("graphql_schema.apps")]]:
        from graphql_schema.apps import connected_apps

        return await connected_apps(info)  # type: ignore[return-value]

    # Feedback and privacy fields live in their own modules (lazy types avoid an import cycle).
    @strawberry.field(description="Feedback this account submitted, anonymous ones included.")
    async def feedbacks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> LazyFeedbackConnection:
        from graphql_schema.feedback import viewer_feedbacks

        return await viewer_feedbacks(info.context, first, after)

    @strawberry.field(description="Feedback this account follows (supporting one also follows it).")
    async def followed_feedbacks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> LazyFeedbackConnection:
        from graphql_schema.feedback import viewer_followed

        return await viewer_followed(info.context, first, after)

    @strawberry.field(description="For cadres: the work queue of their agency, newest first.")
    async def assigned_feedbacks(
        self,
        info: Info,
        status: list[LazyFeedbackStatus] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> LazyFeedbackConnection:
        from graphql_schema.feedback import viewer_assigned

        return await viewer_assigned(info.context, status, first, after)

    @strawberry.field(
        description="Administrative dossiers of this person (those whose citizen national ID is this "
        "account's VERIFIED national ID), newest received first; none while the national ID is unverified."
    )
    async def dossiers(
        self,
        info: Info,
        status: list[LazyDossierStatus] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> LazyDossierConnection:
        from graphql_schema.records import viewer_dossiers

        return await viewer_dossiers(info.context, status, first, after)

    @strawberry.field(description="Who read this person's personal data, what and why; newest first.")
    async def data_access_log(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> LazyDataAccessEventConnection:
        from graphql_schema.privacy import viewer_data_access_log

        return await viewer_data_access_log(info.context, first, after)


# ---------------------------------------------------------------- inputs and payloads


@strawberry.input(description="A new resident account.")
class RegisterInput:
    phone: str = strawberry.field(description="Vietnamese mobile number, in any usual form.")
    password: str = strawberry.field(
        description="At least 8 characters, not all digits, not a common password."
    )
    full_name: str = strawberry.field(description="Full name.")
    email: str | None = strawberry.field(default=None, description="Email address.")
    national_id: str | None = strawberry.field(
        default=None, description="12-digit personal identification number."
    )
    home_unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="Commune or ward of residence."
    )
    language: Language | None = strawberry.field(
        default=None, description="Preferred language; VI by default."
    )


@strawberry.input(description="Phone and password.")
class LoginInput:
    phone: str = strawberry.field(description="The mobile number the account was registered with.")
    password: str = strawberry.field(description="The account's password.")


@strawberry.input(description="A refresh token to exchange for new tokens.")
class RefreshTokenInput:
    refresh_token: str = strawberry.field(description="The refresh token last received.")


@strawberry.input(description="The refresh token of the sign-in to end.")
class LogoutInput:
    refresh_token: str = strawberry.field(description="The refresh token last received.")


@strawberry.type(description="Tokens for a signed-in account, or the errors that prevented signing in.")
class AuthPayload:
    access_token: str | None = strawberry.field(
        default=None, description="Bearer token, valid 15 minutes at most."
    )
    access_token_expires_at: datetime | None = strawberry.field(default=None, description="When it expires.")
    refresh_token: str | None = strawberry.field(
        default=None, description="Opaque, single-use token to get new tokens; valid 30 days."
    )
    account: Account | None = strawberry.field(default=None, description="The account signed in.")
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems; empty on success."
    )

    @classmethod
    def ok(cls, result: service.AuthResult) -> AuthPayload:
        return cls(
            access_token=result.access_token,
            access_token_expires_at=result.access_token_expires_at,
            refresh_token=result.refresh_token,
            account=Account.from_model(result.account),
        )


@strawberry.type(description="Result of signing out.")
class LogoutPayload:
    ok: bool = strawberry.field(description="True when the sign-in is revoked.")
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems; empty on success."
    )


# ---------------------------------------------------------------- roots


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="Null when no valid access token was sent.")
    async def viewer(self, info: Info) -> Viewer | None:
        account = await service.viewer_account(info.context.session, info.context.principal)
        return Viewer(account_model=account) if account is not None else None


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(description="Create a resident account and sign in.")
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        ctx = info.context
        try:
            home_unit = (
                decode_id(input.home_unit_id, "AdministrativeUnit", ("input", "homeUnitId"))
                if input.home_unit_id
                else None
            )
            data = service.NewAccount(
                phone=input.phone,
                password=input.password,
                full_name=input.full_name,
                email=input.email,
                national_id=input.national_id,
                home_unit_id=home_unit,
                language=input.language.value if input.language else ("EN" if ctx.language == "en" else "VI"),
            )
            return AuthPayload.ok(await service.register(ctx.session, ctx.hub.identity, data))
        except UserInputError as error:
            await ctx.session.rollback()
            return AuthPayload(errors=user_errors(error, ctx.language))

    @strawberry.mutation(description="Sign in with phone and password.")
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        ctx = info.context
        try:
            return AuthPayload.ok(
                await service.login(ctx.session, ctx.hub.identity, input.phone, input.password)
            )
        except UserInputError as error:
            return AuthPayload(errors=user_errors(error, ctx.language))

    @strawberry.mutation(
        description="Exchange a refresh token for new tokens. Each refresh token works once."
    )
    async def refresh_token(self, info: Info, input: RefreshTokenInput) -> AuthPayload:
        ctx = info.context
        try:
            return AuthPayload.ok(await service.refresh(ctx.session, ctx.hub.identity, input.refresh_token))
        except UserInputError as error:
            return AuthPayload(errors=user_errors(error, ctx.language))

    @strawberry.mutation(
        description="Sign out: the refresh token and every token rotated from it stop working."
    )
    async def logout(self, info: Info, input: LogoutInput) -> LogoutPayload:
        ctx = info.context
        try:
            await service.logout(ctx.session, input.refresh_token)
            return LogoutPayload(ok=True)
        except UserInputError as error:
            return LogoutPayload(ok=False, errors=user_errors(error, ctx.language))
