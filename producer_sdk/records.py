"""The value records: Pipeline, Notebook and Run (DObject is `producer_sdk.dobject`).

The lowest layer of the SDK that knows lineage, with `dobject` and `host`: it imports no
client. What a record cannot answer by itself (`run.inputs`, `pipeline.runs`, `with
run:`) it asks its host (`producer_sdk.host`).

A transform's id is `uuid5` of `(type, name, version)`, so every producer derives the
same id without asking the service.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar, Literal, Self

from lineage_core.ids import transform_id
from producer_sdk.host import FinalStatus, RecordHost, RunStatus, WatchOptions, host_of
from producer_sdk.lineage_view import view_lineage

if TYPE_CHECKING:
    from producer_sdk.dobject import DObject
    from producer_sdk.versions import DObjectVersion, InputVersion, LineageChange


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
            raise TypeError(
                f"lns.{type(self).__name__} needs a name: "
                f'lns.{type(self).__name__}(name=..., v="1")'
            )
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


class Run:
    """One execution of a transform.

    `lns.Run(pipeline=pipeline, name="...")` creates a run that is started (`RunStarted`)
    at the first `ln.add` of it or of a record whose `source` it is, and finished at
    process exit like a global run. `ln.Run(...)` creates and starts one at once. As a
    context manager (`with ln.Run(...) as run:`) it is the current run inside the block
    and is finished when the block ends: `failed` with the error if an exception ends it.
    `parent=run` names the run that started this one (`RunStarted.parent_run_id`).
    """

    __lineage_kind__: ClassVar[str] = "run"

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
        self.id: uuid.UUID = id or uuid.uuid4()
        self.name = name
        self.parent = parent  # the run that started this one (sent with RunStarted)
        self.transform: Transform | None = pipeline if pipeline is not None else notebook
        self.status: RunStatus | None = None  # None: not started by this process yet
        self.started_at: datetime | None = None
        self.finished_at: datetime | None = None
        self._local = id is None  # created here, so this process starts and finishes it
        self._started = False
        self._finished = False
        self._host: RecordHost | None = None

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

    def watch(
        self,
        kinds: Iterable[str] | None = None,
        *,
        direction: str = "UPSTREAM",
        depth: int = 10,
        timeout: float | None = None,
    ) -> Iterator[LineageChange]:
        """The changes of this run's lineage as they happen (as `DObject.watch`)."""
        options = WatchOptions(
            tuple(kinds) if kinds is not None else None, direction, depth, timeout
        )
        return host_of(self).watch(self, options)

    def finish(self, status: FinalStatus = "completed", error: str | None = None) -> None:
        """Publish `RunFinished` now (once; later calls do nothing)."""
        host_of(self).finish_run(self, status, error)

    def view_lineage(self) -> str:
        """This run in the lineage explorer: inline in Jupyter, else its deep link printed;
        returns the link."""
        return view_lineage(host_of(self).api_url, "run", self.id)

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
