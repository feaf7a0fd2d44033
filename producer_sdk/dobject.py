"""`ln.DObject`: a data object (a file) in the lineage graph.

Ids: a new file's id is derived from its content hash,
`uuid5(NAMESPACE_URL, "lineage:dobject/<hash>")`, so that two producers registering the
same content while the service is unreachable still agree on one DObject.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import unquote, urlparse

from producer_sdk.files import FileFacts, file_facts

if TYPE_CHECKING:
    from producer_sdk.schema import Run

log = logging.getLogger("producer_sdk")


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

    def __new__(cls, path: str | Path, source: Run | None = None) -> DObject:  # noqa: PYI034
        facts = file_facts(path)
        from producer_sdk import _runtime

        existing = _runtime.client().existing_dobject(facts.hash)
        if existing is not None:
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
        return cls._from_facts(facts, source)

    def __init__(self, path: str | Path, source: Run | None = None) -> None:
        """Everything happens in `__new__`, which may return an existing DObject."""

    def _fill(
        self,
        id: uuid.UUID,
        name: str,
        suffix: str,
        size: int | None,
        hash: str | None,
        uri: str | None,
        created_at: datetime | None,
    ) -> None:
        self.id, self.name, self.suffix = id, name, suffix
        self.size, self.hash, self.uri, self.created_at = size, hash, uri, created_at
        self.path = _local_path(uri)
        self._source: Run | None = None
        self._registered = False  # True once the service has it (or our OutputRegistered)

    @classmethod
    def _from_facts(cls, facts: FileFacts, source: Run | None) -> DObject:
        """A new DObject for a file (no look-up of existing ones)."""
        self = object.__new__(cls)
        self._fill(
            dobject_id(facts.hash),
            facts.name,
            facts.suffix,
            facts.size,
            facts.hash,
            facts.uri,
            None,
        )
        self.path = facts.path
        self._source = source
        return self

    @classmethod
    def _from_api(cls, data: dict[str, Any]) -> DObject:
        self = object.__new__(cls)
        created = data.get("createdAt")
        size = data.get("size")
        self._fill(
            uuid.UUID(data["id"]),
            data["name"],
            data.get("suffix") or "",
            int(size) if size is not None else None,
            data.get("hash"),
            data.get("uri"),
            datetime.fromisoformat(created) if created else None,
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
        from producer_sdk import _runtime

        return _runtime.client().dobject_source(self)

    @property
    def targets(self) -> list[Run]:
        """The runs that loaded this DObject as an input, as the service knows them now."""
        from producer_sdk import _runtime

        return _runtime.client().dobject_targets(self)

    def load(self, is_run_input: bool = False, run: Run | None = None) -> Path | None:
        """Return the local path of the file; with `is_run_input=True` also record it as
        an input (`InputLoaded`) of `run` or of `ln.context.run`."""
        if is_run_input or run is not None:
            from producer_sdk import _runtime

            _runtime.load_input(self, run)
        return self.path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DObject) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return (
            f"DObject(id={str(self.id)!r}, name={self.name!r}, suffix={self.suffix!r}, "
            f"size={self.size!r}, hash={self.hash!r})"
        )


def _local_path(uri: str | None) -> Path | None:
    if not uri or not uri.startswith("file:"):
        return None
    path = Path(unquote(urlparse(uri).path))
    return path if path.exists() else None
