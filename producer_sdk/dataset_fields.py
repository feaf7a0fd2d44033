"""The schema of a DObject and where its fields come from, as the SDK takes them
(`ln.DObject(path, fields=[...], column_lineage={...})`): plain values, checked here and
turned into events by the planning layer.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Final, NamedTuple, Protocol, TypeAlias

FIELD_KEYS: Final = frozenset({"name", "type", "description"})

if TYPE_CHECKING:

    class HasId(Protocol):
        """A record with an id (an input DObject)."""

        @property
        def id(self) -> uuid.UUID: ...


# Named tuples, not dataclasses: `import producer_sdk` builds them, and they cost less.
class DatasetField(NamedTuple):
    """One field of a DObject's schema (`ln.DObject(path, fields=[...])`)."""

    name: str
    type: str | None = None
    description: str | None = None


class ColumnInput(NamedTuple):
    """A field of an input DObject that feeds a field of the output."""

    dobject_id: uuid.UUID
    field: str
    transformation: str | None = None  # `TYPE/SUBTYPE`, e.g. "DIRECT/IDENTITY"


if TYPE_CHECKING:  # spelled for the type checker only: building them costs import time
    FieldSpec = Mapping[str, str | None] | tuple[str, str | None] | tuple[str] | str
    Source: TypeAlias = "HasId | uuid.UUID | str"
    InputSpec = tuple[Source, str] | tuple[Source, str, str | None]


def parse_fields(fields: Iterable[FieldSpec]) -> tuple[DatasetField, ...]:
    """`fields=`: dicts `{"name", "type"?, "description"?}`, `(name, type)` tuples or names,
    in the producer's order; nested fields are flattened with dots (`address.city`)."""
    if isinstance(fields, str | Mapping):
        raise TypeError('fields= takes a list: [{"name": "id", "type": "int"}, ("city", "str")]')
    out = []
    for spec in fields:
        if isinstance(spec, str):
            out.append(DatasetField(spec))
        elif isinstance(spec, Mapping):
            unknown = set(spec) - FIELD_KEYS
            if unknown or not isinstance(spec.get("name"), str):
                raise TypeError(
                    f"a field is {{'name': str, 'type'?: str, 'description'?: str}}, got {spec!r}"
                )
            out.append(DatasetField(str(spec["name"]), spec.get("type"), spec.get("description")))
        elif isinstance(spec, tuple) and spec and len(spec) <= len(("name", "type")):
            name, *rest = spec
            out.append(DatasetField(str(name), rest[0] if rest else None))
        else:
            raise TypeError(f"a field is a dict, a (name, type) tuple or a name, got {spec!r}")
    return tuple(out)


def parse_column_lineage(
    lineage: Mapping[str, Iterable[InputSpec]],
) -> tuple[tuple[str, tuple[ColumnInput, ...]], ...]:
    """`column_lineage=`: `{output field: [(input DObject or its id, input field[,
    transformation]), ...]}`, e.g. `{"total": [(orders, "amount", "DIRECT/AGGREGATION")]}`."""
    if not isinstance(lineage, Mapping):
        raise TypeError(
            'column_lineage= takes a dict: {"total": [(orders, "amount", "DIRECT/AGGREGATION")]}'
        )
    out = []
    for field, inputs in lineage.items():
        parsed = []
        for spec in inputs:
            if not isinstance(spec, tuple) or len(spec) not in (2, 3):
                raise TypeError(
                    f"column_lineage[{field!r}] takes (dobject, field[, transformation]) "
                    f"tuples, got {spec!r}"
                )
            source = spec[0]
            source_id = source if isinstance(source, uuid.UUID) else getattr(source, "id", None)
            if not isinstance(source_id, uuid.UUID):
                source_id = uuid.UUID(str(source))  # an id as text
            transformation = spec[2] if len(spec) == 3 else None  # noqa: PLR2004
            parsed.append(ColumnInput(source_id, str(spec[1]), transformation))
        out.append((str(field), tuple(parsed)))
    return tuple(out)
