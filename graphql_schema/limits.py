"""Document limits (tokens, depth, aliases, directives), a parsed+validated document cache, a timeout.

The limits run before graphql-core's own validation, so an abusive document is refused with one error
carrying extensions.code (MAX_TOKENS_EXCEEDED, MAX_DEPTH_EXCEEDED, MAX_ALIASES_EXCEEDED,
MAX_DIRECTIVES_EXCEEDED) instead of being validated at full cost. Parsing and validating a document
costs about a millisecond, so the result (document and errors) is kept per query text in an LRU.

Strawberry's QueryDepthLimiter does not fit: it skips `__`-prefixed fields, so a deep circular
introspection query passes it. Its alias counting does fit and is reused.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Visitor,
    parse,
    visit,
)
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import count_fields_with_alias
from strawberry.types.graphql import OperationType

from server.config import Settings


@dataclass(frozen=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_tokens: int
    max_directives: int
    max_cost: int
    mutation_cost: int
    timeout_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_depth=settings.graphql_max_depth,
            max_aliases=settings.graphql_max_aliases,
            max_tokens=settings.graphql_max_tokens,
            max_directives=settings.graphql_max_directives,
            max_cost=settings.graphql_max_cost,
            mutation_cost=settings.graphql_mutation_cost,
            timeout_seconds=settings.graphql_timeout_seconds,
        )


def limit_error(message: str, code: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


def _depth(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode], seen: frozenset[str]
) -> int:
    """Depth of a selection set: fields nest, fragments do not add a level. Counts introspection too,
    except `ofType`: the chain of a type's wrappers (list, non-null) is bounded by the schema, and the
    standard introspection query (GraphiQL's, every client generator's) walks it 7 levels deep."""
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            level = 0 if selection.name.value == "ofType" else 1
            deepest = max(deepest, level + _depth(selection.selection_set, fragments, seen))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:  # cycles are validation's to report
                deepest = max(deepest, _depth(fragment.selection_set, fragments, seen | {name}))
    return deepest


class _DirectiveCounter(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def enter_directive(self, _node: DirectiveNode, *_args: Any) -> None:
        self.count += 1


def check_document(document: DocumentNode, limits: Limits) -> list[GraphQLError]:
    """The limit errors of a parsed document; empty when it is within every limit."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    errors: list[GraphQLError] = []
    depth = max((_depth(op.selection_set, fragments, frozenset()) for op in operations), default=0)
    if depth > limits.max_depth:
        errors.append(
            limit_error(
                f"The query is {depth} levels deep; at most {limits.max_depth} are allowed.",
                "MAX_DEPTH_EXCEEDED",
                depth=depth,
                maxDepth=limits.max_depth,
            )
        )
    aliases = sum(count_fields_with_alias(op, fragments) for op in operations)
    if aliases > limits.max_aliases:
        errors.append(
            limit_error(
                f"The query uses {aliases} aliases; at most {limits.max_aliases} are allowed.",
                "MAX_ALIASES_EXCEEDED",
                aliases=aliases,
                maxAliases=limits.max_aliases,
            )
        )
    counter = _DirectiveCounter()
    visit(document, counter)
    if counter.count > limits.max_directives:
        errors.append(
            limit_error(
                f"The query uses {counter.count} directives; at most {limits.max_directives} are allowed.",
                "MAX_DIRECTIVES_EXCEEDED",
                directives=counter.count,
                maxDirectives=limits.max_directives,
            )
        )
    return errors


@dataclass
class CachedDocument:
    document: DocumentNode
    errors: list[GraphQLError] | None = None  # None until validated


@dataclass
class DocumentCache:
    """Parsed (and once validated, the validation errors) documents by query text; least recently used go."""

    size: int
    _entries: OrderedDict[str, CachedDocument] = field(default_factory=OrderedDict)

    def get(self, query: str) -> CachedDocument | None:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
        return entry

    def put(self, query: str, entry: CachedDocument) -> None:
        if self.size <= 0:
            return
        self._entries[query] = entry
        self._entries.move_to_end(query)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


def _guard(execution_context: Any) -> Any:
    from graphql_schema.guard import guard_of

    return guard_of(execution_context.context)


class DocumentLimits(SchemaExtension):
    """Parse with the token limit, check depth/aliases/directives, then validate; all cached per text."""

    _entry: CachedDocument | None = None
    _fresh = False

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        guard = _guard(ctx)
        if guard is not None and ctx.query is not None and ctx.graphql_document is None:
            self._entry = guard.documents.get(ctx.query)
            if self._entry is None:
                try:
                    document = parse(ctx.query, max_tokens=guard.limits.max_tokens)
                except GraphQLSyntaxError as error:
                    if "tokens" in error.message and "Parsing aborted" in error.message:
                        raise limit_error(
                            f"The query has more than {guard.limits.max_tokens} tokens.",
                            "MAX_TOKENS_EXCEEDED",
                            maxTokens=guard.limits.max_tokens,
                        ) from None
                    yield  # strawberry parses again and reports the syntax error as usual
                    return
                self._entry, self._fresh = CachedDocument(document), True
            ctx.graphql_document = self._entry.document
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        guard = _guard(ctx)
        entry = self._entry
        if guard is None or entry is None:
            yield
            return
        if entry.errors is None:
            limit_errors = check_document(entry.document, guard.limits)
            if limit_errors:
                entry.errors = limit_errors  # graphql-core's validation is not run on such a document
        if entry.errors is not None:
            ctx.pre_execution_errors = list(entry.errors)
        yield
        if entry.errors is None:
            entry.errors = list(ctx.pre_execution_errors or [])
        if self._fresh:
            guard.documents.put(ctx.query, entry)


class ExecutionTimeout(SchemaExtension):
    """Stops a query or mutation that runs longer than the limit (subscriptions live on)."""

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        guard = _guard(ctx)
        if guard is None or ctx.operation_type is OperationType.SUBSCRIPTION:
            yield
            return
        seconds = guard.limits.timeout_seconds
        try:
            async with asyncio.timeout(seconds):
                yield
        except TimeoutError:
            raise limit_error(
                f"The operation took longer than {seconds:g} s and was stopped.",
                "TIMEOUT",
                timeoutSeconds=seconds,
            ) from None
