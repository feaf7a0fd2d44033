"""Checks of the standard facets we can verify without the network.

A facet that breaks its standard schema does not cost the event its lineage: the event
is accepted, the facet is kept as sent, and a warning names it.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from openlineage_api.models import AnyEvent, DatasetEvent, JobEvent, RunEvent


class _Facet(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Owner(_Facet):
    name: str
    type: str | None = None


class Ownership(_Facet):
    owners: list[_Owner] = Field(default_factory=list)


class _ParentRun(_Facet):
    runId: uuid.UUID


class _ParentJob(_Facet):
    namespace: str
    name: str


class Parent(_Facet):
    run: _ParentRun
    job: _ParentJob


class ErrorMessage(_Facet):
    message: str
    programmingLanguage: str


class DataQualityMetrics(_Facet):
    columnMetrics: dict[str, dict[str, Any]]
    rowCount: StrictInt | None = None
    bytes: StrictInt | None = None
    fileCount: StrictInt | None = None


class OutputStatistics(_Facet):
    rowCount: StrictInt | None = None
    size: StrictInt | None = None
    fileCount: StrictInt | None = None


class NominalTime(_Facet):
    nominalStartTime: str


class _SchemaField(_Facet):
    name: str
    type: str | None = None
    description: str | None = None
    fields: list[_SchemaField] | None = None


class Schema(_Facet):
    fields: list[_SchemaField] = Field(default_factory=list)


class _Transformation(_Facet):
    type: str


class _InputField(_Facet):
    namespace: str
    name: str
    field: str
    transformations: list[_Transformation] | None = None


class _ColumnFields(_Facet):
    inputFields: list[_InputField]


class ColumnLineage(_Facet):
    fields: dict[str, _ColumnFields]
    dataset: list[_InputField] | None = None


RUN_FACETS: dict[str, type[_Facet]] = {
    "parent": Parent,
    "errorMessage": ErrorMessage,
    "nominalTime": NominalTime,
}
JOB_FACETS: dict[str, type[_Facet]] = {"ownership": Ownership}
DATASET_FACETS: dict[str, type[_Facet]] = {
    "ownership": Ownership,
    "schema": Schema,
    "columnLineage": ColumnLineage,
}
INPUT_FACETS: dict[str, type[_Facet]] = {"dataQualityMetrics": DataQualityMetrics}
OUTPUT_FACETS: dict[str, type[_Facet]] = {"outputStatistics": OutputStatistics}


def facet_warnings(event: AnyEvent) -> list[str]:
    """One line per standard facet that breaks its schema, naming where it is."""
    found: list[str] = []
    if isinstance(event, RunEvent):
        found += _check("run.facets", event.run.facets, RUN_FACETS)
    if isinstance(event, RunEvent | JobEvent):
        found += _check("job.facets", event.job.facets, JOB_FACETS)
        for i, ds in enumerate(event.inputs):
            found += _check(f"inputs[{i}].facets", ds.facets, DATASET_FACETS)
            found += _check(f"inputs[{i}].inputFacets", ds.inputFacets, INPUT_FACETS)
        for i, out in enumerate(event.outputs):
            found += _check(f"outputs[{i}].facets", out.facets, DATASET_FACETS)
            found += _check(f"outputs[{i}].outputFacets", out.outputFacets, OUTPUT_FACETS)
    if isinstance(event, DatasetEvent):
        found += _check("dataset.facets", event.dataset.facets, DATASET_FACETS)
    return found


def _check(where: str, facets: dict[str, Any] | None, known: dict[str, type[_Facet]]) -> list[str]:
    out: list[str] = []
    for name, model in known.items():
        value = (facets or {}).get(name)
        if value is None:
            continue
        try:
            model.model_validate(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            out.append(f"{where}.{name}: {loc}: {first['msg']} (kept as sent)")
    return out
