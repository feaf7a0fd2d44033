"""The records: Pipeline, Notebook, Run, DObject, and the versions and changes read of them.

One module because they name each other (a run's inputs are DObjects, a DObject's source a
run, a version names both). The lowest layer of the SDK that knows lineage, it imports no
client: what a record cannot answer by itself (`run.inputs`, `pipeline.runs`, `with run:`,
the content-hash look-up of `DObject(path)`) it asks its host (`producer_sdk.host`).

Ids are derived (a transform's from `(type, name, version)`, a DObject's from its content
hash or its key: `producer_sdk.keys`), so producers agree without asking the service.
Versions are values, read when the relation was read: read it again for news.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar, Literal, Self

from lineage_core.ids import transform_id
from producer_sdk.dataset_fields import (
    ColumnInput,
    DatasetField,
    parse_column_lineage,
    parse_fields,
)
from producer_sdk.dobject_base import DObjectBase
from producer_sdk.files import FileFacts, file_facts
from producer_sdk.host import FinalStatus, RecordHost, RunStatus, WatchOptions, host_of
from producer_sdk.keys import check_key
from producer_sdk.lineage_view import view_lineage

if TYPE_CHECKING:  # aliases spelled for the type checker only
    from producer_sdk.dataset_fields import FieldSpec, InputSpec


class Transform:
    """A pipeline or notebook, identified by `(type, name, version)`; its id is derived."""

    type: ClassVar[Literal["notebook", "pipeline"]]
    __lineage_kind__: ClassVar[str]

    def __init__(
        self,
        name: str | None = None,
        v: str = "1",
        *,
        version: str | None = None,
        title: str | None = None,
        reference: str | None = None,
    ) -> None:
        if not name:
            kind = type(self).__name__
            raise TypeError(f'lns.{kind} needs a name: lns.{kind}(name=..., v="1")')
        self.name = name
        self.version = str(version if version is not None else v)
        self.title = title
        self.reference = reference
        self.id: uuid.UUID = transform_id(self.type, self.name, self.version)
        self._host: RecordHost | None = None

    @property
    def v(self) -> str:
        """The version (lamindb's spelling)."""
        return self.version

    @property
    def runs(self) -> list[Run]:
        """The runs of this transform, as the service knows them now."""
        return host_of(self).transform_runs(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Transform) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, v={self.version!r}, id={str(self.id)!r})"


class Pipeline(Transform):
    """A pipeline: `lns.Pipeline(name="Cell Ranger", v="7")`; `ln.add` registers it."""

    type = "pipeline"
    __lineage_kind__ = "pipeline"


class Notebook(Transform):
    """A notebook; `ln.Run()` inside a notebook creates and registers it."""

    type = "notebook"
    __lineage_kind__ = "notebook"


class _Watched:
    """What a run and a DObject share: their changes as they happen, their explorer link."""

    __lineage_kind__: ClassVar[Literal["run", "dobject"]]
    id: uuid.UUID

    def watch(
        self,
        kinds: Iterable[str] | None = None,
        *,
        direction: str = "UPSTREAM",
        depth: int = 10,
        timeout: float | None = None,
    ) -> Iterator[LineageChange]:
        """The changes of this record's lineage as they happen (`for change in
        dobject.watch(kinds=["NEW_VERSION"]):` waits for new upstream data), subscribed
        when this returns. `kinds`: NEW_VERSION, SCHEMA_CHANGED, BECAME_STALE, RUN_STARTED,
        RUN_COMPLETED, RUN_FAILED (None: all); `direction`, `depth`: the watched lineage
        (UPSTREAM, DOWNSTREAM or BOTH; 1..50 hops). It ends after `timeout` seconds without
        a change (None: never); `break` or `.close()` ends the watch."""
        options = WatchOptions(
            tuple(kinds) if kinds is not None else None, direction, depth, timeout
        )
        return host_of(self).watch(self, options)

    def view_lineage(self) -> str:
        """This record in the lineage explorer: inline in Jupyter, else its deep link
        printed; returns the link."""
        return view_lineage(host_of(self).api_url, self.__lineage_kind__, self.id)


class Run(_Watched):
    """One execution of a transform: `lns.Run(pipeline=pipeline, name="...")` creates a
    run that is started (`RunStarted`) at the first `ln.add` of it or of a record whose
    `source` it is, and finished at process exit like a global run; `ln.Run(...)` creates
    and starts one at once. As a context manager (`with ln.Run(...) as run:`) it is the
    current run inside the block and is finished when it ends (`failed` with the error if
    an exception ends it).
    `parent=run` names the run that started this one (`RunStarted.parent_run_id`).
    """

    __lineage_kind__: ClassVar[Literal["run", "dobject"]] = "run"

    def __init__(
        self,
        pipeline: Transform | None = None,
        name: str | None = None,
        *,
        notebook: Notebook | None = None,
        id: uuid.UUID | None = None,  # noqa: A002 - the record's field is called id
        parent: Run | None = None,
    ) -> None:
        if pipeline is not None and notebook is not None:
            raise TypeError("lns.Run takes pipeline= or notebook=, not both")
        if parent is not None and not isinstance(parent, Run):
            raise TypeError(f"parent= takes a run (lns.Run or ln.Run(...)), not {parent!r}")
        self.id = id or uuid.uuid4()
        self.name = name
        self.parent = parent  # the run that started this one (sent with RunStarted)
        self.transform: Transform | None = pipeline if pipeline is not None else notebook
        self.status: RunStatus | None = None  # None: not started by this process yet
        self.started_at: datetime | None = None
        self.finished_at: datetime | None = None
        self._local = id is None  # created here, so this process starts and finishes it
        self._started = False
        self._finished = False
        self._host = None

    @property
    def pipeline(self) -> Pipeline | None:
        """The transform when it is a pipeline."""
        return self.transform if isinstance(self.transform, Pipeline) else None

    @property
    def notebook(self) -> Notebook | None:
        """The transform when it is a notebook."""
        return self.transform if isinstance(self.transform, Notebook) else None

    @property
    def inputs(self) -> list[DObject]:
        """The data objects this run loaded, as the service knows them now."""
        return host_of(self).related(self, "inputs")

    @property
    def outputs(self) -> list[DObject]:
        """The data objects this run produced, as the service knows them now."""
        return host_of(self).related(self, "outputs")

    @property
    def input_versions(self) -> list[InputVersion]:
        """The version of each input this run read, in the order of `inputs`
        (`.dobject`, `.version` or None, `.loaded_at`), as the service knows them now."""
        return host_of(self).related(self, "input_versions")

    @property
    def output_versions(self) -> list[DObjectVersion]:
        """The versions this run produced, as the service knows them now."""
        return host_of(self).related(self, "output_versions")

    def finish(self, status: FinalStatus = "completed", error: str | None = None) -> None:
        """Publish `RunFinished` now (once; later calls do nothing)."""
        host_of(self).finish_run(self, status, error)

    def __enter__(self) -> Self:
        host_of(self).enter_run(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        host_of(self).exit_run(self, exc)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        parts = [f"id={str(self.id)!r}"]
        if self.name:
            parts.append(f"name={self.name!r}")
        if self.transform is not None:
            parts.append(f"{self.transform.type}={self.transform.name!r}")
            parts.append(f"v={self.transform.version!r}")
        if self.status:
            parts.append(f"status={self.status!r}")
        return f"Run({', '.join(parts)})"


class DObject(DObjectBase, _Watched):
    """A file: `ln.DObject(path)` reads its name, suffix, size and content hash (the
    attributes are `DObjectBase`'s); if the service already has a DObject with that content
    hash, that one is returned (with a warning naming it), so a program can run any number
    of times. `ln.add(dobject)` registers it as an output of its `source` run (or of
    `ln.context.run`).

    `key="results/summary.csv"` makes the key its identity: its name and suffix are the
    key's last part's, and every `ln.add` of it is a write, so new content under the key
    is a new version of the same DObject (see `versions`, `current_version`).
    `version="2026-12-01"` sends a label of the version written (or loaded).

    `fields=[...]` gives its schema and `column_lineage={...}` where its fields come from
    (see `parse_fields`, `parse_column_lineage`), sent with its `OutputRegistered`.
    """

    __lineage_kind__: ClassVar[Literal["run", "dobject"]] = "dobject"
    _source: Run | None = None  # the run given when it was made here

    # no __init__: everything happens here, which may return an existing DObject
    def __new__(
        cls,
        path: str | Path,
        source: Run | None = None,
        *,
        key: str | None = None,
        version: str | None = None,
        fields: Iterable[FieldSpec] | None = None,
        column_lineage: Mapping[str, Iterable[InputSpec]] | None = None,
    ) -> DObject:
        check_key(key, version)
        schema = parse_fields(fields) if fields is not None else None
        lineage = parse_column_lineage(column_lineage) if column_lineage is not None else None
        facts = file_facts(path)
        existing = host_of(source).existing_dobject(facts.hash) if key is None else None
        return cls.for_file(facts, source, existing, schema, lineage, key=key, label=version)

    @classmethod
    def for_file(
        cls,
        facts: FileFacts,
        source: Run | None,
        existing: DObject | None,
        fields: tuple[DatasetField, ...] | None = None,
        column_lineage: tuple[tuple[str, tuple[ColumnInput, ...]], ...] | None = None,
        *,
        key: str | None = None,
        label: str | None = None,
    ) -> DObject:
        """`existing` (with a warning naming it) when known, else a new DObject (always,
        for a `key`: each is a write of the key's dobject)."""
        if existing is None or key is not None:
            new = cls.from_facts(facts, source, key=key, label=label)
            new.fields, new.column_lineage = fields, column_lineage
            return new
        existing.reuse_for(facts, label, bool(fields or column_lineage))
        return existing

    @classmethod
    def from_facts(
        cls,
        facts: FileFacts,
        source: Run | None,
        *,
        key: str | None = None,
        label: str | None = None,
    ) -> DObject:
        """A new DObject for a file (no look-up of existing ones)."""
        self = object.__new__(cls)
        self.fill_from_file(facts, key, label)
        self._source = source
        return self

    @property
    def source(self) -> Run | None:
        """The run that produced this DObject."""
        if self._source is not None:
            return self._source
        if not self._registered:
            return None
        found: list[Run] = host_of(self).related(self, "source")
        return found[0] if found else None

    @property
    def targets(self) -> list[Run]:
        """The runs that loaded this DObject as an input, as the service knows them now."""
        return host_of(self).related(self, "targets")

    @property
    def versions(self) -> list[DObjectVersion]:
        """Every version of this DObject, newest first, as the service knows them now."""
        return host_of(self).related(self, "versions")

    @property
    def current_version(self) -> DObjectVersion | None:
        """The version most recently written (None for a dataset no run has written)."""
        found: list[DObjectVersion] = host_of(self).related(self, "current_version")
        return found[0] if found else None

    def load(self, is_run_input: bool = False, run: Run | None = None) -> Path | None:
        """The local path of the file; `is_run_input=True` also records it as an input
        (`InputLoaded`) of `run` or of `ln.context.run` with the hash of the content loaded
        (hashed again if the file changed), so the input binds to exactly that version."""
        if is_run_input or run is not None:
            host_of(self, run).load_input(self, run)
        return self.path


@dataclass(frozen=True, eq=False)
class DObjectVersion:
    """One version of a dobject: `number`: 1, 2, ... in version order (by creation);
    `run`: the run that produced it; `created_at`: when it was first written; `hash`,
    `size`, `label` (a producer's own name of the version, if it sent one), `fields`;
    `stale`: some input version of its run is no longer that input's current version,
    and `stale_inputs` says which (None where the service was not asked, for the versions
    inside `stale_inputs`)."""

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

    `kind`: one of `watch`'s kinds; `sequence`: the stream sequence of the event that
    caused it (changes come in this order); `occurred_at`: that event's time; `distance`:
    hops from the watched root (0: the root). `dobject` and `version` for the version
    kinds, `run` the run concerned (for NEW_VERSION the run that wrote it).
    """

    kind: str
    sequence: int
    occurred_at: datetime
    distance: int
    dobject: DObject | None
    version: DObjectVersion | None
    run: Run | None
