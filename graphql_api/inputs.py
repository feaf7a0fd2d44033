"""Scalars, enums and filter inputs of the schema."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, Final, NewType

import strawberry
from strawberry.types.base import StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition

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
        default=None, description="the run that produced it"
    )
    target: RunFilter | None = strawberry.field(
        default=None, description="some run that loaded it as an input"
    )


@strawberry.input(description="Runs matching every given field; nested filters follow edges.")
class RunFilter:
    id: strawberry.ID | None = None
    name: str | None = None
    status: RunStatus | None = None
    transform_type: TransformType | None = None
    transform_name: str | None = None
    transform_version: str | None = None
    output: DObjectFilter | None = strawberry.field(
        default=None, description="some dobject this run produced"
    )
    input: DObjectFilter | None = strawberry.field(
        default=None, description="some dobject this run loaded"
    )


@strawberry.input(description="Transforms matching every given field.")
class TransformFilter:
    id: strawberry.ID | None = None
    name: str | None = None
    version: str | None = None
    run: RunFilter | None = strawberry.field(default=None, description="some run of it")


def _builder(cls: type, name_of: Callable[[Any], str]) -> Callable[..., Any]:
    """`from_input` for a filter input: graphql-core has already coerced and validated the
    value; this only maps names and builds the nested inputs, from a plan made once
    (strawberry's generic conversion re-resolves every annotation on every request)."""
    plan: list[tuple[str, str, Callable[[Any], Any] | None]] | None = None

    def make_plan() -> list[tuple[str, str, Callable[[Any], Any] | None]]:
        steps = []
        for field in cls.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            inner = field.type.of_type if isinstance(field.type, StrawberryOptional) else field.type
            convert: Callable[[Any], Any] | None = None
            if isinstance(inner, StrawberryEnumDefinition):
                convert = inner.wrapped_cls
            elif isinstance(inner, type) and inner in FILTER_INPUTS:
                convert = _converters[inner]
            steps.append((name_of(field), field.python_name, convert))
        return steps

    def build(value: Mapping[str, Any]) -> Any:
        nonlocal plan
        if plan is None:
            plan = make_plan()
        kwargs = {}
        for graphql_name, python_name, convert in plan:
            if graphql_name in value:
                item = value[graphql_name]
                kwargs[python_name] = item if convert is None or item is None else convert(item)
        return cls(**kwargs)

    return build


FILTER_INPUTS: Final = (RunFilter, DObjectFilter, TransformFilter)
_converters: dict[type, Callable[[Any], Any]] = {}


def install_fast_inputs(name_of: Callable[[Any], str]) -> None:
    """Give the filter inputs a `from_input` built from a plan (schema build time)."""
    for cls in FILTER_INPUTS:
        _converters[cls] = _builder(cls, name_of)
        cls.__strawberry_definition__.from_input = (  # type: ignore[attr-defined]
            lambda _type, value, _context, build=_converters[cls]: build(value)
        )
