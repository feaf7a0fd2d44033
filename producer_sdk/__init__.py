"""The producer SDK: record lineage from notebooks and pipelines.

```python
import producer_sdk as ln
from producer_sdk import schema as lns

ln.add(lns.Pipeline(name="Cell Ranger", v="7"))
ln.Run(pipeline_name="Cell Ranger", global_context=True)
ln.add(ln.DObject("output.bam"))          # an output of ln.context.run
```

Events go to NATS JetStream (each call returns once the event is acknowledged, or safely
in the local outbox when NATS is unreachable); queries go to the GraphQL API and see
this process's own events. Importing this package is cheap: pydantic, nats and httpx are
imported on first use.
"""

from __future__ import annotations

from typing import TypeVar

from producer_sdk import _runtime, dev, schema
from producer_sdk._runtime import context
from producer_sdk.errors import (
    EventTooLarge,
    LineageError,
    MultipleResultsFound,
    NoResultFound,
    NoRunError,
    ProjectionLag,
    QueryError,
    ServiceUnreachable,
    UnknownPipeline,
)
from producer_sdk.records import DObject
from producer_sdk.session import Query, Session, select
from producer_sdk.tracking import Run
from producer_sdk.version import __version__

__all__ = [
    "DObject",
    "EventTooLarge",
    "LineageError",
    "MultipleResultsFound",
    "NoResultFound",
    "NoRunError",
    "ProjectionLag",
    "Query",
    "QueryError",
    "Run",
    "ServiceUnreachable",
    "Session",
    "UnknownPipeline",
    "__version__",
    "add",
    "context",
    "dev",
    "flush",
    "schema",
    "select",
]

R = TypeVar("R")


def add(record: R) -> R:
    """Register a record and return it.

    - `lns.Pipeline` / `lns.Notebook`: `TransformRegistered`.
    - `lns.Run`: `RunStarted` (if not started yet).
    - `ln.DObject`: `OutputRegistered` as an output of its `source` run, else of
      `ln.context.run` (started first if needed). A DObject the service already has
      (returned by a query or by `ln.DObject(path)` for known content) adds nothing.
    - a list or tuple of these: each, in order.

    Returns once JetStream acknowledged every event (or they are in the outbox).
    """
    if isinstance(record, list | tuple):
        for item in record:
            _runtime.add(item)
        return record
    _runtime.add(record)
    return record


def flush() -> int:
    """Send events waiting in the outbox now, if NATS is reachable; how many still wait."""
    return _runtime.client().flush()
