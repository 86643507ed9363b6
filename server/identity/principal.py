"""Who is acting: handed to every service, which decides permission from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Role(Enum):
    CITIZEN = "CITIZEN"
    CADRE = "CADRE"
    ADMIN = "ADMIN"


@dataclass(frozen=True)
class Principal:
    """An anonymous visitor, a signed-in account, or a third-party app (acting alone or for an account)."""

    account_id: int | None = None
    role: Role | None = None
    agency_id: int | None = None
    app_id: int | None = None
    # None means "not limited by scopes" (the hub's own clients); an app token carries its scopes.
    scopes: frozenset[str] | None = None
    client_ip: str | None = field(default=None, compare=False)

    @property
    def is_anonymous(self) -> bool:
        return self.account_id is None and self.app_id is None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def is_cadre_of(self, agency_id: int | None) -> bool:
        return self.role is Role.CADRE and agency_id is not None and self.agency_id == agency_id

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes


ANONYMOUS = Principal()
