"""Scalars, enums and filter inputs of the schema."""

from __future__ import annotations

import enum
from typing import NewType

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
    id: strawberry.ID | None = None
    name: str | None = None
    suffix: str | None = None
    hash: str | None = None
    source: RunFilter | None = strawberry.field(
        default=None, description="the run that produced it")
    target: RunFilter | None = strawberry.field(
        default=None, description="some run that loaded it as an input")


@strawberry.input(description="Runs matching every given field; nested filters follow edges.")
class RunFilter:
    id: strawberry.ID | None = None
    name: str | None = None
    status: RunStatus | None = None
    transform_type: TransformType | None = None
    transform_name: str | None = None
    transform_version: str | None = None
    output: DObjectFilter | None = strawberry.field(
        default=None, description="some dobject this run produced")
    input: DObjectFilter | None = strawberry.field(
        default=None, description="some dobject this run loaded")


@strawberry.input(description="Transforms matching every given field.")
class TransformFilter:
    id: strawberry.ID | None = None
    name: str | None = None
    version: str | None = None
    run: RunFilter | None = strawberry.field(default=None, description="some run of it")
