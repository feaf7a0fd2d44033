"""What records ask of the client behind them: the relation look-ups.

A record answers what it knows by itself (ids, names, hashes) and asks its *host* for the
rest (`run.inputs`, `dobject.targets`, the content-hash look-up of
`DObject(path)`, `with run:`): the client that produced or published it (the async client
binds every record it touches), else the default host that the module-level runtime
installs when `import producer_sdk` runs (`set_default_host`). So the records import no
client, and the direction of imports is records <- planning <- client core <- runtime.

This module sits below the records (they import it), so the host's protocol does not
name them: a record is `Any` here, and each record's own property gives the precise type
of what it asks for (`Run.inputs -> list[DObject]`). The clients that implement the
protocol name the records precisely.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from producer_sdk.errors import LineageError

RunStatus = Literal["STARTED", "COMPLETED", "FAILED"]
FinalStatus = Literal["completed", "failed"]
# What a record reads on access: `inputs`/`outputs`/`input_versions`/`output_versions` of
# a run, `source`/`targets`/`versions`/`current_version` of a DObject.
Relation = Literal[
    "inputs",
    "outputs",
    "input_versions",
    "output_versions",
    "source",
    "targets",
    "versions",
    "current_version",
]


class RecordHost(Protocol):
    """What records ask of the client behind them (blocking calls); `record`, `run`,
    `dobject`, `transform`: the asking record (`producer_sdk.records`)."""

    @property
    def api_url(self) -> str:
        """The API base URL (for deep links)."""
        ...

    def related(self, record: Any, relation: Relation) -> list[Any]:
        """A relation of a run or a DObject (see `Relation`), read now."""
        ...

    def transform_runs(self, transform: Any) -> list[Any]: ...

    def existing_dobject(self, content_hash: str) -> Any:
        """The DObject with this content hash, if this process or the service has one."""
        ...

    def load_input(self, dobject: Any, run: Any) -> None:
        """`InputLoaded` of `dobject` for `run` (None: the current run), with the hash of
        the content loaded (its local file's, hashed again if it changed)."""
        ...

    def finish_run(self, run: Any, status: FinalStatus, error: str | None) -> None: ...

    def enter_run(self, run: Any) -> None: ...

    def exit_run(self, run: Any, exc: BaseException | None) -> None: ...

    def watch(self, record: Any, options: WatchOptions) -> Iterator[Any]:
        """The changes of a record's lineage, as they happen (docs/reference/watches.md)."""
        ...


@dataclass(frozen=True)
class WatchOptions:
    """What `watch(...)` of a record asks for: the change kinds (None: every kind), the
    direction and depth of the watched lineage, and how long to wait for a change."""

    kinds: tuple[str, ...] | None = None
    direction: str = "UPSTREAM"
    depth: int = 10
    timeout: float | None = None


class _Default:
    host: Callable[[], RecordHost] | None = None


def set_default_host(provider: Callable[[], RecordHost] | None) -> None:
    """Install what unbound records ask (the module-level runtime does, at import)."""
    _Default.host = provider


def host_of(*records: Any) -> RecordHost:
    """The host of the first of `records` bound to one, else the default host."""
    for record in records:
        bound: RecordHost | None = record._host if record is not None else None
        if bound is not None:
            return bound
    if _Default.host is None:
        raise LineageError("no lineage client: `import producer_sdk` installs the default one")
    return _Default.host()
