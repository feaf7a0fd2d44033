"""The five lineage events: the only vocabulary shared by the SDK, projector and API.

Frozen pydantic v2 models with `extra="forbid"`. `encode` and `decode` are pure
functions between models and the bytes of one NATS message. Events of an older
`schema_version` are upcast on decode; a newer one is invalid.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from lineage_core.ids import transform_id

CURRENT_SCHEMA_VERSION: Final = 1
MAX_MESSAGE_BYTES: Final = 64 * 1024

Name = Annotated[str, Field(min_length=1, max_length=512)]
Version = Annotated[str, Field(min_length=1, max_length=512)]
Suffix = Annotated[str, Field(max_length=64)]
LongText = Annotated[str, Field(max_length=4096)]
Producer = Annotated[str, Field(max_length=256)]


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
                f"transform id {self.id} is not uuid5 of ({self.type}, {self.name}, {self.version}); "
                f"expected {expected}"
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


class _Envelope(_Frozen):
    event_id: uuid.UUID
    event_type: str
    schema_version: Annotated[int, Field(ge=1, le=CURRENT_SCHEMA_VERSION)] = CURRENT_SCHEMA_VERSION
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


class InputLoaded(_Envelope):
    event_type: Literal["InputLoaded"] = "InputLoaded"
    run_id: uuid.UUID
    dobject: DObjectRef


class OutputRegistered(_Envelope):
    event_type: Literal["OutputRegistered"] = "OutputRegistered"
    run_id: uuid.UUID
    dobject: DObjectRef


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

# UPCASTERS[v] turns the JSON of a version-v event into version v+1.
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
UPCASTERS: dict[int, Upcaster] = {}


class InvalidEvent(ValueError):
    """Bytes that are not a valid event; `reason` is short enough for a NATS header."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def encode(event: Event) -> bytes:
    """The canonical bytes of an event: compact JSON, fields in model order, no nulls."""
    return event.model_dump_json(exclude_none=True).encode()


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

    Raises InvalidEvent for anything that is not a valid event of a known version.
    """
    if len(raw) > MAX_MESSAGE_BYTES:
        raise InvalidEvent(f"message of {len(raw)} bytes exceeds {MAX_MESSAGE_BYTES}")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidEvent(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidEvent("event must be a JSON object")
    if data.get("event_type") not in EVENT_TYPES:
        raise InvalidEvent(f"unknown event_type {data.get('event_type')!r}")
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
