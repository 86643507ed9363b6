"""Relay conventions: global IDs, the Node interface, node(id) dispatch and cursor pagination."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from server.errors import BadRequest, ErrorCode, UserInputError

DEFAULT_PAGE = 20
MAX_PAGE = 100


def to_global_id(type_name: str, pk: int | str) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def parse_global_id(global_id: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(global_id.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, pk = decoded.partition(":")
    if not sep or not type_name or not pk:
        return None
    return type_name, pk


def decode_id(global_id: str | None, type_name: str, field: tuple[str, ...]) -> int:
    """The primary key in a global ID of `type_name`; a UserError (INVALID) naming `field` otherwise."""
    parsed = parse_global_id(global_id or "")
    if parsed is None or parsed[0] != type_name or not parsed[1].isdigit():
        raise UserInputError.one(ErrorCode.INVALID, "id.invalid", field)
    return int(parsed[1])


def decode_id_arg(global_id: str, type_name: str, argument: str) -> int:
    """The same for a query argument: a GraphQL error with extensions.code BAD_REQUEST."""
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] != type_name or not parsed[1].isdigit():
        raise BadRequest(f"Argument {argument!r} is not a valid {type_name} ID.")
    return int(parsed[1])


@strawberry.interface(description="An object with a globally unique ID, fetchable through Query.node.")
class Node:
    id: strawberry.ID = strawberry.field(description="Globally unique ID of the object.")


NodeResolver = Callable[[Any, int], Awaitable[Any]]
NODE_RESOLVERS: dict[str, NodeResolver] = {}


def node_resolver(type_name: str) -> Callable[[NodeResolver], NodeResolver]:
    """Register how node(id) fetches a type; the resolver checks permission like any other read."""

    def register(fn: NodeResolver) -> NodeResolver:
        NODE_RESOLVERS[type_name] = fn
        return fn

    return register


@strawberry.type(description="Where a page of a connection lies.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page.")
    has_previous_page: bool = strawberry.field(description="Whether items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item of the page.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item; pass it as `after`.")


def page_size(first: int | None, default: int = DEFAULT_PAGE) -> int:
    if first is None:
        return default
    if first < 0:
        raise BadRequest("Argument 'first' must not be negative.")
    if first > MAX_PAGE:
        raise BadRequest(f"Argument 'first' must be at most {MAX_PAGE}; ask for the next page with 'after'.")
    return first


def encode_offset_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def decode_offset_cursor(cursor: str | None) -> int:
    """Position after which the page starts; -1 without a cursor."""
    if cursor is None:
        return -1
    try:
        kind, _, value = base64.b64decode(cursor.encode(), validate=True).decode().partition(":")
        if kind != "offset" or not value.isdigit():
            raise ValueError(cursor)
        return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("Argument 'after' is not a cursor this list gave out.") from None


def offset_page_info(start: int, edges: list[Any], total: int) -> PageInfo:
    """PageInfo of an offset page: `edges` (each with a `cursor`) begin at position `start` of `total`."""
    return PageInfo(
        has_next_page=start + len(edges) < total,
        has_previous_page=start > 0,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
