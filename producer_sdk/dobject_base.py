"""What a DObject is by itself: its identity, its file and its schema.

`producer_sdk.records.DObject` adds what it is related to (its source run, its targets,
its versions); this half names no other record, so it lives below them.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from pathlib import Path

from producer_sdk.dataset_fields import ColumnInput, DatasetField
from producer_sdk.files import FileFacts, split_name
from producer_sdk.host import RecordHost
from producer_sdk.keys import dobject_id, keyed_dobject_id

log = logging.getLogger("producer_sdk")


class DObjectBase:
    """Attributes: `id`, `name` (no suffix), `suffix` (every part: `.fastq.gz`), `size`,
    `hash`, `uri`, `created_at` (from the service), `path` (local file, when known);
    `key` (the identity, when it is a key's), `label` (sent as the version's label),
    `fields` and `column_lineage` (sent with its `OutputRegistered`)."""

    id: uuid.UUID
    name: str
    suffix: str
    size: int | None
    hash: str | None
    uri: str | None
    created_at: datetime | None
    path: Path | None

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
        """Set every attribute (the constructors and `producer_sdk.rows` do)."""
        self.id, self.name, self.suffix = dobject_id, name, suffix
        self.size, self.hash, self.uri, self.created_at = size, content_hash, uri, created_at
        self.path = path
        self.key: str | None = None
        self.label: str | None = None
        self.facts: FileFacts | None = None  # the local file as this process hashed it
        self.fields: tuple[DatasetField, ...] | None = None
        self.column_lineage: tuple[tuple[str, tuple[ColumnInput, ...]], ...] | None = None
        self._registered = False  # True once the service has it (or our OutputRegistered)
        self._host: RecordHost | None = None

    def fill_from_file(self, facts: FileFacts, key: str | None, label: str | None) -> None:
        """Set every attribute from a file this process hashed: the identity is the key's
        when there is one (its name and suffix the key's last part's), else the content's."""
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

    def reuse_for(self, facts: FileFacts, label: str | None, with_schema: bool) -> None:
        """This DObject stands for a file of the same content: say so (and what of the
        file's own arguments is not sent), and take the file's path if it has none."""
        if label is not None:
            log.warning("version=%r of %s is not sent: its content is known", label, facts.path)
        if with_schema and self._registered:
            log.warning(
                "fields/column_lineage of %s are not sent: the DObject is registered already",
                facts.path,
            )
        log.warning(
            "returning existing DObject %s%s (id %s) with the same content hash as %s",
            self.name,
            self.suffix,
            self.id,
            facts.path,
        )
        if self.path is None or self.path == facts.path:
            self.path, self.facts = facts.path, facts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DObjectBase) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return (
            f"DObject(id={str(self.id)!r}, name={self.name!r}, suffix={self.suffix!r}, "
            f"size={self.size!r}, hash={self.hash!r})"
        )
