"""OpenLineage facets -> the version 2 and 3 fields of our events (pure).

- ParentRunFacet (`run.facets.parent`) -> `RunStarted.parent_run_id`: the parent's
  `run.runId` as it is, which is how the ingest maps the `run.runId` of the parent's own
  events, so parent and child meet.
- SchemaDatasetFacet (`facets.schema` of an output or an input) -> `OutputRegistered.fields`
  or `InputLoaded.fields`, nested fields flattened with dots in document order
  (`address`, then `address.city`).
- DatasetVersionDatasetFacet (`facets.version.datasetVersion`, on inputs and outputs) ->
  `dobject.version`, the label of the version read or written.
- ColumnLineageDatasetFacet (`facets.columnLineage` of an output) ->
  `OutputRegistered.column_lineage`; an input field's (namespace, name) becomes a dobject
  id as an input dataset's does; its transformations become `TYPE/SUBTYPE` (or `TYPE`),
  several joined by `, `. Dataset-level dependencies (`dataset`) stay in the raw document.

A facet that is not shaped as its schema says maps to nothing (facet_checks warns about
it); one that is well shaped but beyond our events' limits is a MappingError (a 400).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from lineage_core import events as ev
from lineage_core.ids import dataset_dobject_id

FIELD_NAME_LIMIT = 1024
FIELD_TYPE_LIMIT = 256
TEXT_LIMIT = 4096
TRANSFORMATION_LIMIT = 1024


class MappingError(ValueError):
    """The OpenLineage event is valid but cannot be expressed in our events (a limit)."""


def parent_run_id(run_facets: dict[str, Any] | None) -> uuid.UUID | None:
    parent = (run_facets or {}).get("parent")
    run = parent.get("run") if isinstance(parent, dict) else None
    run_id = run.get("runId") if isinstance(run, dict) else None
    if not isinstance(run_id, str):
        return None
    try:
        return uuid.UUID(run_id)
    except ValueError:
        return None


def dataset_version(facets: dict[str, Any] | None) -> str | None:
    """The label of the version a dataset facet names (DatasetVersionDatasetFacet)."""
    facet = (facets or {}).get("version")
    label = facet.get("datasetVersion") if isinstance(facet, dict) else None
    if not isinstance(label, str) or not label:
        return None
    _check_length("datasetVersion", label, ev.VERSION_LABEL_LIMIT)
    return label


def dataset_fields(facets: dict[str, Any] | None) -> tuple[ev.DatasetField, ...] | None:
    schema = (facets or {}).get("schema")
    fields = schema.get("fields") if isinstance(schema, dict) else None
    if not isinstance(fields, list):
        return None
    seen: dict[str, ev.DatasetField] = {}
    for name, spec in _flatten(fields, ""):
        if name in seen:
            continue  # listed twice (flat and nested): the first stands
        seen[name] = _field(name, spec)
        if len(seen) > ev.MAX_FIELDS:
            raise MappingError(f"schema facet has over {ev.MAX_FIELDS} fields")
    return tuple(seen.values())


def _flatten(fields: list[Any], prefix: str) -> Iterable[tuple[str, dict[str, Any]]]:
    for spec in fields:
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"]:
            continue
        name = prefix + spec["name"]
        yield name, spec
        nested = spec.get("fields")
        if isinstance(nested, list):
            yield from _flatten(nested, name + ".")


def _field(name: str, spec: dict[str, Any]) -> ev.DatasetField:
    kind = spec.get("type") if isinstance(spec.get("type"), str) else None
    description = spec.get("description") if isinstance(spec.get("description"), str) else None
    _check_length("field name", name, FIELD_NAME_LIMIT)
    _check_length(f"type of field {name!r}", kind, FIELD_TYPE_LIMIT)
    _check_length(f"description of field {name!r}", description, TEXT_LIMIT)
    return ev.DatasetField(name=name, type=kind, description=description)


def column_lineage(facets: dict[str, Any] | None) -> tuple[ev.ColumnLineage, ...] | None:
    facet = (facets or {}).get("columnLineage")
    fields = facet.get("fields") if isinstance(facet, dict) else None
    if not isinstance(fields, dict):
        return None
    out = []
    for target, spec in fields.items():
        inputs = _inputs(spec.get("inputFields") if isinstance(spec, dict) else None)
        if not inputs or not target:
            continue  # a field fed by nothing named (or without a name) adds no edge
        _check_length("column lineage field name", target, FIELD_NAME_LIMIT)
        if len(inputs) > ev.MAX_COLUMN_INPUTS:
            raise MappingError(
                f"column lineage of {target[:80]!r} has over {ev.MAX_COLUMN_INPUTS} input fields"
            )
        out.append(ev.ColumnLineage(field=target, inputs=tuple(inputs)))
    if len(out) > ev.MAX_COLUMN_LINEAGE:
        raise MappingError(f"column lineage facet has over {ev.MAX_COLUMN_LINEAGE} fields")
    return tuple(out)


def _inputs(items: object) -> list[ev.ColumnInput]:
    """One input per (dataset, field); the transformations of repeats are merged."""
    merged: dict[tuple[uuid.UUID, str], list[str]] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        namespace, name, field = item.get("namespace"), item.get("name"), item.get("field")
        if not all(isinstance(v, str) and v for v in (namespace, name, field)):
            continue
        _check_length("column lineage input field name", str(field), FIELD_NAME_LIMIT)
        key = (dataset_dobject_id(str(namespace), str(name)), str(field))
        kinds = merged.setdefault(key, [])
        for kind in _transformations(item.get("transformations")):
            if kind not in kinds:
                kinds.append(kind)
    out = []
    for (dobject_id, field), kinds in merged.items():
        transformation = ", ".join(kinds) or None
        _check_length(f"transformations of {field!r}", transformation, TRANSFORMATION_LIMIT)
        out.append(
            ev.ColumnInput(dobject_id=dobject_id, field=field, transformation=transformation)
        )
    return out


def _transformations(items: object) -> list[str]:
    out = []
    for item in items if isinstance(items, list) else []:
        kind = item.get("type") if isinstance(item, dict) else None
        if not isinstance(kind, str) or not kind:
            continue
        subtype = item.get("subtype")
        out.append(f"{kind}/{subtype}" if isinstance(subtype, str) and subtype else kind)
    return out


def _check_length(what: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise MappingError(f"{what} {value[:80]!r}... is over {limit} characters")
