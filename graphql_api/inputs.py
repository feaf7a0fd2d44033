"""Scalars, enums and filter inputs of the schema, and ids given as arguments.

The inputs become the read model's filter values (`to_filter`): ids parsed (a malformed
one is BAD_USER_INPUT here), enums mapped by value."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final, NewType

import strawberry

from graphql_api import _strawberry_compat as compat
from graphql_api.errors import bad_input
from lineage_read import filters, rows

BigInt = NewType("BigInt", int)
# Mapped in the schema config (StrawberryConfig.scalar_map).
BIG_INT_SCALAR = strawberry.scalar(
    name="BigInt",
    description="A 64-bit integer, serialized as a JSON number.",
    serialize=int,
    parse_value=int,
)


def parse_id(value: str, what: str = "id") -> uuid.UUID:
    """A UUID from an `ID` argument; a malformed one is the client's error."""
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise bad_input(f"{what} {value!r} is not a valid id (a UUID)") from None


def _id(value: strawberry.ID | None, what: str) -> uuid.UUID | None:
    return None if value is None else parse_id(value, what)


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
    DOBJECT_VERSION = "DOBJECT_VERSION"


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

    def to_filter(self) -> filters.DObjectFilter:
        return filters.DObjectFilter(
            id=_id(self.id, "dobject id"),
            name=self.name,
            suffix=self.suffix,
            hash=self.hash,
            source=None if self.source is None else self.source.to_filter(),
            target=None if self.target is None else self.target.to_filter(),
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
    parent: RunFilter | None = strawberry.field(
        default=None, description="the run that started this one"
    )

    def to_filter(self) -> filters.RunFilter:
        return filters.RunFilter(
            id=_id(self.id, "run id"),
            name=self.name,
            status=None if self.status is None else rows.RunStatus(self.status.value),
            transform_type=(
                None if self.transform_type is None else transform_type(self.transform_type)
            ),
            transform_name=self.transform_name,
            transform_version=self.transform_version,
            output=None if self.output is None else self.output.to_filter(),
            input=None if self.input is None else self.input.to_filter(),
            parent=None if self.parent is None else self.parent.to_filter(),
        )


@strawberry.input(description="Transforms matching every given field.")
class TransformFilter:
    id: strawberry.ID | None = None
    name: str | None = None
    version: str | None = None
    run: RunFilter | None = strawberry.field(default=None, description="some run of it")

    def to_filter(self) -> filters.TransformFilter:
        return filters.TransformFilter(
            id=_id(self.id, "transform id"),
            name=self.name,
            version=self.version,
            run=None if self.run is None else self.run.to_filter(),
        )


def transform_type(value: TransformType) -> rows.TransformType:
    return rows.TransformType(value.value)


def _builder(cls: type, name_of: Callable[[Any], str]) -> Callable[[Mapping[str, Any]], Any]:
    """`from_input` for a filter input: graphql-core has already coerced and validated the
    value; this only maps names and builds the nested inputs, from a plan made once
    (strawberry's generic conversion re-resolves every annotation on every request)."""
    plan: list[tuple[str, str, Callable[[Any], Any] | None]] | None = None

    def make_plan() -> list[tuple[str, str, Callable[[Any], Any] | None]]:
        steps = []
        for field in compat.input_definition(cls).fields:
            inner = compat.optional_inner(field.type)
            convert: Callable[[Any], Any] | None = compat.enum_class(inner)
            if convert is None and isinstance(inner, type) and inner in FILTER_INPUTS:
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
        compat.set_from_input(cls, _converters[cls])
