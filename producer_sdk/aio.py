"""The async face of the client core, for pipeline code that is itself async.

```python
from producer_sdk import aio, schema as lns

async with aio.AsyncClient() as lineage:
    await lineage.add(lns.Pipeline(name="align", v="2"))
    run = await lineage.run(pipeline_name="align")
    reads = await lineage.select(lns.DObject, name="input").one()
    await lineage.load(reads, run)
    await lineage.add(await lineage.dobject("output.bam", source=run))
    inputs = await lineage.related(run, "inputs")
```

It runs the same core as the sync SDK (`producer_sdk.core.ClientCore`) on the caller's
event loop: no thread, the same events, outbox, ledger and read-your-writes watermark.
Every record the client returns or publishes is bound to it, so reading a relation
that would block (`run.inputs`, `dobject.targets`, `run.finish()`) raises an error that
names the awaitable to use instead, never a hidden second, blocking client. Runs started
through a client are finished when it closes: `failed` if the `async with` block ended
with an exception, else `completed`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, NoReturn, Self, TypeVar

from producer_sdk import query as q
from producer_sdk.core import ClientCore
from producer_sdk.errors import (
    LineageError,
    MultipleResultsFound,
    NoResultFound,
    ServiceUnreachable,
    UnknownPipeline,
)
from producer_sdk.host import FinalStatus, Relation, WatchOptions
from producer_sdk.records import DObject, Pipeline, Run, Transform
from producer_sdk.rows import change_from_api
from producer_sdk.watching import AsyncWatch

if TYPE_CHECKING:
    from lineage_core.settings import Settings
    from producer_sdk.dataset_fields import FieldSpec, InputSpec
    from producer_sdk.records import LineageChange

R = TypeVar("R")
__all__ = [
    "AsyncClient",
    "AsyncQuery",
    "BlockingCallInAsyncCode",
    "LineageError",
    "ServiceUnreachable",
    "UnknownPipeline",
]


class BlockingCallInAsyncCode(LineageError):
    """A record of an `AsyncClient` was asked something only a blocking call could answer."""


class AsyncClient:
    """Publishing and querying on the caller's event loop."""

    def __init__(self, settings: Settings | None = None) -> None:
        if settings is None:
            from lineage_core.settings import Settings

            settings = Settings()
        self.core = ClientCore(settings, host=_RecordHost(self))
        self.api_url = self.core.api_url
        self.outbox_dir = self.core.outbox_dir
        self.ledger = self.core.ledger

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close(exc)

    @property
    def min_sequence(self) -> int:
        """The highest JetStream sequence acked to this client (read-your-writes)."""
        return self.core.min_sequence

    async def add(self, record: R, run: Run | None = None) -> R:
        """Like `ln.add`; a DObject becomes an output of its source run, else of `run`."""
        await self.core.add(record, run)
        return record

    async def run(
        self,
        pipeline_name: str | None = None,
        *,
        pipeline: Pipeline | None = None,
        version: str | None = None,
        name: str | None = None,
        parent: Run | None = None,
    ) -> Run:
        """Start a run (`RunStarted`) of a pipeline record or of a registered pipeline name;
        `parent=` is the run that started it."""
        if pipeline is None:
            if pipeline_name is None:
                raise TypeError("AsyncClient.run needs pipeline_name= or pipeline=")
            pipeline = await self.core.find_pipeline(pipeline_name, version)
            if pipeline is None:
                raise UnknownPipeline(pipeline_name, version, self.api_url)
        run = Run(pipeline=pipeline, name=name, parent=parent)
        await self.core.start_run(run)
        return run

    async def finish(
        self, run: Run, status: FinalStatus = "completed", error: str | None = None
    ) -> None:
        """Publish `RunFinished` for a run this client started (once)."""
        await self.core.finish_run(run, status, error)

    async def dobject(
        self,
        path: str | Path,
        source: Run | None = None,
        *,
        key: str | None = None,
        version: str | None = None,
        fields: Iterable[FieldSpec] | None = None,
        column_lineage: Mapping[str, Iterable[InputSpec]] | None = None,
    ) -> DObject:
        """Like `ln.DObject(path, source=..., key=..., version=..., fields=...,
        column_lineage=...)`: without a key an existing DObject of the same content, with
        a warning, else a new one. The file is hashed in a worker thread."""
        return await self.core.dobject(
            path, source, fields=fields, column_lineage=column_lineage, key=key, version=version
        )

    async def load(self, dobject: DObject, run: Run) -> Path | None:
        """Record `dobject` as an input of `run` (`InputLoaded`); its local path."""
        await self.core.load_input(dobject, run)
        return dobject.path

    def select(self, model: Any, **fields: Any) -> AsyncQuery[Any]:
        """Like `ln.select`; await `.one()`, `.first()` or `.all()`."""
        kind = q.kind_of(model)
        q.field_filter(kind, fields)
        return AsyncQuery(self, [(kind, fields)])

    async def execute(
        self, document: str, variables: dict[str, Any], read_your_writes: bool = True
    ) -> dict[str, Any]:
        """A GraphQL document; by default answered once this client's events are applied."""
        return await self.core.execute(document, variables, read_your_writes)

    async def find_pipeline(self, name: str, version: str | None = None) -> Pipeline | None:
        """The pipeline of that name (that version, else the latest), or None."""
        return await self.core.find_pipeline(name, version)

    async def related(self, record: DObject | Run, relation: Relation) -> list[Any]:
        """`source`/`targets` of a DObject, `inputs`/`outputs` of a Run, read now."""
        return await self.core.related(record, relation)

    def watch(
        self,
        record: DObject | Run,
        kinds: Iterable[str] | None = None,
        *,
        direction: str = "UPSTREAM",
        depth: int = 10,
        timeout: float | None = None,
    ) -> AsyncWatch[LineageChange]:
        """Like `dobject.watch(...)`: `async with lineage.watch(dobject, kinds=[...]) as
        changes: async for change in changes: ...` (subscribed when the block starts)."""
        options = WatchOptions(
            tuple(kinds) if kinds is not None else None, direction, depth, timeout
        )
        subscription = self.core.subscription(record, options)

        async def caught_up() -> None:  # read-your-writes, as the sync face's watch
            if self.core.min_sequence:
                await self.core.execute(q.CAUGHT_UP, {})

        return AsyncWatch(subscription, change_from_api, timeout, before=caught_up)

    async def flush(self) -> int:
        """Send the outbox now if NATS is back; how many events still wait."""
        return await self.core.flush()

    async def close(self, exc: BaseException | None = None) -> int:
        """Finish this client's open runs, flush, disconnect; events left in the outbox."""
        await self.core.finish_active(exc)
        return await self.core.close()


class _RecordHost:
    """What records bound to an AsyncClient ask (`host.RecordHost`). Answering would
    block the client's event loop, so each says what to await instead."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    @property
    def api_url(self) -> str:
        return self._client.api_url

    def existing_dobject(self, content_hash: str) -> DObject | None:
        """`ln.DObject(path, source=run)` of a run of this client: this client's DObjects
        only (`await lineage.dobject(path)` also asks the service)."""
        return self._client.ledger.dobjects_by_hash.get(content_hash)

    def related(self, record: Run | DObject, relation: Relation) -> NoReturn:
        kind = "run" if isinstance(record, Run) else "dobject"
        _refuse(f"{kind}.{relation}", f"await lineage.related({kind}, {relation!r})")

    def transform_runs(self, transform: Transform) -> NoReturn:
        label = type(transform).__name__
        _refuse(
            f"{label.lower()}.runs",
            f"await lineage.select(lns.Run).join(lns.{label}, name={transform.name!r}, "
            f"v={transform.version!r}).all()",
        )

    def load_input(self, dobject: DObject, run: Run | None) -> NoReturn:
        which = "run" if run is not None else "the run it is an input of"
        _refuse(
            f"{dobject.name}{dobject.suffix}.load(is_run_input=True)",
            f"await lineage.load(dobject, {which})",
        )

    def finish_run(self, run: Run, status: FinalStatus, error: str | None) -> NoReturn:
        detail = ", error=..." if error is not None else ""
        _refuse(f"run {run.id}.finish()", f"await lineage.finish(run, {status!r}{detail})")

    def enter_run(self, run: Run) -> NoReturn:
        _refuse(
            f"with run {run.id}:",
            "await lineage.run(...) (the client finishes it when it closes)",
        )

    def watch(self, record: Run | DObject, options: WatchOptions) -> NoReturn:
        kind = "run" if isinstance(record, Run) else "dobject"
        kinds = f"kinds={list(options.kinds)!r}" if options.kinds else "..."
        _refuse(f"{kind}.watch()", f"async with lineage.watch({kind}, {kinds}) as changes")

    def exit_run(self, run: Run, exc: BaseException | None) -> NoReturn:
        status = "failed" if exc is not None else "completed"
        _refuse(f"with run {run.id}:", f"await lineage.finish(run, {status!r})")


def _refuse(what: str, instead: str) -> NoReturn:
    raise BlockingCallInAsyncCode(
        f"{what} would block the event loop of this record's AsyncClient; use `{instead}`"
    )


class AsyncQuery(Generic[R]):
    """A select/join chain for `AsyncClient`: the same semantics as `ln.select`."""

    def __init__(self, client: AsyncClient, chain: list[tuple[str, dict[str, Any]]]) -> None:
        self._client, self._chain = client, chain

    def join(self, model: Any, **fields: Any) -> AsyncQuery[R]:
        """Keep rows related to a `model` record matching `fields` (as `Query.join`)."""
        kind = q.kind_of(model)
        q.field_filter(kind, fields)
        return AsyncQuery(self._client, [*self._chain, (kind, fields)])

    async def one(self) -> R:
        """The only matching record; NoResultFound or MultipleResultsFound otherwise."""
        rows, total, _ = await self._client.core.select_page(self._chain, 2)
        if not rows:
            raise NoResultFound(f"{q.describe(self._chain)}.one() found no row")
        if len(rows) > 1:
            raise MultipleResultsFound(
                f"{q.describe(self._chain)}.one() found {max(total, len(rows))} rows"
            )
        return rows[0]  # type: ignore[no-any-return]

    async def first(self) -> R | None:
        """The first matching record, or None."""
        rows, _, _ = await self._client.core.select_page(self._chain, 1)
        return rows[0] if rows else None

    async def all(self) -> list[R]:
        """Every matching record."""
        return await self._client.core.select_all(self._chain)
