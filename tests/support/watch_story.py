"""Small lineage stories for the watch tests: runs chained by their outputs, with ids
derived from a name so tests can speak of them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from lineage_core.events import (
    DatasetField,
    DObjectRef,
    Event,
    InputLoaded,
    OutputRegistered,
    RunFinished,
    RunStarted,
)
from lineage_core.ids import dobject_version_id
from tests.support.workload import PRODUCER, pipeline

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def uid(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"watch-test/{name}")


def version(name: str, key: str) -> uuid.UUID:
    """The id of dobject `name`'s version keyed `key` ('hash:h1', 'run:<id>')."""
    return dobject_version_id(uid(f"dobject/{name}"), key)


def dobject(name: str, **extra: object) -> DObjectRef:
    return DObjectRef(id=uid(f"dobject/{name}"), name=name, suffix=".csv", **extra)  # type: ignore[arg-type]


class Story:
    """Events in the order they are told; each gets a later occurred_at."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._tick = 0

    def _at(self) -> datetime:
        self._tick += 1
        return T0 + timedelta(seconds=self._tick)

    def _eid(self) -> uuid.UUID:
        return uid(f"event/{len(self.events)}/{self._tick}")

    def start(self, run: str) -> list[Event]:
        return self._add(
            RunStarted(
                event_id=self._eid(),
                occurred_at=self._at(),
                producer=PRODUCER,
                run_id=uid(f"run/{run}"),
                transform=pipeline(f"transform of {run}"),
                run_name=run,
            )
        )

    def load(self, run: str, name: str, **extra: object) -> list[Event]:
        return self._add(
            InputLoaded(
                event_id=self._eid(),
                occurred_at=self._at(),
                producer=PRODUCER,
                run_id=uid(f"run/{run}"),
                dobject=dobject(name, **extra),
            )
        )

    def write(
        self, run: str, name: str, fields: list[tuple[str, str]] | None = None, **extra: object
    ) -> list[Event]:
        return self._add(
            OutputRegistered(
                event_id=self._eid(),
                occurred_at=self._at(),
                producer=PRODUCER,
                run_id=uid(f"run/{run}"),
                dobject=dobject(name, **extra),
                fields=None
                if fields is None
                else tuple(DatasetField(name=n, type=t, description=f"{n}!") for n, t in fields),
            )
        )

    def finish(self, run: str, status: str = "completed") -> list[Event]:
        return self._add(
            RunFinished(
                event_id=self._eid(),
                occurred_at=self._at(),
                producer=PRODUCER,
                run_id=uid(f"run/{run}"),
                status=status,  # type: ignore[arg-type]
            )
        )

    def _add(self, event: Event) -> list[Event]:
        self.events.append(event)
        return [event]
