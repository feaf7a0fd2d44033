"""The core OpenLineage RunEvent (spec 2-0-x) as pydantic models; facets stay raw JSON.

Extra fields are allowed, as Marquez allows them: only what the mapping needs is checked.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Facets = dict[str, Any]
_FRACTION = re.compile(r"(\.\d{6})\d+")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Run(_Open):
    runId: uuid.UUID
    facets: Facets | None = None


class Job(_Open):
    namespace: str = Field(min_length=1)
    name: str = Field(min_length=1)
    facets: Facets | None = None


class Dataset(_Open):
    namespace: str = Field(min_length=1)
    name: str = Field(min_length=1)
    facets: Facets | None = None


class InputDataset(Dataset):
    inputFacets: Facets | None = None


class OutputDataset(Dataset):
    outputFacets: Facets | None = None


def parse_event_time(value: str) -> tuple[datetime, bool]:
    """An OpenLineage eventTime; nanoseconds are cut to microseconds, and a time without
    an offset is taken as UTC (Marquez accepts it). Returns (time, had_offset)."""
    text = _FRACTION.sub(r"\1", value.strip())
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC), False
    return parsed, True


class _Timed(_Open):
    eventTime: str
    producer: str = Field(min_length=1)
    schemaURL: str | None = None

    @field_validator("eventTime")
    @classmethod
    def _valid_time(cls, value: str) -> str:
        try:
            parse_event_time(value)
        except ValueError:
            raise ValueError(f"eventTime {value!r} is not an ISO 8601 date-time") from None
        return value


class RunEvent(_Timed):
    eventType: Literal["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"] | None = None
    run: Run
    job: Job
    inputs: list[InputDataset] = Field(default_factory=list)
    outputs: list[OutputDataset] = Field(default_factory=list)


class DatasetEvent(_Timed):
    dataset: Dataset


class JobEvent(_Timed):
    job: Job
    inputs: list[InputDataset] = Field(default_factory=list)
    outputs: list[OutputDataset] = Field(default_factory=list)


AnyEvent = RunEvent | DatasetEvent | JobEvent


def parse_event(data: object) -> AnyEvent:
    """Pick the event kind and validate the document as that kind.

    A schemaURL naming one of the spec's event definitions (`#/$defs/RunEvent`, or
    `#/definitions/JobEvent` of spec 1) decides. Without one, `run` or `eventType` (which
    only RunEvents have) makes a RunEvent, so one with `eventType` but no `run` is refused
    for its missing `run`; then `dataset` makes a DatasetEvent and a `job` alone a JobEvent.
    """
    if not isinstance(data, dict):
        raise ValueError("an OpenLineage event must be a JSON object")  # noqa: TRY004 - a 400
    kind = _DEFINITION.search(str(data.get("schemaURL") or ""))
    if kind is not None:
        return _KINDS[kind.group(1)].model_validate(data)
    if "run" in data or "eventType" in data:
        return RunEvent.model_validate(data)
    if "dataset" in data:
        return DatasetEvent.model_validate(data)
    if "job" in data:
        return JobEvent.model_validate(data)
    raise ValueError("not an OpenLineage event: it has none of run, job, dataset")


_DEFINITION = re.compile(r"/(?:\$defs|definitions)/(RunEvent|JobEvent|DatasetEvent)/?$")
_KINDS: dict[str, type[RunEvent] | type[JobEvent] | type[DatasetEvent]] = {
    "RunEvent": RunEvent,
    "JobEvent": JobEvent,
    "DatasetEvent": DatasetEvent,
}
