"""OpenLineage events -> our lineage events (pure).

- job (namespace, name) -> pipeline transform named `<namespace>/<name>`, version from
  the job's `sourceCodeLocation.version` facet where present, else "1";
- run -> run (same id); every RunEvent sends a RunStarted (the projector keeps the earliest),
  with the ParentRunFacet's run id as its parent;
- inputs -> InputLoaded, outputs -> OutputRegistered, dobject id = uuid5 of (namespace, name);
  a dataset's schema facet gives its fields (an input's too: what a dataset no run wrote
  shows), an output's column-lineage facet its column lineage (facet_mapping.py);
- every run's outputs are versions of their datasets (docs/reference/versions.md): the
  `version` facet (DatasetVersionDatasetFacet `datasetVersion`) is the version's label,
  on inputs and outputs; without one, each run writes a version of its own;
- COMPLETE -> RunFinished(completed); FAIL and ABORT -> RunFinished(failed, errorMessage).
Event ids are uuid5 of the OpenLineage event's identity, so a client's retry de-duplicates.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from lineage_core import events as ev
from lineage_core.ids import dataset_dobject_id, transform_id
from openlineage_api.facet_mapping import (
    MappingError,
    column_lineage,
    dataset_fields,
    dataset_version,
    parent_run_id,
)
from openlineage_api.models import Dataset, JobEvent, RunEvent, parse_event_time

FILE_SCHEMES = ("file", "s3", "s3a", "gs", "gcs", "hdfs", "abfs", "abfss", "wasbs", "az")
PRODUCER_LIMIT = 256
MAX_SIZE = 2**63 - 1  # a dobject's size is a BigInt
# the limits of our events (lineage_core.events): longer values cannot be expressed
NAME_LIMIT = 512
TEXT_LIMIT = 4096  # error messages and URIs
SUFFIX_LIMIT = 64  # past this, the dot is part of the name, not a suffix


__all__ = ["MappingError", "event_time", "map_event", "split_dataset_name"]


def map_event(event: RunEvent | JobEvent) -> list[ev.Event]:
    """The lineage events an OpenLineage RunEvent or JobEvent means."""
    occurred_at, _ = parse_event_time(event.eventTime)
    producer = event.producer[:PRODUCER_LIMIT]
    transform = _transform(event.job.namespace, event.job.name, event.job.facets or {})
    if isinstance(event, JobEvent):
        return [
            ev.TransformRegistered(
                event_id=_id(event, "job"),
                occurred_at=occurred_at,
                producer=producer,
                transform=transform,
            )
        ]
    run_id = event.run.runId
    common: dict[str, Any] = {"occurred_at": occurred_at, "producer": producer, "run_id": run_id}
    out: list[ev.Event] = [
        ev.RunStarted(
            event_id=_id(event, "started"),
            transform=transform,
            parent_run_id=parent_run_id(event.run.facets),
            **common,
        )
    ]
    out.extend(
        ev.InputLoaded(
            event_id=_id(event, "in", ds),
            dobject=_dobject(ds, None),
            fields=dataset_fields(ds.facets),
            **common,
        )
        for ds in event.inputs
    )
    for output in event.outputs:
        # a broken standard facet is a warning (facet_checks.py), never a failure here
        stats = (output.outputFacets or {}).get("outputStatistics")
        size = stats.get("size") if isinstance(stats, dict) else None
        out.append(
            ev.OutputRegistered(
                event_id=_id(event, "out", output),
                dobject=_dobject(output, size),
                fields=dataset_fields(output.facets),
                column_lineage=column_lineage(output.facets),
                **common,
            )
        )
    if event.eventType in ("COMPLETE", "FAIL", "ABORT"):
        status: Literal["completed", "failed"] = (
            "completed" if event.eventType == "COMPLETE" else "failed"
        )
        facet = (event.run.facets or {}).get("errorMessage")
        error = facet.get("message") if isinstance(facet, dict) else None
        if event.eventType == "ABORT" and not error:
            error = "aborted"
        out.append(
            ev.RunFinished(
                event_id=_id(event, "finished"),
                status=status,
                error=error[:TEXT_LIMIT] if isinstance(error, str) else None,
                **common,
            )
        )
    for lineage_event in out:
        try:
            ev.encode_checked(lineage_event)
        except ev.InvalidEvent as exc:
            raise MappingError(exc.reason) from None
    return out


def split_dataset_name(namespace: str, name: str) -> tuple[str, str]:
    """(name, suffix) of a dataset: files (a path, or a file-like namespace) split their
    last component at its first dot, `input.fastq.gz` -> (`input`, `.fastq.gz`); tables such
    as `db.schema.table` keep their whole name and no suffix."""
    scheme = namespace.split(":", 1)[0].lower()
    if "/" not in name and scheme not in FILE_SCHEMES:
        return name, ""
    leaf = name.rstrip("/").rsplit("/", 1)[-1] or name
    dot = leaf.find(".", 1)
    if dot == -1 or len(leaf) - dot > SUFFIX_LIMIT:
        return leaf, ""
    return leaf[:dot], leaf[dot:]


def _transform(namespace: str, name: str, facets: dict[str, Any]) -> ev.Transform:
    location = facets.get("sourceCodeLocation")
    version = location.get("version") if isinstance(location, dict) else None
    version = version if isinstance(version, str) and version else "1"
    full = f"{namespace}/{name}"
    if len(full) > NAME_LIMIT or len(version) > NAME_LIMIT:
        raise MappingError(f"job name {full[:80]!r}... is over {NAME_LIMIT} characters")
    return ev.Transform(
        id=transform_id("pipeline", full, version), type="pipeline", name=full, version=version
    )


def _dobject(ds: Dataset, size: object) -> ev.DObjectRef:
    name, suffix = split_dataset_name(ds.namespace, ds.name)
    if len(name) > NAME_LIMIT:
        raise MappingError(f"dataset name {name[:80]!r}... is over {NAME_LIMIT} characters")
    uri = f"{ds.namespace.rstrip('/')}/{ds.name.lstrip('/')}"
    return ev.DObjectRef(
        id=dataset_dobject_id(ds.namespace, ds.name),
        name=name,
        suffix=suffix,
        size=size
        if isinstance(size, int) and not isinstance(size, bool) and 0 <= size <= MAX_SIZE
        else None,
        uri=uri if len(uri) <= TEXT_LIMIT else None,
        version=dataset_version(ds.facets),
    )


def _id(event: RunEvent | JobEvent, kind: str, ds: Dataset | None = None) -> uuid.UUID:
    run = str(event.run.runId) if isinstance(event, RunEvent) else ""
    event_type = event.eventType if isinstance(event, RunEvent) else "JOB"
    parts = [
        "lineage:openlineage",
        run,
        f"{event.job.namespace}/{event.job.name}",
        str(event_type),
        event.eventTime,
        kind,
    ]
    if ds is not None:
        parts += [ds.namespace, ds.name]
    return uuid.uuid5(uuid.NAMESPACE_URL, "\x1f".join(parts))


def event_time(event: Any) -> datetime:
    return parse_event_time(event.eventTime)[0]
