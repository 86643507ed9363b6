"""Errors the services raise. The GraphQL layer maps them; they carry no transport detail."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from enum import Enum


class ErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    TOO_LARGE = "TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    OUT_OF_AREA = "OUT_OF_AREA"


@dataclass(frozen=True)
class FieldError:
    """One problem the user can fix. `message` is a key of server.i18n.MESSAGES."""

    code: ErrorCode
    message: str
    field: tuple[str, ...] | None = None
    params: dict[str, object] = dc_field(default_factory=dict)


class UserInputError(Exception):
    """The request cannot be carried out as given; nothing was changed."""

    def __init__(self, *errors: FieldError) -> None:
        super().__init__(", ".join(f"{e.code.value}:{e.message}" for e in errors))
        self.errors = list(errors)

    @classmethod
    def one(
        cls, code: ErrorCode, message: str, field: tuple[str, ...] | None = None, **params: object
    ) -> UserInputError:
        return cls(FieldError(code, message, field, params))


class PublicError(Exception):
    """An error meant for the client, shown as a GraphQL error with `extensions.code`."""

    code = "BAD_REQUEST"
    default_message = "Bad request."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def extensions(self) -> dict[str, object]:
        return {"code": self.code}


class Forbidden(PublicError):
    """The principal may not read or do this."""

    code = "FORBIDDEN"
    default_message = "You do not have permission to do this."


class NotAuthenticated(PublicError):
    """Signing in is needed first."""

    code = "UNAUTHENTICATED"
    default_message = "Sign in first."


class BadRequest(PublicError):
    """A malformed argument outside a mutation's input, e.g. a bad cursor or too large a page."""

    code = "BAD_REQUEST"


class ErrorCollector:
    """Gathers every problem of one input so the user sees them all at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(
        self, code: ErrorCode, message: str, field: tuple[str, ...] | None = None, **params: object
    ) -> None:
        self.errors.append(FieldError(code, message, field, params))

    def raise_if_any(self) -> None:
        if self.errors:
            raise UserInputError(*self.errors)
