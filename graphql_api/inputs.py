"""Scalars, enums and filter inputs of the schema."""

from __future__ import annotations

import enum
from typing import NewType, Optional

import strawberry

BigInt = NewType("BigInt", int)
# Mapped in the schema config (StrawberryConfig.scalar_map).
BIG_INT_SCALAR = strawberry.scalar(
    name="BigInt",
    description="A 64-bit integer, serialized as a JSON number.",
    serialize=int,
    parse_value=int,
)


@strawberry.enum
class TransformType(enum.Enum):
    NOTEBOOK = "notebook"
    PIPELINE = "pipeline"


@strawberry.enum
class RunStatus(enum.Enum):
    STARTED = "STARTED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


@strawberry.enum
class LineageDirection(enum.Enum):
    UPSTREAM = "UPSTREAM"
    DOWNSTREAM = "DOWNSTREAM"
    BOTH = "BOTH"


@strawberry.enum
class LineageNodeKind(enum.Enum):
    RUN = "RUN"
    DOBJECT = "DOBJECT"


@strawberry.input(description="DObjects matching every given field; nested filters follow edges.")
class DObjectFilter:
    id: Optional[strawberry.ID] = None
    name: Optional[str] = None
    suffix: Optional[str] = None
    hash: Optional[str] = None
    source: Optional["RunFilter"] = strawberry.field(
        default=None, description="the run that produced it")
    target: Optional["RunFilter"] = strawberry.field(
        default=None, description="some run that loaded it as an input")


@strawberry.input(description="Runs matching every given field; nested filters follow edges.")
class RunFilter:
    id: Optional[strawberry.ID] = None
    name: Optional[str] = None
    status: Optional[RunStatus] = None
    transform_type: Optional[TransformType] = None
    transform_name: Optional[str] = None
    transform_version: Optional[str] = None
    output: Optional[DObjectFilter] = strawberry.field(
        default=None, description="some dobject this run produced")
    input: Optional[DObjectFilter] = strawberry.field(
        default=None, description="some dobject this run loaded")


@strawberry.input(description="Transforms matching every given field.")
class TransformFilter:
    id: Optional[strawberry.ID] = None
    name: Optional[str] = None
    version: Optional[str] = None
    run: Optional[RunFilter] = strawberry.field(default=None, description="some run of it")
