"""UserError and ErrorCode as GraphQL types, and the mapping from service errors to them."""

from __future__ import annotations

import strawberry

from server.errors import ErrorCode as ServiceErrorCode
from server.errors import UserInputError
from server.i18n import Lang, translate

ErrorCode = strawberry.enum(
    ServiceErrorCode, name="ErrorCode", description="Why a mutation could not be done."
)


@strawberry.type(description="A problem with the input that the user can fix. The mutation changed nothing.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path of the input field at fault, e.g. ["input", "location", "latitude"].'
    )
    message: str = strawberry.field(description="What is wrong, in the request's language.")
    code: ErrorCode = strawberry.field(description="A stable code for programs.")


def user_errors(error: UserInputError, lang: Lang) -> list[UserError]:
    return [
        UserError(
            field=list(e.field) if e.field is not None else None,
            message=translate(e.message, lang, e.params),
            code=e.code,
        )
        for e in error.errors
    ]
