"""The five lineage events: the only vocabulary shared by the SDK, projector and API.

Frozen pydantic v2 models with `extra="forbid"`. `encode` and `decode` are pure
functions between models and the bytes of one NATS message. Events of an older
`schema_version` are upcast on decode; a newer one is invalid.

Version 2 added `RunStarted.parent_run_id` and `OutputRegistered.fields` /
`column_lineage`; version 3 added `dobject.version` (a producer's label of the version it
loaded or wrote) on `InputLoaded` and `OutputRegistered`, and `InputLoaded.fields`. An
event of an older version that carries a newer field is invalid, as any unknown field is
(docs/reference/versions.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Final, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import from_json

from lineage_core.ids import transform_id

CURRENT_SCHEMA_VERSION: Final = 3
MAX_MESSAGE_BYTES: Final = 64 * 1024
# Counts per OutputRegistered; the 64 KiB message limit usually binds first.
MAX_FIELDS: Final = 2048
MAX_COLUMN_LINEAGE: Final = 2048
MAX_COLUMN_INPUTS: Final = 512

Name = Annotated[str, Field(min_length=1, max_length=512)]
Version = Annotated[str, Field(min_length=1, max_length=512)]
Suffix = Annotated[str, Field(max_length=64)]
LongText = Annotated[str, Field(max_length=4096)]
Producer = Annotated[str, Field(max_length=256)]
# A field of a dataset; nested fields are flattened with dots (`address.city`).
FieldName = Annotated[str, Field(min_length=1, max_length=1024)]
FieldType = Annotated[str, Field(max_length=256)]
Transformation = Annotated[str, Field(max_length=1024)]
# A producer's own name of a dataset version (version 3), e.g. dbt's or Iceberg's.
VERSION_LABEL_LIMIT: Final = 256
VersionLabel = Annotated[str, Field(max_length=VERSION_LABEL_LIMIT)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Transform(_Frozen):
    """A notebook or pipeline, identified by `(type, name, version)`."""

    id: uuid.UUID
    type: Literal["notebook", "pipeline"]
    name: Name
    version: Version
    title: LongText | None = None
    reference: LongText | None = None

    @model_validator(mode="after")
    def _id_is_derived(self) -> Transform:
        expected = transform_id(self.type, self.name, self.version)
        if self.id != expected:
            raise ValueError(
                f"transform id {self.id} is not uuid5 of "
                f"({self.type}, {self.name}, {self.version}); expected {expected}"
            )
        return self


class DObjectRef(_Frozen):
    """A data object as events carry it. `name` has no suffix; `suffix` keeps every part."""

    id: uuid.UUID
    name: Name
    suffix: Suffix
    size: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None
    hash: Annotated[str, Field(max_length=512)] | None = None
    uri: LongText | None = None
    version: VersionLabel | None = None  # version 3: the producer's label of this version


class DatasetField(_Frozen):
    """One field of a dobject's schema, in the producer's order."""

    name: FieldName
    type: FieldType | None = None
    description: LongText | None = None


class ColumnInput(_Frozen):
    """A field of another dobject that feeds an output field."""

    dobject_id: uuid.UUID
    field: FieldName
    # `TYPE/SUBTYPE` (or `TYPE`), several joined by `, `, e.g. "DIRECT/IDENTITY".
    transformation: Transformation | None = None


class ColumnLineage(_Frozen):
    """Where one field of the output comes from."""

    field: FieldName
    inputs: Annotated[tuple[ColumnInput, ...], Field(min_length=1, max_length=MAX_COLUMN_INPUTS)]

    @model_validator(mode="after")
    def _inputs_are_unique(self) -> ColumnLineage:
        keys = [(i.dobject_id, i.field) for i in self.inputs]
        if len(set(keys)) != len(keys):
            raise ValueError(f"column_lineage of {self.field!r} names an input field twice")
        return self


class _Envelope(_Frozen):
    event_id: uuid.UUID
    event_type: str
    # Strict: 2.0, "2" or true are not versions (the fast and the stepwise decode agree).
    schema_version: Annotated[int, Field(strict=True, ge=1, le=CURRENT_SCHEMA_VERSION)] = (
        CURRENT_SCHEMA_VERSION
    )
    occurred_at: AwareDatetime
    producer: Producer


class TransformRegistered(_Envelope):
    event_type: Literal["TransformRegistered"] = "TransformRegistered"
    transform: Transform


class RunStarted(_Envelope):
    event_type: Literal["RunStarted"] = "RunStarted"
    run_id: uuid.UUID
    transform: Transform
    run_name: Name | None = None
    parent_run_id: uuid.UUID | None = None  # the run that started this one (version 2)


FieldList = Annotated[tuple[DatasetField, ...], Field(max_length=MAX_FIELDS)]


def _unique_field_names(fields: tuple[DatasetField, ...] | None) -> None:
    names = [f.name for f in fields or ()]
    if len(set(names)) != len(names):
        raise ValueError("fields names a field twice")


class InputLoaded(_Envelope):
    event_type: Literal["InputLoaded"] = "InputLoaded"
    run_id: uuid.UUID
    dobject: DObjectRef
    # Version 3: the schema of what was loaded, for a dobject no run has written.
    fields: FieldList | None = None

    @model_validator(mode="after")
    def _names_are_unique(self) -> InputLoaded:
        _unique_field_names(self.fields)
        return self


class OutputRegistered(_Envelope):
    event_type: Literal["OutputRegistered"] = "OutputRegistered"
    run_id: uuid.UUID
    dobject: DObjectRef
    # Version 2: the dobject's schema and where its fields come from.
    fields: FieldList | None = None
    column_lineage: (
        Annotated[tuple[ColumnLineage, ...], Field(max_length=MAX_COLUMN_LINEAGE)] | None
    ) = None

    @model_validator(mode="after")
    def _names_are_unique(self) -> OutputRegistered:
        _unique_field_names(self.fields)
        targets = [c.field for c in self.column_lineage or ()]
        if len(set(targets)) != len(targets):
            raise ValueError("column_lineage names an output field twice")
        return self


class RunFinished(_Envelope):
    event_type: Literal["RunFinished"] = "RunFinished"
    run_id: uuid.UUID
    status: Literal["completed", "failed"]
    error: LongText | None = None


Event = Annotated[
    TransformRegistered | RunStarted | InputLoaded | OutputRegistered | RunFinished,
    Field(discriminator="event_type"),
]
RunEvent = RunStarted | InputLoaded | OutputRegistered | RunFinished
EVENT_TYPES: Final = (
    "TransformRegistered",
    "RunStarted",
    "InputLoaded",
    "OutputRegistered",
    "RunFinished",
)

_EVENT_ADAPTER: Final[TypeAdapter[Event]] = TypeAdapter(Event)


class InvalidEvent(ValueError):
    """Bytes that are not a valid event; `reason` is short enough for a NATS header."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# The fields each event type gained in version 2.
V2_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "RunStarted": ("parent_run_id",),
    "OutputRegistered": ("fields", "column_lineage"),
}


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 only added optional fields; a version 1 event carrying one is invalid."""
    for name in V2_FIELDS.get(str(data.get("event_type")), ()):
        if name in data:
            raise InvalidEvent(
                f"{name}: extra inputs are not permitted in schema_version 1 (added in 2)"
            )
    return data


# The fields each event type gained in version 3 (`dobject.version` is nested).
V3_FIELDS: Final[dict[str, tuple[str, ...]]] = {"InputLoaded": ("fields",)}
V3_DOBJECT_FIELDS: Final = ("version",)


def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    """Version 3 only added optional fields; an older event carrying one is invalid."""
    event_type = str(data.get("event_type"))
    for name in V3_FIELDS.get(event_type, ()):
        if name in data:
            raise InvalidEvent(_too_new(name, 3))
    dobject = data.get("dobject")
    if event_type in ("InputLoaded", "OutputRegistered") and isinstance(dobject, dict):
        for name in V3_DOBJECT_FIELDS:
            if name in dobject:
                raise InvalidEvent(_too_new(f"dobject.{name}", 3))
    return data


def _too_new(name: str, added_in: int) -> str:
    # the event may be older still, already upcast a step: name the version it needs
    return f"{name}: extra inputs are not permitted before schema_version {added_in}"


# UPCASTERS[v] turns the JSON of a version-v event into version v+1.
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
UPCASTERS: dict[int, Upcaster] = {1: _v1_to_v2, 2: _v2_to_v3}


def encode(event: _Envelope) -> bytes:
    """The canonical bytes of an event: compact JSON, fields in model order, no nulls."""
    return event.model_dump_json(exclude_none=True).encode()


E = TypeVar("E", bound="_Envelope")


class EventTooLarge(InvalidEvent):
    """An event over the message limit or a count limit. `size`: the bytes its message
    has (or would have); `over`: each limit it exceeds, as a phrase."""

    def __init__(self, event: _Envelope, size: int, over: list[str]) -> None:
        super().__init__(
            f"{event.event_type} {event.event_id} encodes to {size:,} bytes, over the "
            f"lineage service's limits ({'; '.join(over)})"
        )
        self.size, self.over = size, tuple(over)


def encode_checked(event: _Envelope) -> bytes:
    """`encode`, refusing (EventTooLarge) an event over the message limit or the counts
    of fields and column lineage: the one check producers run before publishing, as an
    oversized event would only be dead-lettered. `event` may be an unvalidated draft
    (`model_construct`), so that one over a count limit is measured too."""
    raw = encode(event)
    lineage = getattr(event, "column_lineage", None) or ()
    counts = (
        (len(getattr(event, "fields", None) or ()), MAX_FIELDS, "fields"),
        (len(lineage), MAX_COLUMN_LINEAGE, "column_lineage entries"),
        (
            max((len(c.inputs) for c in lineage), default=0),
            MAX_COLUMN_INPUTS,
            "inputs of one field",
        ),
    )
    over = [f"{n:,} {what} > {limit:,}" for n, limit, what in counts if n > limit]
    if len(raw) > MAX_MESSAGE_BYTES:
        over.insert(0, f"{len(raw):,} bytes > {MAX_MESSAGE_BYTES:,}, the 64 KiB message limit")
    if over:
        raise EventTooLarge(event, len(raw), over)
    return raw


def build_checked(model: type[E], /, **values: Any) -> tuple[E, bytes]:
    """A producer's new event and its bytes: built unvalidated from `values` (event
    models), encoded, held to the limits (`encode_checked`), then validated from those
    bytes as every reader decodes them. So an event that a count limit keeps from being
    valid still raises EventTooLarge with its size and every limit it exceeds, and what
    is published is exactly what was checked. Invalid otherwise: InvalidEvent."""
    raw = encode_checked(model.model_construct(**values))
    try:
        return model.model_validate_json(raw), raw
    except ValidationError as exc:
        raise InvalidEvent(_short(exc)) from None


def upcast(data: dict[str, Any], current: int = CURRENT_SCHEMA_VERSION) -> dict[str, Any]:
    """Bring an event's JSON from its `schema_version` up to `current`."""
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidEvent(f"schema_version must be a positive integer, got {version!r}")
    if version > current:
        raise InvalidEvent(f"schema_version {version} is newer than supported ({current})")
    while version < current:
        step = UPCASTERS.get(version)
        if step is None:
            raise InvalidEvent(f"no upcaster from schema_version {version}")
        data = {**step(data), "schema_version": version + 1}
        version += 1
    return data


def decode(raw: bytes) -> Event:
    """Parse one NATS message body into an event, upcasting old versions.

    Raises InvalidEvent for anything that is not a valid event of a known version. Every
    reader (projector, rebuild, API) uses this one function. The fast path validates the
    bytes in one step; it only returns an event that names the current schema_version
    itself, which `decode_stepwise` would return too (a property test holds them to it).
    Anything else, an old version to upcast or an invalid event whose reason the DLQ
    header needs, goes through `decode_stepwise`.
    """
    if len(raw) <= MAX_MESSAGE_BYTES:
        try:
            event = _EVENT_ADAPTER.validate_json(raw)
        except ValueError:
            pass
        else:
            # The model's default would fill a missing schema_version in: that is invalid.
            if (
                event.schema_version == CURRENT_SCHEMA_VERSION
                and "schema_version" in event.model_fields_set
            ):
                return event
    return decode_stepwise(raw)


def decode_stepwise(raw: bytes) -> Event:
    """The reference decoder: size, JSON, envelope checks, upcast, then validation.

    It parses with the same JSON parser as the fast path in `decode` (pydantic's), so both
    read the same bytes the same way.
    """
    if len(raw) > MAX_MESSAGE_BYTES:
        raise InvalidEvent(f"message of {len(raw)} bytes exceeds {MAX_MESSAGE_BYTES}")
    try:
        data = from_json(raw, allow_inf_nan=False)
    except ValueError as exc:
        raise InvalidEvent(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidEvent("event must be a JSON object")
    event_type = data.get("event_type")
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
        raise InvalidEvent(f"unknown event_type {event_type!r}")
    data = upcast(data)
    try:
        return _EVENT_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise InvalidEvent(_short(exc)) from None


def _short(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']}")
    return "invalid event: " + "; ".join(parts)
