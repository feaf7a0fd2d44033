"""GraphQL answers -> records: the API's rows as Pipeline, Notebook, Run, DObject and
their versions.

The fields each kind is read with are `producer_sdk.query.SELECTION`'s.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from producer_sdk.dataset_fields import DatasetField
from producer_sdk.records import (
    DObject,
    DObjectVersion,
    InputVersion,
    LineageChange,
    Notebook,
    Pipeline,
    Run,
    Transform,
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


def run_from_api(data: dict[str, Any]) -> Run:
    """A run as the service knows it (started and finished by whoever ran it)."""
    run = Run(id=uuid.UUID(data["id"]), name=data.get("name"))
    run.status = data.get("status")
    run.started_at = parse_time(data.get("startedAt"))
    run.finished_at = parse_time(data.get("finishedAt"))
    t = data.get("transform")
    if t:
        run.transform = transform_from_api(t)
    run._started = True  # the service has it: this process never starts it
    run._finished = run.status in ("COMPLETED", "FAILED")
    return run


def dobject_from_api(data: dict[str, Any]) -> DObject:
    """A DObject the service has (so `ln.add` of it adds nothing)."""
    dobject = object.__new__(DObject)
    size = data.get("size")
    uri = data.get("uri")
    dobject.fill(
        uuid.UUID(data["id"]),
        name=data["name"],
        suffix=data.get("suffix") or "",
        size=int(size) if size is not None else None,
        content_hash=data.get("hash"),
        uri=uri,
        created_at=parse_time(data.get("createdAt")),
        path=local_path(uri),
    )
    dobject._registered = True  # the service has it
    return dobject


def version_from_api(data: dict[str, Any]) -> DObjectVersion:
    """A version (`producer_sdk.query.VERSION` or `VERSION_CORE`)."""
    size = data.get("size")
    stale_inputs = data.get("staleInputs")
    return DObjectVersion(
        id=uuid.UUID(data["id"]),
        dobject=dobject_from_api(data["dobject"]),
        number=int(data["number"]),
        run=run_from_api(data["run"]),
        created_at=datetime.fromisoformat(data["createdAt"]),
        hash=data.get("hash"),
        size=int(size) if size is not None else None,
        label=data.get("label"),
        fields=tuple(
            DatasetField(f["name"], f.get("type"), f.get("description"))
            for f in data.get("fields") or ()
        ),
        stale=bool(data.get("stale")),
        stale_inputs=(
            tuple(input_version_from_api(i) for i in stale_inputs)
            if stale_inputs is not None
            else None
        ),
    )


def input_version_from_api(data: dict[str, Any]) -> InputVersion:
    """An input of a run with the version it read (`producer_sdk.query.INPUT_VERSION`)."""
    version = data.get("version")
    return InputVersion(
        dobject=dobject_from_api(data["dobject"]),
        version=version_from_api(version) if version else None,
        loaded_at=datetime.fromisoformat(data["loadedAt"]),
    )


def change_from_api(data: dict[str, Any]) -> LineageChange:
    """A change of a watch (`producer_sdk.query.WATCH`)."""
    dobject, version, run = data.get("dobject"), data.get("version"), data.get("run")
    return LineageChange(
        kind=data["kind"],
        sequence=int(data["sequence"]),
        occurred_at=datetime.fromisoformat(data["occurredAt"]),
        distance=int(data["distance"]),
        dobject=dobject_from_api(dobject) if dobject else None,
        version=version_from_api(version) if version else None,
        run=run_from_api(run) if run else None,
    )


def record_from_api(kind: str, row: dict[str, Any]) -> Any:
    """A record of `kind` (`dobject`, `run`, `notebook`, `pipeline`, `version`,
    `input_version`) from its GraphQL fields."""
    if kind == "dobject":
        return dobject_from_api(row)
    if kind == "run":
        return run_from_api(row)
    if kind == "version":
        return version_from_api(row)
    if kind == "input_version":
        return input_version_from_api(row)
    return transform_from_api(row)


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def local_path(uri: str | None) -> Path | None:
    """The file behind a `file:` uri, when it exists on this machine."""
    if not uri or not uri.startswith("file:"):
        return None
    path = Path(unquote(urlparse(uri).path))
    return path if path.exists() else None
