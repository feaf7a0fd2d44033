"""Fields that need more than the `read` scope (docs/reference/tokens.md).

The HTTP edge checks `read` before a request reaches the schema, and leaves the scopes
of the caller's token in the ASGI scope under SCOPES_KEY (at the request, and for a
WebSocket once connection_init names the token). A field that needs `admin` checks
them here and answers FORBIDDEN without them; an ASGI scope that carries none (the
schema served without the edge) allows nothing beyond `read`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from graphql import GraphQLError

from graphql_api.context import ApiInfo
from graphql_api.errors import FORBIDDEN
from lineage_core import tokens

# scope key: the scopes of the request's token (every scope on an open service)
SCOPES_KEY: Final = "lineage.scopes"


def require_scope(info: ApiInfo, needed: str) -> None:
    """Raise FORBIDDEN unless the caller's token holds `needed` (or `admin`)."""
    asgi = info.context.scope
    held: Iterable[str] = (asgi.get(SCOPES_KEY) if asgi is not None else None) or ()
    if not tokens.allows(held, needed):
        # coded on the error itself, so a query sent over the WebSocket carries it too
        message = f"this needs a token with the {needed!r} scope"
        raise GraphQLError(message, extensions={"code": FORBIDDEN})
