"""The sync client: one per process, owning a private event loop thread for NATS.

`publish` hands the events to the loop thread and blocks until JetStream acks them (or
they are safely in the outbox); queries go to the GraphQL API from the caller's thread
with read-your-writes for this process's events.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from lineage_core.events import encode
from lineage_core.subjects import subject_for
from producer_sdk import operations as ops
from producer_sdk import query as q
from producer_sdk.dobject import DObject
from producer_sdk.errors import ServiceUnreachable
from producer_sdk.graphql import GraphQLClient
from producer_sdk.outbox import Outbox
from producer_sdk.schema import Pipeline, Run, Transform, transform_from_api

if TYPE_CHECKING:
    from lineage_core.settings import Settings
    from producer_sdk.publisher import Publisher

log = logging.getLogger("producer_sdk")
T = TypeVar("T")


class _LoopThread:
    """A daemon thread running an asyncio loop; coroutines are submitted from any thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, name="lineage-sdk", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


class Client:
    """Publishing and querying for the sync SDK (`import producer_sdk as ln`)."""

    def __init__(self, settings: Settings) -> None:
        self.api_url = settings.resolved_api_url()
        self.nats_servers = settings.nats_servers()
        self.outbox_dir = settings.home / "outbox"
        self.graphql = GraphQLClient(self.api_url, settings.api_token)
        self.ledger = ops.Ledger()
        self._thread: _LoopThread | None = None
        self._publisher: Publisher | None = None
        self._lock = threading.Lock()
        self._warned_unreachable = False

    # -- publishing ---------------------------------------------------------------------

    def _loop(self) -> tuple[_LoopThread, Publisher]:
        with self._lock:
            if self._thread is None or self._publisher is None:
                from producer_sdk.event_factory import producer
                from producer_sdk.publisher import Publisher

                self._publisher = Publisher(
                    self.nats_servers, Outbox(self.outbox_dir), client_name=producer()
                )
                self._thread = _LoopThread()
            return self._thread, self._publisher

    def publish(self, events: Sequence[Any]) -> None:
        """Publish events in order; returns once each is acked by JetStream or in the outbox."""
        if not events:
            return
        thread, publisher = self._loop()
        batch = [(subject_for(e.event_type), str(e.event_id), encode(e)) for e in events]
        thread.run(_publish_all(publisher, batch))

    @property
    def min_sequence(self) -> int:
        """The highest JetStream sequence acked to this process (read-your-writes)."""
        return self._publisher.highest_sequence if self._publisher is not None else 0

    def flush(self) -> int:
        """Send the outbox now if NATS is back; how many events are still waiting."""
        if self._publisher is None or self._thread is None:
            return 0
        return self._thread.run(self._publisher.flush())

    def close(self) -> int:
        """Flush and disconnect; how many events stay in the outbox for later."""
        if self._publisher is None or self._thread is None:
            self.graphql.close()
            return 0
        left = self._thread.run(self._publisher.close(), timeout=30)
        self._thread.stop()
        self._thread = self._publisher = None
        self.graphql.close()
        return left

    # -- the SDK's operations --------------------------------------------------------------

    def add(self, record: object, current_run: Run | None) -> None:
        self.publish(ops.plan_add(record, current_run, self.ledger))

    def load_input(self, dobject: DObject, run: Run | None) -> None:
        self.publish(ops.plan_input(dobject, run, self.ledger))

    def start_run(self, run: Run) -> None:
        self.publish(ops.plan_start(run, self.ledger))

    def finish_run(
        self,
        run: Run,
        status: Literal["completed", "failed"] = "completed",
        error: str | None = None,
    ) -> None:
        self.publish(ops.plan_finish(run, status, error, self.ledger))

    # -- queries --------------------------------------------------------------------------

    def execute(
        self, document: str, variables: dict[str, Any], read_your_writes: bool = True
    ) -> dict[str, Any]:
        """Run a GraphQL document; by default only once the service has applied every event
        this process published. Look-ups that the ledger already answers for this process's
        own records pass `read_your_writes=False` and so never wait for the projector."""
        minimum = self.min_sequence if read_your_writes else 0
        return self.graphql.execute(document, variables, minimum)

    def select_page(
        self, chain: list[tuple[str, dict[str, Any]]], first: int, after: str | None = None
    ) -> tuple[list[Any], int, str | None]:
        """One page of a select/join chain as records: (records, totalCount, next cursor)."""
        select = q.build_select(chain, first, after)
        rows, total, cursor = q.page_rows(self.execute(select.document, select.variables), select)
        return [record_from_api(select.kind, row) for row in rows], total, cursor

    def existing_dobject(self, content_hash: str) -> DObject | None:
        """The DObject with this content hash: this process's, else the service's, else None."""
        mine = self.ledger.dobjects_by_hash.get(content_hash)
        if mine is not None:
            return mine
        try:
            # This process's own DObjects are in the ledger: no need to wait for the projector.
            data = self.execute(q.DOBJECT_BY_HASH, {"hash": content_hash}, read_your_writes=False)
        except ServiceUnreachable as exc:
            if not self._warned_unreachable:
                self._warned_unreachable = True
                log.warning(
                    "cannot check for an existing DObject with the same content: %s",
                    str(exc).splitlines()[0],
                )
            return None
        nodes = data["dobjects"]["nodes"]
        return DObject._from_api(nodes[0]) if nodes else None

    def find_pipeline(self, name: str, version: str | None = None) -> Pipeline | None:
        """The pipeline named `name` (that version, else the latest version), or None."""
        candidates: list[Transform] = [
            t for t in self.ledger.transforms.values() if isinstance(t, Pipeline) and t.name == name
        ]
        try:
            data = self.execute(q.PIPELINES_BY_NAME, {"name": name}, read_your_writes=False)
            candidates += [transform_from_api(row) for row in data["pipelines"]["nodes"]]
        except ServiceUnreachable:
            if not candidates:
                raise
        return pick_pipeline(candidates, version)

    def run_relation(self, run: Run, relation: str) -> list[DObject]:
        document, _ = q.RELATION_DOCUMENTS[("run", relation)]
        rows = q.relation_rows(self.execute(document, {"id": str(run.id)}), "run", relation)
        return [DObject._from_api(row) for row in rows]

    def dobject_targets(self, dobject: DObject) -> list[Run]:
        document, _ = q.RELATION_DOCUMENTS[("dobject", "targets")]
        data = self.execute(document, {"id": str(dobject.id)})
        return [Run._from_api(row) for row in q.relation_rows(data, "dobject", "targets")]

    def dobject_source(self, dobject: DObject) -> Run | None:
        document, _ = q.RELATION_DOCUMENTS[("dobject", "source")]
        rows = q.relation_rows(self.execute(document, {"id": str(dobject.id)}), "dobject", "source")
        return Run._from_api(rows[0]) if rows else None

    def transform_runs(self, transform: Transform) -> list[Run]:
        chain = [
            ("run", {}),
            (transform.type, {"name": transform.name, "version": transform.version}),
        ]
        runs: list[Run] = []
        cursor: str | None = None
        while True:
            page, _, cursor = self.select_page(chain, q.MAX_PAGE, cursor)
            runs += page
            if cursor is None:
                return runs


async def _publish_all(publisher: Publisher, batch: list[tuple[str, str, bytes]]) -> None:
    for subject, event_id, data in batch:
        await publisher.publish(subject, event_id, data)


def pick_pipeline(candidates: list[Transform], version: str | None) -> Pipeline | None:
    """The candidate of that version, else the one with the latest version."""
    pipelines = [t for t in candidates if isinstance(t, Pipeline)]
    if version is not None:
        pipelines = [t for t in pipelines if t.version == version]
    if not pipelines:
        return None
    return max(pipelines, key=lambda t: q.version_key(t.version))


def record_from_api(kind: str, row: dict[str, Any]) -> Any:
    """A record of `kind` from its GraphQL fields."""
    if kind == "dobject":
        return DObject._from_api(row)
    if kind == "run":
        return Run._from_api(row)
    return transform_from_api(row)
