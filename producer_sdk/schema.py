"""Lineage records (`from producer_sdk import schema as lns`): Pipeline, Notebook, Run, DObject.

Records are plain objects. Relations (`run.inputs`, `pipeline.runs`, ...) are read from
the GraphQL API when accessed, so they always show what the service knows now,
including this process's own events (read-your-writes).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

from lineage_core.ids import transform_id
from producer_sdk.dobject import DObject

if TYPE_CHECKING:
    from producer_sdk.client import Client

__all__ = ["DObject", "Notebook", "Pipeline", "Run", "Transform"]


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

    @property
    def v(self) -> str:
        """The version (lamindb's spelling)."""
        return self.version

    @property
    def runs(self) -> list[Run]:
        """The runs of this transform, as the service knows them now."""
        from producer_sdk import _runtime

        return _runtime.client().transform_runs(self)

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


RunStatus = Literal["STARTED", "COMPLETED", "FAILED"]


class Run:
    """One execution of a transform.

    `lns.Run(pipeline=pipeline, name="...")` creates a run that is started (`RunStarted`)
    at the first `ln.add` of it or of a record whose `source` it is, and finished at
    process exit like a global run. `ln.Run(...)` creates and starts one at once. As a
    context manager (`with ln.Run(...) as run:`) it is the current run inside the block
    and is finished when the block ends: `failed` with the error if an exception ends it.
    """

    __lineage_kind__: ClassVar[str] = "run"

    def __init__(
        self,
        pipeline: Transform | None = None,
        name: str | None = None,
        *,
        notebook: Notebook | None = None,
        id: uuid.UUID | None = None,
    ) -> None:
        if pipeline is not None and notebook is not None:
            raise TypeError("lns.Run takes pipeline= or notebook=, not both")
        self.id: uuid.UUID = id or uuid.uuid4()
        self.name = name
        self.transform: Transform | None = pipeline if pipeline is not None else notebook
        self.status: RunStatus | None = None  # None: not started by this process yet
        self.started_at: datetime | None = None
        self.finished_at: datetime | None = None
        self._local = id is None  # created here, so this process starts and finishes it
        self._started = False
        self._finished = False
        self._client: Client | None = None
        self._outer: list[Run | None] = []

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
        return self._query_client().run_relation(self, "inputs")

    @property
    def outputs(self) -> list[DObject]:
        """The data objects this run produced, as the service knows them now."""
        return self._query_client().run_relation(self, "outputs")

    def finish(
        self, status: Literal["completed", "failed"] = "completed", error: str | None = None
    ) -> None:
        """Publish `RunFinished` now (once; later calls do nothing)."""
        self._query_client().finish_run(self, status, error)

    def _query_client(self) -> Client:
        if self._client is not None:
            return self._client
        from producer_sdk import _runtime

        return _runtime.client()

    def __enter__(self) -> Self:
        from producer_sdk import _runtime

        _runtime.enter_run(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        from producer_sdk import _runtime

        _runtime.exit_run(self, exc)

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

    @classmethod
    def _from_api(cls, data: dict[str, Any]) -> Run:
        run = cls(id=uuid.UUID(data["id"]), name=data.get("name"))
        run.status = data.get("status")
        run.started_at = _parse_time(data.get("startedAt"))
        run.finished_at = _parse_time(data.get("finishedAt"))
        t = data.get("transform")
        if t:
            run.transform = transform_from_api(t)
        run._started = True
        run._finished = run.status in ("COMPLETED", "FAILED")
        return run


def transform_from_api(data: dict[str, Any]) -> Transform:
    """A Pipeline or Notebook from its GraphQL fields."""
    is_notebook = (
        str(data.get("type", "")).upper() == "NOTEBOOK" or data.get("__typename") == "Notebook"
    )
    cls: type[Transform] = Notebook if is_notebook else Pipeline
    transform = cls(
        name=data["name"],
        version=data["version"],
        title=data.get("title"),
        reference=data.get("reference"),
    )
    return transform


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
