"""The SDK for pipeline code that is itself async: same records, same events, same outbox.

```python
from producer_sdk import aio, schema as lns

async with aio.AsyncClient() as lineage:
    await lineage.add(lns.Pipeline(name="align", v="2"))
    run = await lineage.run(pipeline_name="align")
    reads = await lineage.select(lns.DObject, name="input").one()
    await lineage.load(reads, run)
    await lineage.add(await lineage.dobject("output.bam", source=run))
```

It runs on the caller's event loop (no thread), imports only what it uses (nats-py,
httpx), and shares the event building, query building, outbox and publisher with the
sync SDK. Runs started through a client are finished when it closes: `failed` if the
`async with` block ended with an exception, else `completed`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, Self, TypeVar

from lineage_core.events import encode
from lineage_core.subjects import subject_for
from producer_sdk import operations as ops
from producer_sdk import query as q
from producer_sdk.client import pick_pipeline, record_from_api
from producer_sdk.dobject import DObject
from producer_sdk.errors import (
    LineageError,
    MultipleResultsFound,
    NoResultFound,
    ServiceUnreachable,
    UnknownPipeline,
    error_text,
)
from producer_sdk.event_factory import producer
from producer_sdk.files import file_facts
from producer_sdk.graphql import AsyncGraphQLClient
from producer_sdk.outbox import Outbox
from producer_sdk.publisher import Publisher
from producer_sdk.schema import Pipeline, Run, Transform, transform_from_api
from producer_sdk.session import describe

if TYPE_CHECKING:
    from lineage_core.settings import Settings

R = TypeVar("R")
__all__ = ["AsyncClient", "AsyncQuery", "LineageError", "ServiceUnreachable", "UnknownPipeline"]


class AsyncClient:
    """Publishing and querying on the caller's event loop."""

    def __init__(self, settings: Settings | None = None) -> None:
        if settings is None:
            from lineage_core.settings import Settings

            settings = Settings()
        self.api_url = settings.resolved_api_url()
        self.outbox_dir = settings.home / "outbox"
        self.ledger = ops.Ledger()
        self._graphql = AsyncGraphQLClient(self.api_url, settings.api_token)
        self._publisher = Publisher(
            settings.nats_servers(), Outbox(self.outbox_dir), client_name=producer()
        )

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
        return self._publisher.highest_sequence

    async def _publish(self, events: list[Any]) -> None:
        for event in events:
            await self._publisher.publish(
                subject_for(event.event_type), str(event.event_id), encode(event)
            )

    async def add(self, record: R, run: Run | None = None) -> R:
        """Like `ln.add`; a DObject becomes an output of its source run, else of `run`."""
        await self._publish(ops.plan_add(record, run, self.ledger))
        return record

    async def run(
        self,
        pipeline_name: str | None = None,
        *,
        pipeline: Pipeline | None = None,
        version: str | None = None,
        name: str | None = None,
    ) -> Run:
        """Start a run (`RunStarted`) of a pipeline record or of a registered pipeline name."""
        if pipeline is None:
            if pipeline_name is None:
                raise TypeError("AsyncClient.run needs pipeline_name= or pipeline=")
            pipeline = await self.find_pipeline(pipeline_name, version)
            if pipeline is None:
                raise UnknownPipeline(pipeline_name, version, self.api_url)
            self.ledger.transforms.setdefault(pipeline.id, pipeline)
        run = Run(pipeline=pipeline, name=name)
        await self._publish(ops.plan_start(run, self.ledger))
        return run

    async def finish(
        self,
        run: Run,
        status: Literal["completed", "failed"] = "completed",
        error: str | None = None,
    ) -> None:
        """Publish `RunFinished` for a run this client started (once)."""
        await self._publish(ops.plan_finish(run, status, error, self.ledger))

    async def dobject(self, path: str | Path, source: Run | None = None) -> DObject:
        """Like `ln.DObject(path, source=...)`: an existing DObject of the same content, with
        a warning, else a new one. The file is hashed in a worker thread."""
        facts = await asyncio.to_thread(file_facts, path)
        existing = self.ledger.dobjects_by_hash.get(facts.hash)
        if existing is None:
            try:
                data = await self.execute(
                    q.DOBJECT_BY_HASH, {"hash": facts.hash}, read_your_writes=False
                )
                nodes = data["dobjects"]["nodes"]
                existing = DObject._from_api(nodes[0]) if nodes else None
            except ServiceUnreachable:
                existing = None
        if existing is not None:
            from producer_sdk.dobject import log

            log.warning(
                "returning existing DObject %s%s (id %s) with the same content hash as %s",
                existing.name,
                existing.suffix,
                existing.id,
                facts.path,
            )
            existing.path = existing.path or facts.path
            return existing
        return DObject._from_facts(facts, source)

    async def load(self, dobject: DObject, run: Run) -> Path | None:
        """Record `dobject` as an input of `run` (`InputLoaded`); its local path."""
        await self._publish(ops.plan_input(dobject, run, self.ledger))
        return dobject.path

    def select(self, model: Any, **fields: Any) -> AsyncQuery[Any]:
        """Like `ln.select`; await `.one()`, `.first()` or `.all()`."""
        kind = q.kind_of(model)
        q.field_filter(kind, fields)
        return AsyncQuery(self, [(kind, fields)])

    async def execute(
        self, document: str, variables: dict[str, Any], read_your_writes: bool = True
    ) -> dict[str, Any]:
        """Like the sync client's: by default answered once our events are applied."""
        minimum = self.min_sequence if read_your_writes else 0
        return await self._graphql.execute(document, variables, minimum)

    async def find_pipeline(self, name: str, version: str | None = None) -> Pipeline | None:
        """The pipeline of that name (that version, else the latest), or None."""
        candidates: list[Transform] = [
            t for t in self.ledger.transforms.values() if isinstance(t, Pipeline) and t.name == name
        ]
        data = await self.execute(q.PIPELINES_BY_NAME, {"name": name}, read_your_writes=False)
        candidates += [transform_from_api(row) for row in data["pipelines"]["nodes"]]
        return pick_pipeline(candidates, version)

    async def related(self, record: DObject | Run, relation: str) -> list[Any]:
        """`source`/`targets` of a DObject, `inputs`/`outputs` of a Run, read now."""
        owner = "dobject" if isinstance(record, DObject) else "run"
        document, kind = q.RELATION_DOCUMENTS[(owner, relation)]
        data = await self.execute(document, {"id": str(record.id)})
        return [record_from_api(kind, row) for row in q.relation_rows(data, owner, relation)]

    async def flush(self) -> int:
        """Send the outbox now if NATS is back; how many events still wait."""
        return await self._publisher.flush()

    async def close(self, exc: BaseException | None = None) -> int:
        """Finish this client's open runs, flush, disconnect; events left in the outbox."""
        for run in reversed(list(self.ledger.active_runs.values())):
            if exc is None:
                await self.finish(run)
            else:
                await self.finish(run, "failed", error_text(exc))
        await self._graphql.close()
        return await self._publisher.close()


class AsyncQuery(Generic[R]):
    """A select/join chain for `AsyncClient`: the same semantics as `ln.select`."""

    def __init__(self, client: AsyncClient, chain: list[tuple[str, dict[str, Any]]]) -> None:
        self._client, self._chain = client, chain

    def join(self, model: Any, **fields: Any) -> AsyncQuery[R]:
        """Keep rows related to a `model` record matching `fields` (as `Query.join`)."""
        kind = q.kind_of(model)
        q.field_filter(kind, fields)
        return AsyncQuery(self._client, [*self._chain, (kind, fields)])

    async def _page(
        self, first: int, after: str | None = None
    ) -> tuple[list[Any], int, str | None]:
        select = q.build_select(self._chain, first, after)
        data = await self._client.execute(select.document, select.variables)
        rows, total, cursor = q.page_rows(data, select)
        return [record_from_api(select.kind, row) for row in rows], total, cursor

    async def one(self) -> R:
        """The only matching record; NoResultFound or MultipleResultsFound otherwise."""
        rows, total, _ = await self._page(2)
        if not rows:
            raise NoResultFound(f"{describe(self._chain)}.one() found no row")
        if len(rows) > 1:
            raise MultipleResultsFound(
                f"{describe(self._chain)}.one() found {max(total, len(rows))} rows"
            )
        return rows[0]  # type: ignore[no-any-return]

    async def first(self) -> R | None:
        """The first matching record, or None."""
        rows, _, _ = await self._page(1)
        return rows[0] if rows else None

    async def all(self) -> list[R]:
        """Every matching record."""
        out: list[R] = []
        cursor: str | None = None
        while True:
            rows, _, cursor = await self._page(q.MAX_PAGE, cursor)
            out += rows
            if cursor is None:
                return out
