"""Password rules and argon2id hashing."""

from __future__ import annotations

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
# argon2 hashes whatever it is given; a cap keeps a megabyte "password" from costing CPU.
MAX_LENGTH = 256

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile defaults


@cache
def _dummy_hash() -> str:
    """Verified against when the phone is unknown, so a miss costs as long as a hit."""
    return _hasher.hash("not a real password, only for timing")


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("server.identity").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def password_problem(password: str, phone: str | None = None) -> tuple[str, dict[str, object]] | None:
    """The message key (and its parameters) of the first rule the password breaks, or None."""
    if len(password) < MIN_LENGTH:
        return "password.too_short", {"min": MIN_LENGTH}
    if len(password) > MAX_LENGTH:
        return "password.too_long", {"max": MAX_LENGTH}
    if password.isdigit():
        return "password.all_digits", {}
    if password.lower() in common_passwords():
        return "password.common", {}
    if phone and phone[1:] in password:
        return "password.contains_phone", {}
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
