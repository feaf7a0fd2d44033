"""`ln.DObject(path)`: a file as a data object, and what it is related to.

A new file's id is derived from its content hash, `uuid5(NAMESPACE_URL,
"lineage:dobject/<hash>")`, so two producers registering the same content while the
service is unreachable still agree on one DObject; and `DObject(path)` of content the
service already has returns that DObject (with a warning naming it), as lamindb does, so
a program can run any number of times.

With `key=` the key is the identity instead (docs/reference/versions.md),
`uuid5(NAMESPACE_URL, "lineage:dobject-key/<key>")`, as lamindb's keys make version
families: each `ln.add` of a file under a key is a write of that dobject, new content a
new version, content it had before that version again (so a rollback is current again).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Final

from producer_sdk.dataset_fields import (
    ColumnInput,
    DatasetField,
    parse_column_lineage,
    parse_fields,
)
from producer_sdk.files import FileFacts, file_facts, split_name
from producer_sdk.host import RecordHost, WatchOptions, host_of
from producer_sdk.lineage_view import view_lineage

if TYPE_CHECKING:
    from producer_sdk.dataset_fields import FieldSpec, InputSpec
    from producer_sdk.records import Run
    from producer_sdk.versions import DObjectVersion, LineageChange

MAX_KEY: Final = 4096  # as a uri: the key names the dataset, like a path
MAX_LABEL: Final = 256  # a version label's limit on the wire

log = logging.getLogger("producer_sdk")


def dobject_id(content_hash: str) -> uuid.UUID:
    """The id of a new DObject with this content hash."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"lineage:dobject/{content_hash}")


def keyed_dobject_id(key: str) -> uuid.UUID:
    """The id of the DObject of a key (`ln.DObject(path, key=...)`)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"lineage:dobject-key/{key}")


class DObject:
    """A file: `ln.DObject(path)` reads its name, suffix, size and content hash.

    If the service already has a DObject with the same content hash, that DObject is
    returned instead (with a warning naming it), as lamindb does; so a program can run
    any number of times. `ln.add(dobject)` registers it as an output of its `source` run
    (or of `ln.context.run`).

    Attributes: `id`, `name` (no suffix), `suffix` (every part: `.fastq.gz`), `size`,
    `hash`, `uri`, `created_at` (from the service), `path` (local file, when known).

    `key="results/summary.csv"` makes the key its identity: its name and suffix are the
    key's last part's, and every `ln.add` of it is a write, so new content under the key
    is a new version of the same DObject (see `versions`, `current_version`).
    `version="2026-12-01"` sends a label of the version written (or loaded).

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

    def __init__(
        self,
        path: str | Path,
        source: Run | None = None,
        *,
        key: str | None = None,
        version: str | None = None,
        fields: Iterable[FieldSpec] | None = None,
        column_lineage: Mapping[str, Iterable[InputSpec]] | None = None,
    ) -> None:
        """Everything happens in `__new__`, which may return an existing DObject."""

    def fill(
        self,
        dobject_id: uuid.UUID,
        *,
        name: str,
        suffix: str,
        size: int | None,
        content_hash: str | None,
        uri: str | None,
        created_at: datetime | None,
        path: Path | None,
    ) -> None:
        """Set every attribute (the constructors below and `producer_sdk.rows` do)."""
        self.id, self.name, self.suffix = dobject_id, name, suffix
        self.size, self.hash, self.uri, self.created_at = size, content_hash, uri, created_at
        self.path = path
        self.key: str | None = None  # the identity, when it is a key's
        self.label: str | None = None  # sent as the version's label (version=)
        self.facts: FileFacts | None = None  # the local file as this process hashed it
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
        if label is not None:
            log.warning("version=%r of %s is not sent: its content is known", label, facts.path)
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
        if existing.path is None or existing.path == facts.path:
            existing.path, existing.facts = facts.path, facts
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
        """A new DObject for a file (no look-up of existing ones): its identity is the
        key's when there is one, else the content's."""
        self = object.__new__(cls)
        name, suffix = (
            split_name(key.rstrip("/").rsplit("/", 1)[-1]) if key else (facts.name, facts.suffix)
        )
        self.fill(
            keyed_dobject_id(key) if key is not None else dobject_id(facts.hash),
            name=name,
            suffix=suffix,
            size=facts.size,
            content_hash=facts.hash,
            uri=facts.uri,
            created_at=None,
            path=facts.path,
        )
        self.key, self.label, self.facts = key, label, facts
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
        """Return the local path of the file; with `is_run_input=True` also record it as
        an input (`InputLoaded`) of `run` or of `ln.context.run`, with the hash of the
        content loaded (the local file's, hashed again if it changed since this process
        read it), so the input binds to exactly that version."""
        if is_run_input or run is not None:
            host_of(self, run).load_input(self, run)
        return self.path

    def watch(
        self,
        kinds: Iterable[str] | None = None,
        *,
        direction: str = "UPSTREAM",
        depth: int = 10,
        timeout: float | None = None,
    ) -> Iterator[LineageChange]:
        """The changes of this DObject's lineage as they happen: `for change in
        dobject.watch(kinds=["NEW_VERSION"]):` waits for new upstream data.

        Subscribed when this returns, so nothing that happens after is missed. `kinds`:
        NEW_VERSION, SCHEMA_CHANGED, BECAME_STALE, RUN_STARTED, RUN_COMPLETED,
        RUN_FAILED (None: all); `direction`, `depth`: the watched lineage (UPSTREAM,
        DOWNSTREAM or BOTH; 1..50 hops). The iteration ends after `timeout` seconds
        without a change (None: never); `break` or `.close()` ends the watch.
        """
        options = WatchOptions(
            tuple(kinds) if kinds is not None else None, direction, depth, timeout
        )
        return host_of(self).watch(self, options)

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


def check_key(key: str | None, label: str | None) -> None:
    """A clear TypeError for a key or a version label the service would refuse."""
    if key is not None and (not isinstance(key, str) or not key.strip("/") or len(key) > MAX_KEY):
        raise TypeError(
            f"key= takes a non-empty text of at most {MAX_KEY} characters, such as "
            f'"results/summary.csv"; got {key!r}'
        )
    if label is not None and (not isinstance(label, str) or not label or len(label) > MAX_LABEL):
        raise TypeError(
            f"version= takes a non-empty text of at most {MAX_LABEL} characters (the label of "
            f"this version, such as a date); got {label!r}"
        )
