"""`ln.Session()` and `select(...).join(...).one()/.first()/.all()`."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Generic, Self, TypeVar, overload

from producer_sdk import _runtime
from producer_sdk import query as q
from producer_sdk.errors import MultipleResultsFound, NoResultFound

R = TypeVar("R")


class Query(Generic[R]):
    """A select/join chain; nothing is asked until `.one()`, `.first()` or `.all()`,
    and then in one GraphQL request (`.all()` pages by 1,000)."""

    def __init__(self, chain: list[tuple[str, dict[str, Any]]]) -> None:
        self._chain = chain

    def join(self, model: Any, **fields: Any) -> Query[R]:
        """Keep the rows related to a `model` record matching `fields` (see producer_sdk.query)."""
        kind = q.kind_of(model)
        q.field_filter(kind, fields)  # unknown fields fail here, where they were typed
        return Query([*self._chain, (kind, fields)])

    def one(self) -> R:
        """The only matching record; raises NoResultFound or MultipleResultsFound otherwise."""
        rows, total, _ = self._page(2)
        if not rows:
            raise NoResultFound(f"{self!r}.one() found no row")
        if len(rows) > 1:
            raise MultipleResultsFound(
                f"{self!r}.one() found {max(total, len(rows))} rows; add filters, or use "
                ".first() or .all()"
            )
        return rows[0]  # type: ignore[no-any-return]

    def first(self) -> R | None:
        """The first matching record, or None."""
        rows, _, _ = self._page(1)
        return rows[0] if rows else None

    def all(self) -> list[R]:
        """Every matching record."""
        out: list[R] = []
        cursor: str | None = None
        while True:
            rows, _, cursor = self._page(q.MAX_PAGE, cursor)
            out += rows
            if cursor is None:
                return out

    def _page(self, first: int, after: str | None = None) -> tuple[list[Any], int, str | None]:
        return _runtime.client().select_page(self._chain, first, after)

    def __repr__(self) -> str:
        return q.describe(self._chain)


@overload
def select(model: type[R], **fields: Any) -> Query[R]: ...
@overload
def select(model: Any, **fields: Any) -> Query[Any]: ...
def select(model: Any, **fields: Any) -> Query[Any]:
    """Start a chain selecting `model` records (`ln.DObject`, `lns.Run`, `lns.Notebook`,
    `lns.Pipeline`) whose fields equal `fields`."""
    kind = q.kind_of(model)
    q.field_filter(kind, fields)
    return Query([(kind, fields)])


class Session:
    """`with ln.Session() as ss: ss.select(...)`: kept for the lamindb-style seed program.

    Queries go straight to the GraphQL API; a session holds no transaction.
    """

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def select(self, model: Any, **fields: Any) -> Query[Any]:
        """Like `ln.select`."""
        return select(model, **fields)
