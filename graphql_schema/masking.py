"""Unexpected errors are logged with an id and masked; deliberate ones keep their message and code."""

from __future__ import annotations

import logging
import uuid

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

log = logging.getLogger("citizen_hub.graphql")


def is_deliberate(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        return True  # syntax and validation errors: about the query the client sent
    if isinstance(original, GraphQLError):
        return is_deliberate(original)
    return isinstance(getattr(original, "extensions", None), dict) and "code" in original.extensions


def mask(error: GraphQLError) -> GraphQLError:
    error_id = uuid.uuid4().hex[:16]
    log.error(
        "unexpected error %s in %s",
        error_id,
        ".".join(str(p) for p in error.path or []),
        exc_info=error.original_error,
        extra={"error_id": error_id},
    )
    return GraphQLError(
        "Internal server error. Quote this error id when you report it: " + error_id,
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
    )


class MaskUnexpectedErrors(SchemaExtension):
    def on_operation(self):  # type: ignore[override]
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [e if is_deliberate(e) else mask(e) for e in result.errors]
