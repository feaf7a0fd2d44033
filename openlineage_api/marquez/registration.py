"""What the Marquez-shaped routes learn from accepted OpenLineage documents (pure): the
namespaces, sources, datasets, aliases and jobs they name, one merged row per name.

- Every dataset a RunEvent, JobEvent or DatasetEvent names is registered, with the fields
  of its latest `schema` facet and its dataset facets (later events' keys winning); a
  DatasetEvent is how static lineage registers a dataset with no run.
- Its source is its `dataSource` facet's, else Marquez's `default` source.
- Its `symlinks` facet's identifiers become aliases that find it.
- A JobEvent's inputs and outputs are the job's declared ones (the latest JobEvent's).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from lineage_core.ids import dataset_dobject_id
from lineage_read.marquez.registry import DatasetRow, JobRow, Registrations, SourceRow
from openlineage_api.facet_mapping import MappingError, dataset_fields

DEFAULT_SOURCE = "default"  # Marquez's source of datasets without a dataSource facet


def registrations(documents: Iterable[tuple[dict[str, Any], datetime]]) -> Registrations:
    """The merged registrations of accepted documents, each with its parsed eventTime."""
    namespaces: dict[str, tuple[datetime, datetime]] = {}
    sources: dict[str, SourceRow] = {}
    datasets: dict[tuple[str, str], DatasetRow] = {}
    aliases: dict[tuple[str, str], Any] = {}
    jobs: dict[tuple[str, str], JobRow] = {}

    def namespace(name: str, at: datetime) -> None:
        first, last = namespaces.get(name, (at, at))
        namespaces[name] = (min(first, at), max(last, at))

    for document, at in documents:
        job = document.get("job")
        is_run = isinstance(document.get("run"), dict)
        listed: list[tuple[dict[str, Any], bool]] = []
        if isinstance(document.get("dataset"), dict):
            listed.append((document["dataset"], False))
        for key, written in (("inputs", False), ("outputs", True)):
            items = document.get(key)
            if isinstance(items, list):
                listed += [(d, written and is_run) for d in items if isinstance(d, dict)]
        for ds, written in listed:
            row = _dataset(ds, at, written and document.get("eventType") == "COMPLETE")
            if row is None:
                continue
            namespace(row.namespace, at)
            ds_key = (row.namespace, row.name)
            old_row = datasets.get(ds_key)
            datasets[ds_key] = row if old_row is None else _merge_dataset(old_row, row)
            source = _source(ds, at)
            if source is not None:
                old = sources.get(source.name)
                sources[source.name] = source if old is None or source.at >= old.at else old
            for alias in _symlinks(ds):
                if alias != ds_key:
                    aliases[alias] = row.dobject_id
        if isinstance(job, dict) and job.get("namespace") and job.get("name"):
            declared = None if is_run or "dataset" in document else _declared(document)
            row_job = _job(job, at, declared)
            namespace(row_job.namespace, at)
            job_key = (row_job.namespace, row_job.name)
            old_job = jobs.get(job_key)
            jobs[job_key] = row_job if old_job is None else _merge_job(old_job, row_job)
    if datasets and not any(s == DEFAULT_SOURCE for s in sources):
        used = {d.source_name for d in datasets.values()}
        if DEFAULT_SOURCE in used:
            first = min(d.created_at for d in datasets.values())
            sources[DEFAULT_SOURCE] = SourceRow(DEFAULT_SOURCE, "POSTGRESQL", "", first)
    return Registrations(
        namespaces,
        list(sources.values()),
        list(datasets.values()),
        [(ns, name, dobject) for (ns, name), dobject in aliases.items()],
        list(jobs.values()),
    )


def _facets(holder: dict[str, Any]) -> dict[str, Any]:
    facets = holder.get("facets")
    return facets if isinstance(facets, dict) else {}


def _dataset(ds: dict[str, Any], at: datetime, written: bool) -> DatasetRow | None:
    namespace, name = ds.get("namespace"), ds.get("name")
    if not isinstance(namespace, str) or not isinstance(name, str) or not namespace or not name:
        return None
    facets = _facets(ds)
    try:
        fields = dataset_fields(facets) if "schema" in facets else None
    except MappingError:  # a schema our events cannot carry: the dataset without fields
        fields = None
    source = facets.get("dataSource")
    documentation = facets.get("documentation")
    description = documentation.get("description") if isinstance(documentation, dict) else None
    return DatasetRow(
        namespace=namespace,
        name=name,
        dobject_id=dataset_dobject_id(namespace, name),
        source_name=source["name"]
        if isinstance(source, dict) and isinstance(source.get("name"), str) and source["name"]
        else DEFAULT_SOURCE,
        type="STREAM" if _is_stream(facets) else "DB_TABLE",
        created_at=at,
        updated_at=at,
        modified_at=at if written else None,
        fields=None
        if fields is None
        else [{"name": f.name, "type": f.type, "description": f.description} for f in fields],
        fields_at=None if fields is None else at,
        facets=facets,
        facets_at=at if facets else None,
        description=description if isinstance(description, str) else None,
    )


def _is_stream(facets: dict[str, Any]) -> bool:
    kind = facets.get("datasetType")
    return isinstance(kind, dict) and str(kind.get("datasetType", "")).upper() == "STREAM"


def _source(ds: dict[str, Any], at: datetime) -> SourceRow | None:
    facet = _facets(ds).get("dataSource")
    if not isinstance(facet, dict) or not isinstance(facet.get("name"), str) or not facet["name"]:
        return None
    given = facet.get("uri")
    uri = given if isinstance(given, str) else ""
    scheme = uri.split(":", 1)[0].upper() if ":" in uri else ""
    return SourceRow(facet["name"], scheme or "POSTGRESQL", uri, at)


def _symlinks(ds: dict[str, Any]) -> list[tuple[str, str]]:
    facet = _facets(ds).get("symlinks")
    identifiers = facet.get("identifiers") if isinstance(facet, dict) else None
    if not isinstance(identifiers, list):
        return []
    return [
        (i["namespace"], i["name"])
        for i in identifiers
        if isinstance(i, dict)
        and isinstance(i.get("namespace"), str)
        and isinstance(i.get("name"), str)
        and i["namespace"]
        and i["name"]
    ]


def _declared(document: dict[str, Any]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    def ids(key: str) -> list[dict[str, str]]:
        items = document.get(key)
        return [
            {"namespace": d["namespace"], "name": d["name"]}
            for d in (items if isinstance(items, list) else [])
            if isinstance(d, dict)
            and isinstance(d.get("namespace"), str)
            and isinstance(d.get("name"), str)
        ]

    return ids("inputs"), ids("outputs")


def _job(
    job: dict[str, Any],
    at: datetime,
    declared: tuple[list[dict[str, str]], list[dict[str, str]]] | None,
) -> JobRow:
    facets = _facets(job)
    kind = facets.get("jobType")
    processing = str(kind.get("processingType", "")).upper() if isinstance(kind, dict) else ""
    return JobRow(
        namespace=job["namespace"],
        name=job["name"],
        transform_name=f"{job['namespace']}/{job['name']}",
        type="STREAM" if processing == "STREAMING" else "BATCH",
        created_at=at,
        updated_at=at,
        facets=facets,
        facets_at=at if facets else None,
        declared_inputs=None if declared is None else declared[0],
        declared_outputs=None if declared is None else declared[1],
        declared_at=None if declared is None else at,
    )


def _later(a: datetime | None, b: datetime | None) -> bool:
    """b is at least as late as a (a missing time is the earliest)."""
    return b is not None and (a is None or b >= a)


def _merge_dataset(old: DatasetRow, new: DatasetRow) -> DatasetRow:
    later = _later(old.facets_at, new.facets_at)
    return replace(
        old,
        source_name=new.source_name if new.source_name != DEFAULT_SOURCE else old.source_name,
        type=new.type if new.type != "DB_TABLE" else old.type,
        created_at=min(old.created_at, new.created_at),
        updated_at=max(old.updated_at, new.updated_at),
        modified_at=max((t for t in (old.modified_at, new.modified_at) if t), default=None),
        fields=new.fields if _later(old.fields_at, new.fields_at) else old.fields,
        fields_at=max((t for t in (old.fields_at, new.fields_at) if t), default=None),
        facets={**old.facets, **new.facets} if later else {**new.facets, **old.facets},
        facets_at=max((t for t in (old.facets_at, new.facets_at) if t), default=None),
        description=new.description or old.description,
    )


def _merge_job(old: JobRow, new: JobRow) -> JobRow:
    later = _later(old.facets_at, new.facets_at)
    declared = _later(old.declared_at, new.declared_at)
    return replace(
        old,
        type=new.type if new.updated_at >= old.updated_at else old.type,
        created_at=min(old.created_at, new.created_at),
        updated_at=max(old.updated_at, new.updated_at),
        facets={**old.facets, **new.facets} if later else {**new.facets, **old.facets},
        facets_at=max((t for t in (old.facets_at, new.facets_at) if t), default=None),
        declared_inputs=new.declared_inputs if declared else old.declared_inputs,
        declared_outputs=new.declared_outputs if declared else old.declared_outputs,
        declared_at=max((t for t in (old.declared_at, new.declared_at) if t), default=None),
    )
