"""GraphQL answers -> records: the API's rows as Pipeline, Notebook, Run and DObject.

The fields each kind is read with are `producer_sdk.query.SELECTION`'s.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from producer_sdk.dobject import DObject
from producer_sdk.records import Notebook, Pipeline, Run, Transform


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


def record_from_api(kind: str, row: dict[str, Any]) -> Any:
    """A record of `kind` (`dobject`, `run`, `notebook`, `pipeline`) from its GraphQL fields."""
    if kind == "dobject":
        return dobject_from_api(row)
    if kind == "run":
        return run_from_api(row)
    return transform_from_api(row)


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def local_path(uri: str | None) -> Path | None:
    """The file behind a `file:` uri, when it exists on this machine."""
    if not uri or not uri.startswith("file:"):
        return None
    path = Path(unquote(urlparse(uri).path))
    return path if path.exists() else None
