"""Personal data rights as GraphQL: exportMyData and deleteMyAccount. Thin: the rules are in the service."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from graphql_schema.context import Info
from graphql_schema.errors import UserError, user_errors
from server.errors import UserInputError
from server.privacy import rights


@strawberry.type(description="A copy of everything the hub holds about the signed-in person.")
class ExportMyDataPayload:
    data: JSON | None = strawberry.field(
        default=None,
        description='One JSON document: {"format": "citizen-hub/personal-data-export/v1", '
        '"exportedAt", "account", "feedback" (with timelines), "dossiers" (with history), "notifications", '
        '"dataAccessLog"}. Texts are in the request\'s language; times are ISO 8601 in UTC.',
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems; empty on success."
    )


@strawberry.input(description="Confirmation that the signed-in person wants their account erased.")
class DeleteMyAccountInput:
    confirm_phone: str = strawberry.field(description="The account's phone number, typed again.")
    password: str | None = strawberry.field(
        default=None, description="The account's password; required when the account has one."
    )


@strawberry.type(description="Result of erasing the signed-in person's account.")
class DeleteMyAccountPayload:
    ok: bool = strawberry.field(description="True when the personal data is erased and every sign-in ended.")
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Problems; empty on success."
    )


@strawberry.type
class DataRightsMutation:
    @strawberry.mutation(
        description="Download everything the hub holds about you (account, feedback, dossiers, "
        "notifications, data access log) as one JSON document."
    )
    async def export_my_data(self, info: Info) -> ExportMyDataPayload:
        ctx = info.context
        return ExportMyDataPayload(data=await rights.export_my_data(ctx.session, ctx.principal, ctx.language))

    @strawberry.mutation(
        description="Erase your account: name, phone, email, national ID, dossiers, notifications and "
        "sign-ins are removed; your public feedback stays, anonymised. Cannot be undone."
    )
    async def delete_my_account(self, info: Info, input: DeleteMyAccountInput) -> DeleteMyAccountPayload:
        ctx = info.context
        try:
            await rights.delete_my_account(ctx.session, ctx.principal, input.confirm_phone, input.password)
            return DeleteMyAccountPayload(ok=True)
        except UserInputError as error:
            await ctx.session.rollback()
            return DeleteMyAccountPayload(ok=False, errors=user_errors(error, ctx.language))
