"""What every operation runs before execution: the document cache (parsed documents and
their validation errors by query text, bounded), the token limit of the parser, and the
one schema extension (complexity rule, caches, metrics)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, Final

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, GraphQLSyntaxError
from graphql.language.parser import parse
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from graphql_api import _graphql_compat, _strawberry_compat
from graphql_api.context import RequestContext
from graphql_api.errors import QUERY_TOO_COMPLEX
from graphql_api.ratelimit import charged_to_caller
from graphql_api.rules import ComplexityRule, complexity_errors, too_deep_to_parse

MAX_TOKENS: Final = 10_000


def parse_bounded(query: str) -> DocumentNode:
    """The document, refused past MAX_TOKENS: parsing and validating a 1 MiB document
    holds the event loop for seconds, so a big one is turned away while parsing it."""
    too_deep = too_deep_to_parse(query)
    if too_deep is not None:
        raise too_deep
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLSyntaxError as error:
        if not _graphql_compat.is_token_limit(error):
            raise
        raise GraphQLError(
            f"the document has more than {MAX_TOKENS} tokens",
            extensions={"code": QUERY_TOO_COMPLEX},
        ) from None
    _graphql_compat.unlink_tokens(document)
    return document


# The text the document cache may hold in all: a parsed document keeps ~1-2 objects per
# character (its tokens and nodes), and every full pass of the garbage collector walks
# them; the documents real clients repeat are a few KiB each.
CACHE_CHARS: Final = 256 * 1024


class DocumentCache:
    """Parsed documents and their validation errors by query text (LRU, bounded).

    Keyed by the text, whose hash Python keeps: a cache keyed by the parsed document
    would rehash its whole syntax tree on every lookup."""

    def __init__(self, maxsize: int = 1000, max_chars: int = CACHE_CHARS) -> None:
        self.maxsize = maxsize
        self.max_chars = max_chars
        self._chars = 0  # the text of the documents held
        self._entries: OrderedDict[str, list[Any]] = OrderedDict()

    def knows(self, query: str) -> bool:
        return query in self._entries

    def parse(self, query: str) -> DocumentNode:
        entry = self._entries.get(query)
        if entry is None:
            with charged_to_caller():
                document = parse_bounded(query)
            entry = self._entries[query] = [document, None, None]
            self._chars += len(query)
            while len(self._entries) > 1 and (
                len(self._entries) > self.maxsize or self._chars > self.max_chars
            ):
                oldest, _ = self._entries.popitem(last=False)
                self._chars -= len(oldest)
        else:
            self._entries.move_to_end(query)
        return entry[0]  # type: ignore[no-any-return]

    def validate(
        self,
        schema: GraphQLSchema,
        query: str,
        document: DocumentNode,
        rules: tuple[type[ASTValidationRule], ...],
    ) -> list[GraphQLError]:
        entry = self._entries.get(query)
        if entry is None or entry[0] is not document:  # evicted meanwhile
            return _validate(schema, document, rules)
        if entry[1] != rules:
            entry[1], entry[2] = (rules, _validate(schema, document, rules))
        return entry[2]  # type: ignore[no-any-return]


def _validate(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    """The complexity rule alone first: a depth or alias bomb is refused before the
    standard rules (OverlappingFieldsCanBeMerged is quadratic in the fields) spend up to
    a second of CPU on it."""
    with charged_to_caller():
        if ComplexityRule in rules:
            refused = complexity_errors(document)
            if refused:
                return refused
        return _strawberry_compat.validate_document(schema, document, rules)


documents = DocumentCache()


class RequestPipeline(SchemaExtension):
    """Every operation's one extension: the complexity rule, parser and validation
    caches (DocumentCache, keyed by query text), and counting and timing by operation name for
    GET /metrics. One extension instead of four: each costs hooks on every request."""

    def on_operation(self) -> Iterator[None]:
        ec: ExecutionContext = self.execution_context
        ec.validation_rules = (*ec.validation_rules, ComplexityRule)
        started = time.perf_counter()
        yield
        context = ec.context
        if isinstance(context, RequestContext):
            errors = ec.result.errors if ec.result is not None else None
            context.metrics.observe(
                ec.operation_name or "anonymous", time.perf_counter() - started, ok=not errors
            )

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        query = ec.query or ""  # strawberry parses only when there is a query
        ec.graphql_document = (
            documents.parse(query) if not ec.parse_options else parse(query, **ec.parse_options)
        )
        yield

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.graphql_document is not None:  # strawberry validates only a parsed document
            ec.pre_execution_errors = documents.validate(
                _strawberry_compat.graphql_schema(ec.schema),
                ec.query or "",
                ec.graphql_document,
                tuple(ec.validation_rules),
            )
        yield
