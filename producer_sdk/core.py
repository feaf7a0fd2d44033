"""The one client core: publishing, queries and the ledger, shared by both faces.

Async and bound to one event loop: the sync face (`producer_sdk.client.Client`) runs it
on a private loop thread, the async face (`producer_sdk.aio.AsyncClient`) on the
caller's loop. Every SDK call is planned (`operations`: the events, encoded and checked
once) and published with ack (or kept in the outbox) here, and every query answer becomes
records here (`rows`); so both faces
publish the same events, keep the same read-your-writes watermark and read the same
records.

`host` is bound into every record this core returns or publishes; `None` leaves records
to the default host, the module-level runtime (`import producer_sdk as ln`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from producer_sdk import operations as ops
from producer_sdk import query as q
from producer_sdk.dataset_fields import parse_column_lineage, parse_fields
from producer_sdk.errors import ServiceUnreachable, error_text
from producer_sdk.files import content_now, file_facts
from producer_sdk.graphql import AsyncGraphQLClient
from producer_sdk.host import FinalStatus, RecordHost, Relation, WatchOptions
from producer_sdk.keys import check_key
from producer_sdk.outbox import Outbox
from producer_sdk.publisher import Publisher, producer_credentials
from producer_sdk.records import DObject, DObjectVersion, InputVersion, Pipeline, Run, Transform
from producer_sdk.rows import record_from_api, transform_from_api
from producer_sdk.watching import Subscription, watch_variables, ws_url

if TYPE_CHECKING:
    from lineage_core.settings import Settings
    from producer_sdk.dataset_fields import FieldSpec, InputSpec

log = logging.getLogger("producer_sdk")

# (owner kind, relation) of each relation a record reads on access
_RELATION_OWNER: dict[Relation, str] = {
    "inputs": "run",
    "outputs": "run",
    "input_versions": "run",
    "output_versions": "run",
    "source": "dobject",
    "targets": "dobject",
    "versions": "dobject",
    "current_version": "dobject",
}


class ClientCore:
    """Publishing and querying on one event loop (see the module docstring)."""

    def __init__(self, settings: Settings, host: RecordHost | None = None) -> None:
        self.api_url = settings.resolved_api_url()
        self.nats_servers = settings.nats_servers()
        self.outbox_dir = settings.home / "outbox"
        self.host = host
        self.ledger = ops.Ledger()
        self.graphql = AsyncGraphQLClient(self.api_url, settings.api_token)
        self.publisher = Publisher(
            self.nats_servers,
            Outbox(self.outbox_dir),
            client_name=ops.producer(),
            credentials=producer_credentials(settings),
        )
        self._warned_unreachable = False

    def _reopen(self) -> None:
        """Fresh transports after `close`, so the core can serve another event loop."""
        previous = self.publisher
        self.publisher = Publisher(
            self.nats_servers,
            previous.outbox,
            client_name=ops.producer(),
            credentials=previous.credentials,
        )
        self.publisher.highest_sequence = previous.highest_sequence

    # -- publishing ---------------------------------------------------------------------

    @property
    def min_sequence(self) -> int:
        """The highest JetStream sequence acked to this client (read-your-writes)."""
        return self.publisher.highest_sequence

    async def publish(self, messages: list[ops.Message]) -> None:
        """Publish planned messages in order; returns once each is acked by JetStream or in
        the outbox. The plan encoded and checked them all (`operations.message`), so a
        call over a limit failed before any of them got here."""
        for m in messages:
            await self.publisher.publish(m.subject, m.event_id, m.data)

    async def add(self, record: object, current_run: Run | None) -> None:
        """`ln.add(record)`: see `operations.plan_add`."""
        self._bind(record, current_run)
        await self.publish(ops.plan_add(record, current_run, self.ledger))

    async def load_input(self, dobject: DObject, run: Run | None) -> None:
        """`InputLoaded`, with the hash of the local file as it is now (hashed again in a
        worker thread only if it changed since this process read it)."""
        self._bind(dobject, run)
        content = None
        if dobject.path is not None:
            content = await asyncio.to_thread(content_now, dobject.path, dobject.facts)
            dobject.facts = content or dobject.facts
        await self.publish(ops.plan_input(dobject, run, self.ledger, content))

    async def start_run(self, run: Run) -> None:
        self._bind(run)
        await self.publish(ops.plan_start(run, self.ledger))

    async def finish_run(
        self, run: Run, status: FinalStatus = "completed", error: str | None = None
    ) -> None:
        await self.publish(ops.plan_finish(run, status, error, self.ledger))

    async def finish_active(self, exc: BaseException | None = None) -> None:
        """Finish every run this client started: `failed` with `exc`, else `completed`."""
        for run in reversed(list(self.ledger.active_runs.values())):
            if exc is None:
                await self.finish_run(run)
            else:
                await self.finish_run(run, "failed", error_text(exc))

    async def flush(self) -> int:
        """Send the outbox now if NATS is back; how many events are still waiting."""
        return await self.publisher.flush()

    async def close(self) -> int:
        """Flush and disconnect; how many events stay in the outbox for later. The core
        can be used again afterwards (it connects anew)."""
        await self.graphql.close()
        left = await self.publisher.close()
        self._reopen()
        return left

    # -- queries --------------------------------------------------------------------------

    async def execute(
        self, document: str, variables: dict[str, Any], read_your_writes: bool = True
    ) -> dict[str, Any]:
        """Run a GraphQL document; by default only once the service has applied every event
        this client published. Look-ups that the ledger already answers for this client's
        own records pass `read_your_writes=False` and so never wait for the projector."""
        minimum = self.min_sequence if read_your_writes else 0
        return await self.graphql.execute(document, variables, minimum)

    async def select_page(
        self, chain: list[tuple[str, dict[str, Any]]], first: int, after: str | None = None
    ) -> tuple[list[Any], int, str | None]:
        """One page of a select/join chain as records: (records, totalCount, next cursor)."""
        select = q.build_select(chain, first, after)
        rows, total, cursor = q.page_rows(
            await self.execute(select.document, select.variables), select
        )
        return self._records(select.kind, rows), total, cursor

    async def select_all(self, chain: list[tuple[str, dict[str, Any]]]) -> list[Any]:
        """Every record of a chain, a page of 1,000 per request."""
        out: list[Any] = []
        cursor: str | None = None
        while True:
            page, _, cursor = await self.select_page(chain, q.MAX_PAGE, cursor)
            out += page
            if cursor is None:
                return out

    async def related(self, record: Run | DObject, relation: Relation) -> list[Any]:
        """`inputs`/`outputs` of a run, `source`/`targets` of a DObject, read now."""
        owner = _RELATION_OWNER[relation]
        document, kind = q.RELATION_DOCUMENTS[(owner, relation)]
        variables: dict[str, Any] = {"id": str(record.id)}
        if relation == "versions":  # paged: every version, 1,000 per request
            variables["first"] = q.MAX_PAGE
        rows: list[dict[str, Any]] = []
        while True:
            data = await self.execute(document, variables)
            rows += q.relation_rows(data, owner, relation)
            cursor = q.next_cursor(data, owner, relation) if relation == "versions" else None
            if cursor is None:
                return self._records(kind, rows)
            variables["after"] = cursor

    async def transform_runs(self, transform: Transform) -> list[Run]:
        chain = [
            ("run", {}),
            (transform.type, {"name": transform.name, "version": transform.version}),
        ]
        return await self.select_all(chain)

    async def existing_dobject(self, content_hash: str) -> DObject | None:
        """The DObject with this content hash: this client's, else the service's, else None."""
        mine = self.ledger.dobjects_by_hash.get(content_hash)
        if mine is not None:
            return mine
        try:
            # This client's own DObjects are in the ledger: no need to wait for the projector.
            data = await self.execute(
                q.DOBJECT_BY_HASH, {"hash": content_hash}, read_your_writes=False
            )
        except ServiceUnreachable as exc:
            if not self._warned_unreachable:
                self._warned_unreachable = True
                log.warning(
                    "cannot check for an existing DObject with the same content: %s",
                    str(exc).splitlines()[0],
                )
            return None
        found: list[DObject] = self._records("dobject", data["dobjects"]["nodes"])
        return found[0] if found else None

    async def dobject(
        self,
        path: str | Path,
        source: Run | None = None,
        *,
        fields: Iterable[FieldSpec] | None = None,
        column_lineage: Mapping[str, Iterable[InputSpec]] | None = None,
        key: str | None = None,
        version: str | None = None,
    ) -> DObject:
        """`DObject(path, source=..., key=..., version=..., fields=..., column_lineage=...)`:
        the file is hashed in a worker thread."""
        check_key(key, version)
        schema = parse_fields(fields) if fields is not None else None
        lineage = parse_column_lineage(column_lineage) if column_lineage is not None else None
        facts = await asyncio.to_thread(file_facts, path)
        existing = await self.existing_dobject(facts.hash) if key is None else None
        dobject = DObject.for_file(facts, source, existing, schema, lineage, key=key, label=version)
        self._bind(dobject, source)
        return dobject

    async def find_pipeline(self, name: str, version: str | None = None) -> Pipeline | None:
        """The pipeline named `name` (that version, else the latest version), or None."""
        candidates: list[Transform] = [
            t for t in self.ledger.transforms.values() if isinstance(t, Pipeline) and t.name == name
        ]
        try:
            data = await self.execute(q.PIPELINES_BY_NAME, {"name": name}, read_your_writes=False)
            candidates += [transform_from_api(row) for row in data["pipelines"]["nodes"]]
        except ServiceUnreachable:
            if not candidates:
                raise
        found = pick_pipeline(candidates, version)
        if found is not None:
            self.ledger.transforms.setdefault(found.id, found)  # registered: no need to re-send
            self._bind(found)
        return found

    def subscription(self, record: Run | DObject, options: WatchOptions) -> Subscription:
        """The `lineageChanges` subscription of `record.watch(...)`, checked (a clear
        TypeError for a kind or direction that does not exist) before anything connects."""
        root = "run" if isinstance(record, Run) else "dobject"
        variables = watch_variables(
            root, str(record.id), options.kinds, options.direction, options.depth
        )
        return Subscription(
            ws_url(self.api_url),
            self.graphql.token,
            q.WATCH,
            variables,
            fallback=q.WATCH_WITHOUT_VERSIONS,
        )

    # -- records ------------------------------------------------------------------------

    def _records(self, kind: str, rows: Iterable[dict[str, Any]]) -> list[Any]:
        records = [record_from_api(kind, row) for row in rows]
        self._bind(*records)
        return records

    def _bind(self, *records: object) -> None:
        """Make this core's host the one the records (and their transforms) ask."""
        if self.host is None:
            return
        for record in records:
            if isinstance(record, DObjectVersion):
                self._bind(record.run, record.dobject, *(record.stale_inputs or ()))
            elif isinstance(record, InputVersion):
                self._bind(record.dobject, record.version)
            elif isinstance(record, Run | DObject | Transform) and record._host is None:
                record._host = self.host
                if isinstance(record, Run) and record.transform is not None:
                    self._bind(record.transform)


def pick_pipeline(candidates: list[Transform], version: str | None) -> Pipeline | None:
    """The candidate of that version, else the one with the latest version."""
    pipelines = [t for t in candidates if isinstance(t, Pipeline)]
    if version is not None:
        pipelines = [t for t in pipelines if t.version == version]
    if not pipelines:
        return None
    return max(pipelines, key=lambda t: q.version_key(t.version))
