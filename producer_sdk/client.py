"""The sync face of the client core: one per process, the core on a private loop thread.

Each call hands a coroutine of the core (`producer_sdk.core.ClientCore`) to a daemon
thread that runs an asyncio loop owning the NATS connection and the HTTP client, and
blocks until it is done: a publish returns once JetStream acked the events (or they are
safely in the outbox), a query once the API answered with this process's events applied.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

from producer_sdk import query as q
from producer_sdk.core import ClientCore
from producer_sdk.host import FinalStatus, Relation, WatchOptions
from producer_sdk.records import DObject, Pipeline, Run, Transform
from producer_sdk.rows import change_from_api
from producer_sdk.watching import Watch

if TYPE_CHECKING:
    from lineage_core.settings import Settings
    from producer_sdk.operations import Ledger
    from producer_sdk.publisher import Publisher
    from producer_sdk.records import LineageChange

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
    """Publishing and querying for the sync SDK (`import producer_sdk as ln`).

    Records it returns are left to the default host (the module-level runtime), which
    asks the process's current client, so `ln.context` and `with run:` keep working.
    """

    def __init__(self, settings: Settings) -> None:
        self.core = ClientCore(settings)
        self.api_url = self.core.api_url
        self.outbox_dir = self.core.outbox_dir
        self._thread: _LoopThread | None = None
        self._lock = threading.Lock()

    @property
    def ledger(self) -> Ledger:
        """What this process published (read-your-writes without asking the service)."""
        return self.core.ledger

    @property
    def publisher(self) -> Publisher:
        return self.core.publisher

    @property
    def min_sequence(self) -> int:
        """The highest JetStream sequence acked to this process (read-your-writes)."""
        return self.core.min_sequence

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        with self._lock:
            if self._thread is None:
                self._thread = _LoopThread()
            thread = self._thread
        return thread.run(coro, timeout)

    # -- publishing ---------------------------------------------------------------------

    def add(self, record: object, current_run: Run | None) -> None:
        self._run(self.core.add(record, current_run))

    def load_input(self, dobject: DObject, run: Run | None) -> None:
        self._run(self.core.load_input(dobject, run))

    def start_run(self, run: Run) -> None:
        self._run(self.core.start_run(run))

    def finish_run(
        self, run: Run, status: FinalStatus = "completed", error: str | None = None
    ) -> None:
        self._run(self.core.finish_run(run, status, error))

    def finish_active(self, exc: BaseException | None = None) -> None:
        """Finish every run this client started (`failed` with `exc`, else `completed`)."""
        if self.ledger.active_runs:
            self._run(self.core.finish_active(exc))

    def flush(self) -> int:
        """Send the outbox now if NATS is back; how many events are still waiting."""
        if self._thread is None:
            return 0
        return self._run(self.core.flush())

    def close(self) -> int:
        """Flush and disconnect; how many events stay in the outbox for later."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is None:
            return 0
        try:
            return thread.run(self.core.close(), timeout=30)
        finally:
            thread.stop()

    # -- queries --------------------------------------------------------------------------

    def execute(
        self, document: str, variables: dict[str, Any], read_your_writes: bool = True
    ) -> dict[str, Any]:
        """Run a GraphQL document (see `ClientCore.execute`)."""
        return self._run(self.core.execute(document, variables, read_your_writes))

    def select_page(
        self, chain: list[tuple[str, dict[str, Any]]], first: int, after: str | None = None
    ) -> tuple[list[Any], int, str | None]:
        return self._run(self.core.select_page(chain, first, after))

    def related(self, record: Run | DObject, relation: Relation) -> list[Any]:
        return self._run(self.core.related(record, relation))

    def transform_runs(self, transform: Transform) -> list[Run]:
        return self._run(self.core.transform_runs(transform))

    def existing_dobject(self, content_hash: str) -> DObject | None:
        return self._run(self.core.existing_dobject(content_hash))

    def find_pipeline(self, name: str, version: str | None = None) -> Pipeline | None:
        return self._run(self.core.find_pipeline(name, version))

    def watch(self, record: Run | DObject, options: WatchOptions) -> Watch[LineageChange]:
        """`record.watch(...)`: the subscription, over a WebSocket of its own in the
        caller's thread (not the loop thread: a long wait there would hold up publishing).
        Subscribed once the service has applied this process's events, so a record this
        process just registered is there to be watched."""
        subscription = self.core.subscription(record, options)
        if self.min_sequence:
            self.execute(q.CAUGHT_UP, {})
        return Watch(subscription, change_from_api, options.timeout)
