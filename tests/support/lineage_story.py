"""A small lineage history told as wire events, published to a running service, and
GraphQL questions about it answered with read-your-writes."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import nats

from lineage_core.events import (
    ColumnInput,
    ColumnLineage,
    DatasetField,
    DObjectRef,
    Event,
    InputLoaded,
    OutputRegistered,
    RunFinished,
    RunStarted,
    Transform,
)
from lineage_core.ids import transform_id
from lineage_core.streams import ensure_streams, publish_in_order

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class Story:
    """Events one second apart; `at(n)` is the instant of the n-th event (1-based)."""

    seed: int = 0
    events: list[Event] = field(default_factory=list)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    @staticmethod
    def at(n: int) -> datetime:
        return T0 + timedelta(seconds=n)

    def _next(self) -> dict[str, Any]:
        return {
            "event_id": self.uid(),
            "occurred_at": self.at(len(self.events) + 1),
            "producer": "tests",
        }

    def dobject(self, name: str, suffix: str) -> DObjectRef:
        return DObjectRef(id=self.uid(), name=name, suffix=suffix)

    def start(
        self,
        transform: str = "step",
        version: str = "1",
        *,
        run: uuid.UUID | None = None,
        parent: uuid.UUID | None = None,
        name: str | None = None,
    ) -> uuid.UUID:
        run = run or self.uid()
        self.events.append(
            RunStarted(
                **self._next(),
                run_id=run,
                transform=Transform(
                    id=transform_id("pipeline", transform, version),
                    type="pipeline",
                    name=transform,
                    version=version,
                ),
                run_name=name,
                parent_run_id=parent,
            )
        )
        return run

    def load(self, run: uuid.UUID, dobject: DObjectRef) -> int:
        self.events.append(InputLoaded(**self._next(), run_id=run, dobject=dobject))
        return len(self.events)

    def output(
        self,
        run: uuid.UUID,
        dobject: DObjectRef,
        fields: Sequence[tuple[str, str | None, str | None]] | None = None,
        columns: dict[str, list[tuple[DObjectRef | uuid.UUID, str, str | None]]] | None = None,
    ) -> int:
        """`columns`: output field -> [(input dobject, input field, transformation)]."""
        lineage = None
        if columns is not None:
            lineage = tuple(
                ColumnLineage(
                    field=target,
                    inputs=tuple(
                        ColumnInput(
                            dobject_id=d.id if isinstance(d, DObjectRef) else d,
                            field=f,
                            transformation=t,
                        )
                        for d, f, t in sources
                    ),
                )
                for target, sources in columns.items()
            )
        self.events.append(
            OutputRegistered(
                **self._next(),
                run_id=run,
                dobject=dobject,
                fields=None
                if fields is None
                else tuple(DatasetField(name=n, type=t, description=d) for n, t, d in fields),
                column_lineage=lineage,
            )
        )
        return len(self.events)

    def finish(self, run: uuid.UUID, status: str = "completed") -> int:
        self.events.append(RunFinished(**self._next(), run_id=run, status=status))  # type: ignore[arg-type]
        return len(self.events)


def publish(nats_url: str, events: Sequence[Event]) -> int:
    """Publish the events in order (JetStream, acknowledged); the last stream sequence."""

    async def run() -> int:
        nc = await nats.connect(nats_url)
        try:
            js = nc.jetstream()
            await ensure_streams(js)
            return await publish_in_order(js, events)
        finally:
            await nc.close()

    return asyncio.run(run())


@dataclass
class Asker:
    """GraphQL requests to a service, each answered once `sequence` is projected."""

    api_url: str
    sequence: int

    def answer(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = httpx.post(
            f"{self.api_url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"X-Lineage-Min-Sequence": str(self.sequence)},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of an answer that must carry no error."""
        body = self.answer(query, variables)
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]

    def codes(self, query: str, variables: dict[str, Any] | None = None) -> list[str]:
        return [e["extensions"]["code"] for e in self.answer(query, variables).get("errors", [])]


def tell(service_api_url: str, nats_url: str, story: Story) -> Asker:
    """Publish the story; an Asker whose answers include all of it."""
    return Asker(service_api_url, publish(nats_url, story.events))
