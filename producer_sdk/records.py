"""The plain records: Pipeline, Notebook, Run and DObject.

The lowest layer of the SDK that knows lineage: it imports no client. What a record
cannot answer by itself (`run.inputs`, `dobject.targets`, the content-hash look-up of
`DObject(path)`, `with run:`) it asks its *host*: the client that produced or published
it (the async client binds every record it touches), else the default host that the
module-level runtime installs when `import producer_sdk` runs (`set_default_host`).
So the direction of imports is records <- planning <- client core <- runtime, and no
record reaches for a client of its own.

Ids: a transform's id is `uuid5` of `(type, name, version)`; a new file's id is derived
from its content hash, `uuid5(NAMESPACE_URL, "lineage:dobject/<hash>")`, so two
producers registering the same content while the service is unreachable still agree on
one DObject.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, Self
from urllib.parse import unquote, urlparse

from lineage_core.ids import transform_id
from producer_sdk.dataset_fields import (
    ColumnInput,
    DatasetField,
    parse_column_lineage,
    parse_fields,
)
from producer_sdk.errors import LineageError
from producer_sdk.files import FileFacts, file_facts
from producer_sdk.lineage_view import view_lineage

if TYPE_CHECKING:
    from producer_sdk.dataset_fields import FieldSpec, InputSpec

log = logging.getLogger("producer_sdk")

RunStatus = Literal["STARTED", "COMPLETED", "FAILED"]
FinalStatus = Literal["completed", "failed"]
Relation = Literal["inputs", "outputs", "source", "targets"]


class RecordHost(Protocol):
    """What records ask of the client behind them (blocking calls)."""

    @property
    def api_url(self) -> str:
        """The API base URL (for deep links)."""
        ...

    def related(self, record: Run | DObject, relation: Relation) -> list[Any]:
        """`inputs`/`outputs` of a run, `source`/`targets` of a DObject, read now."""
        ...

    def transform_runs(self, transform: Transform) -> list[Run]: ...

    def existing_dobject(self, content_hash: str) -> DObject | None:
        """The DObject with this content hash, if this process or the service has one."""
        ...

    def load_input(self, dobject: DObject, run: Run | None) -> None:
        """`InputLoaded` of `dobject` for `run` (None: the current run)."""
        ...

    def finish_run(self, run: Run, status: FinalStatus, error: str | None) -> None: ...

    def enter_run(self, run: Run) -> None: ...

    def exit_run(self, run: Run, exc: BaseException | None) -> None: ...


class _Default:
    host: Callable[[], RecordHost] | None = None


def set_default_host(provider: Callable[[], RecordHost] | None) -> None:
    """Install what unbound records ask (the module-level runtime does, at import)."""
    _Default.host = provider


def host_of(*records: Run | DObject | Transform | None) -> RecordHost:
    """The host of the first of `records` bound to one, else the default host."""
    for record in records:
        bound = record._host if record is not None else None
        if bound is not None:
            return bound
    if _Default.host is None:
        raise LineageError("no lineage client: `import producer_sdk` installs the default one")
    return _Default.host()


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

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Run:
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


def dobject_id(content_hash: str) -> uuid.UUID:
    """The id of a new DObject with this content hash."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"lineage:dobject/{content_hash}")


class DObject:
    """A file: `ln.DObject(path)` reads its name, suffix, size and content hash.

    If the service already has a DObject with the same content hash, that DObject is
    returned instead (with a warning naming it), as lamindb does; so a program can run
    any number of times. `ln.add(dobject)` registers it as an output of its `source` run
    (or of `ln.context.run`).

    Attributes: `id`, `name` (no suffix), `suffix` (every part: `.fastq.gz`), `size`,
    `hash`, `uri`, `created_at` (from the service), `path` (local file, when known).

    `fields=[...]` gives its schema and `column_lineage={...}` where its fields come from
    (see `parse_fields`, `parse_column_lineage`); both are sent with its
    `OutputRegistered`.
    """

    __lineage_kind__: ClassVar[str] = "dobject"

    id: uuid.UUID
    name: str
    suffix: str
    size: int | None
    hash: str | None
    uri: str | None
    created_at: datetime | None
    path: Path | None

    def __new__(
        cls,
        path: str | Path,
        source: Run | None = None,
        *,
        fields: Iterable[FieldSpec] | None = None,
        column_lineage: Mapping[str, Iterable[InputSpec]] | None = None,
    ) -> DObject:
        schema = parse_fields(fields) if fields is not None else None
        lineage = parse_column_lineage(column_lineage) if column_lineage is not None else None
        facts = file_facts(path)
        existing = host_of(source).existing_dobject(facts.hash)
        return cls.for_file(facts, source, existing, schema, lineage)

    def __init__(
        self,
        path: str | Path,
        source: Run | None = None,
        *,
        fields: Iterable[FieldSpec] | None = None,
        column_lineage: Mapping[str, Iterable[InputSpec]] | None = None,
    ) -> None:
        """Everything happens in `__new__`, which may return an existing DObject."""

    def _fill(
        self,
        dobject_id: uuid.UUID,
        *,
        name: str,
        suffix: str,
        size: int | None,
        content_hash: str | None,
        uri: str | None,
        created_at: datetime | None,
    ) -> None:
        self.id, self.name, self.suffix = dobject_id, name, suffix
        self.size, self.hash, self.uri, self.created_at = size, content_hash, uri, created_at
        self.path = _local_path(uri)
        self.fields: tuple[DatasetField, ...] | None = None
        self.column_lineage: tuple[tuple[str, tuple[ColumnInput, ...]], ...] | None = None
        self._source: Run | None = None
        self._registered = False  # True once the service has it (or our OutputRegistered)
        self._host: RecordHost | None = None

    @classmethod
    def for_file(
        cls,
        facts: FileFacts,
        source: Run | None,
        existing: DObject | None,
        fields: tuple[DatasetField, ...] | None = None,
        column_lineage: tuple[tuple[str, tuple[ColumnInput, ...]], ...] | None = None,
    ) -> DObject:
        """`existing` (with a warning naming it) when known, else a new DObject."""
        if existing is None:
            new = cls.from_facts(facts, source)
            new.fields, new.column_lineage = fields, column_lineage
            return new
        if (fields or column_lineage) and existing._registered:
            log.warning(
                "fields/column_lineage of %s are not sent: the DObject is registered already",
                facts.path,
            )
        log.warning(
            "returning existing DObject %s%s (id %s) with the same content hash as %s",
            existing.name,
            existing.suffix,
            existing.id,
            facts.path,
        )
        if existing.path is None:
            existing.path = facts.path
        return existing

    @classmethod
    def from_facts(cls, facts: FileFacts, source: Run | None) -> DObject:
        """A new DObject for a file (no look-up of existing ones)."""
        self = object.__new__(cls)
        self._fill(
            dobject_id(facts.hash),
            name=facts.name,
            suffix=facts.suffix,
            size=facts.size,
            content_hash=facts.hash,
            uri=facts.uri,
            created_at=None,
        )
        self.path = facts.path
        self._source = source
        return self

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> DObject:
        self = object.__new__(cls)
        created = data.get("createdAt")
        size = data.get("size")
        self._fill(
            uuid.UUID(data["id"]),
            name=data["name"],
            suffix=data.get("suffix") or "",
            size=int(size) if size is not None else None,
            content_hash=data.get("hash"),
            uri=data.get("uri"),
            created_at=datetime.fromisoformat(created) if created else None,
        )
        self._registered = True
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

    def load(self, is_run_input: bool = False, run: Run | None = None) -> Path | None:
        """Return the local path of the file; with `is_run_input=True` also record it as
        an input (`InputLoaded`) of `run` or of `ln.context.run`."""
        if is_run_input or run is not None:
            host_of(self, run).load_input(self, run)
        return self.path

    def view_lineage(self) -> str:
        """This DObject in the lineage explorer: inline in Jupyter, else its deep link
        printed; returns the link."""
        return view_lineage(host_of(self).api_url, "dobject", self.id)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DObject) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return (
            f"DObject(id={str(self.id)!r}, name={self.name!r}, suffix={self.suffix!r}, "
            f"size={self.size!r}, hash={self.hash!r})"
        )


def transform_from_api(data: dict[str, Any]) -> Transform:
    """A Pipeline or Notebook from its GraphQL fields."""
    is_notebook = (
        str(data.get("type", "")).upper() == "NOTEBOOK" or data.get("__typename") == "Notebook"
    )
    cls: type[Transform] = Notebook if is_notebook else Pipeline
    return cls(
        name=data["name"],
        version=data["version"],
        title=data.get("title"),
        reference=data.get("reference"),
    )


def record_from_api(kind: str, row: dict[str, Any]) -> Any:
    """A record of `kind` (`dobject`, `run`, `notebook`, `pipeline`) from its GraphQL fields."""
    if kind == "dobject":
        return DObject.from_api(row)
    if kind == "run":
        return Run.from_api(row)
    return transform_from_api(row)


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _local_path(uri: str | None) -> Path | None:
    if not uri or not uri.startswith("file:"):
        return None
    path = Path(unquote(urlparse(uri).path))
    return path if path.exists() else None
