"""loginWithNationalIdentity: sign in with an OpenID Connect ID token of the national identity issuer."""

from __future__ import annotations

import strawberry

from graphql_schema.context import Info
from graphql_schema.errors import user_errors
from graphql_schema.identity import AuthPayload
from server.errors import UserInputError
from server.identity import national


@strawberry.input(description="An ID token of the national identity issuer, and the nonce the client sent.")
class NationalIdentityLoginInput:
    id_token: str = strawberry.field(
        description="The OpenID Connect ID token (a JWT signed RS256, ES256 or EdDSA by the issuer). It must "
        "carry `sub`, `national_id` (or `cccd`), and `phone_number` and `name` for a first sign-in."
    )
    nonce: str = strawberry.field(description="The nonce this client put in its authentication request.")


@strawberry.type
class NationalIdentityMutation:
    @strawberry.mutation(
        description="Sign in with the national identity. Creates the account on first use, or links the one "
        "with the same phone number; either way its national ID becomes verified, so its dossiers show."
    )
    async def login_with_national_identity(
        self, info: Info, input: NationalIdentityLoginInput
    ) -> AuthPayload:
        ctx = info.context
        try:
            result = await national.login_with_national_identity(
                ctx.session,
                ctx.hub.identity,
                ctx.hub.settings,
                ctx.hub.extras,
                input.id_token,
                input.nonce,
                # A new account speaks the language the sign-in page was shown in.
                "EN" if ctx.language == "en" else "VI",
            )
            return AuthPayload.ok(result)
        except UserInputError as error:
            await ctx.session.rollback()
            return AuthPayload(errors=user_errors(error, ctx.language))
