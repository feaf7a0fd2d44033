"""Error codes of the API (docs/reference/graphql.md) and how every GraphQL error gets one.

Resolvers raise `LineageError(code, message)`, the read model its own errors
(lineage_read.errors), each kind with its code here; anything else that escapes a
resolver is an internal fault: logged with the request id and answered as `INTERNAL`
without detail.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from graphql import GraphQLError

from lineage_read.errors import BadInput, NotFound, ReadError, TooComplex

BAD_USER_INPUT: Final = "BAD_USER_INPUT"
NOT_FOUND: Final = "NOT_FOUND"
PROJECTION_LAG: Final = "PROJECTION_LAG"
QUERY_TOO_COMPLEX: Final = "QUERY_TOO_COMPLEX"
UNAUTHENTICATED: Final = "UNAUTHENTICATED"
FORBIDDEN: Final = "FORBIDDEN"
RATE_LIMITED: Final = "RATE_LIMITED"
INTERNAL: Final = "INTERNAL"

log = logging.getLogger("graphql_api")


class LineageError(Exception):
    """An error a client caused or must know about, with its `extensions.code`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def bad_input(message: str) -> LineageError:
    return LineageError(BAD_USER_INPUT, message)


# The code of each kind of refusal of the read model.
READ_ERROR_CODES: Final[dict[type[ReadError], str]] = {
    BadInput: BAD_USER_INPUT,
    NotFound: NOT_FOUND,
    TooComplex: QUERY_TOO_COMPLEX,
}


def coded(error: BaseException | None) -> LineageError | None:
    """The error as one with a code, if it is ours (the API's or the read model's)."""
    if isinstance(error, LineageError):
        return error
    if isinstance(error, ReadError):
        for kind in type(error).__mro__:
            code = READ_ERROR_CODES.get(kind)
            if code is not None:
                return LineageError(code, error.message)
    return None


def error_body(code: str, message: str) -> dict[str, Any]:
    """A GraphQL answer that carries only one error (for refusals before execution)."""
    return {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """The JSON of one error, with its code; internal faults are logged and masked."""
    original = error.original_error
    # graphql-core wraps errors raised inside resolvers; unwrap to find ours.
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    out: dict[str, Any] = {"message": error.message}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path is not None:
        out["path"] = list(error.path)
    extensions = dict(error.extensions or {})
    ours = coded(original)
    if ours is not None:
        out["message"] = ours.message
        extensions["code"] = ours.code
    elif original is None or isinstance(original, GraphQLError):
        # parse, validation and variable coercion errors: the request itself is wrong
        extensions.setdefault("code", BAD_USER_INPUT)
    else:
        log.error(
            "internal error in request %s at %s",
            request_id,
            error.path,
            exc_info=(type(original), original, original.__traceback__),
        )
        out["message"] = f"internal error (request id {request_id})"
        extensions = {"code": INTERNAL}
    extensions["requestId"] = request_id
    out["extensions"] = extensions
    return out
