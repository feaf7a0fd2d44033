"""What the API relies on in graphql-core beyond its documented behaviour, in one place.

Pinned to the minor version in pyproject.toml; tests/unit/test_framework_compat.py
fails naming the symbol when an upgrade changes it.
"""

from __future__ import annotations

from typing import Any, Final

from graphql import DocumentNode, GraphQLSyntaxError

# The parser's message when a document passes `max_tokens` (graphql.language.parser);
# graphql-core raises a plain syntax error, so the message is how the limit is told apart.
TOKEN_LIMIT_MESSAGE: Final = "Document contains more than"  # noqa: S105 - not a secret


def is_token_limit(error: GraphQLSyntaxError) -> bool:
    """Whether the parser refused the document for its size, not its syntax."""
    return TOKEN_LIMIT_MESSAGE in error.message


def forget_subfields(executor: Any) -> None:
    """Give a subscription event's executor a memo of collected subfields of its own.

    graphql-core 3.3's per-event executor (`Executor.build_per_event_executor`) is a
    shallow copy that shares the subscription's `_relevant_sub_fields`, a memo keyed by
    the identity of field lists made anew for every event: it gains an entry per event
    for as long as the subscription lives (measured: 100k FieldDetails objects after
    ~30k events), a leak that also lengthens every full pass of the garbage collector.
    """
    executor._relevant_sub_fields = {}


def memo_size(executor: Any) -> int:
    """How many entries the executor's memo of collected subfields holds."""
    return len(executor._relevant_sub_fields)


def unlink_tokens(document: DocumentNode) -> None:
    """Break the parser's doubly linked list of tokens (`Token.next`), which nothing
    reads after parsing: with it every parsed document is a reference cycle of one
    object per token that only the garbage collector can free (a refused 3,000-field
    document left 3,000 objects for its next pass); without it a document is freed as
    soon as nothing holds it. Error locations stay: they come from `Location.start`."""
    token = document.loc.start_token if document.loc is not None else None
    while token is not None:
        token.next, token = None, token.next
