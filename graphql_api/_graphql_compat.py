"""What the API relies on in graphql-core beyond its documented behaviour, in one place.

Pinned to the minor version in pyproject.toml; tests/unit/test_framework_compat.py
fails naming the symbol when an upgrade changes it.
"""

from __future__ import annotations

from typing import Final

from graphql import GraphQLSyntaxError

# The parser's message when a document passes `max_tokens` (graphql.language.parser);
# graphql-core raises a plain syntax error, so the message is how the limit is told apart.
TOKEN_LIMIT_MESSAGE: Final = "Document contains more than"  # noqa: S105 - not a secret


def is_token_limit(error: GraphQLSyntaxError) -> bool:
    """Whether the parser refused the document for its size, not its syntax."""
    return TOKEN_LIMIT_MESSAGE in error.message
