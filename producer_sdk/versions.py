"""Dataset versions as the SDK reads them: `dobject.versions`, `dobject.current_version`,
`run.input_versions`, `run.output_versions` (docs/reference/versions.md), and the changes
a watch yields (`LineageChange`, docs/reference/watches.md).

A version is one write of a dobject: the same bytes written again are the same version,
a table rewritten by every nightly run gets a version per run. These are values, read
from the service when the relation was read: read the relation again for news.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from producer_sdk.dataset_fields import DatasetField
    from producer_sdk.dobject import DObject
    from producer_sdk.records import Run


@dataclass(frozen=True, eq=False)
class DObjectVersion:
    """One version of a dobject.

    `number`: 1, 2, ... in version order (by creation); `run`: the run that produced it;
    `created_at`: when it was first written; `hash`, `size`, `label` (a producer's own
    name of the version, if it sent one), `fields`; `stale`: some input version of its
    run is no longer that input's current version, and `stale_inputs` says which (None
    where the service was not asked, for the versions inside `stale_inputs`).
    """

    id: uuid.UUID
    dobject: DObject
    number: int
    run: Run
    created_at: datetime
    hash: str | None
    size: int | None
    label: str | None
    fields: tuple[DatasetField, ...]
    stale: bool
    stale_inputs: tuple[InputVersion, ...] | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DObjectVersion) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        name = f"{self.dobject.name}{self.dobject.suffix}"
        stale = ", stale" if self.stale else ""
        return f"DObjectVersion({name!r} #{self.number}, id={str(self.id)!r}{stale})"


@dataclass(frozen=True)
class InputVersion:
    """An input of a run and the version it read: `version` is None for a dataset that
    no run had written; `loaded_at` is the run's earliest load of it."""

    dobject: DObject
    version: DObjectVersion | None
    loaded_at: datetime


@dataclass(frozen=True)
class LineageChange:
    """A change of a watched lineage (`dobject.watch(...)`, docs/reference/watches.md).

    `kind`: NEW_VERSION, SCHEMA_CHANGED, BECAME_STALE, RUN_STARTED, RUN_COMPLETED or
    RUN_FAILED; `sequence`: the stream sequence of the event that caused it (changes come
    in this order); `occurred_at`: that event's time; `distance`: hops from the watched
    root (0: the root). `dobject` and `version` for the version kinds, `run` the run
    concerned (for NEW_VERSION the run that wrote it).
    """

    kind: str
    sequence: int
    occurred_at: datetime
    distance: int
    dobject: DObject | None
    version: DObjectVersion | None
    run: Run | None
