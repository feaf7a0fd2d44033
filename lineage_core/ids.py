"""Deterministic ids every producer derives without asking the service."""

from __future__ import annotations

import uuid
from typing import Literal

TransformType = Literal["notebook", "pipeline"]


def transform_id(type_: TransformType, name: str, version: str) -> uuid.UUID:
    """The id of transform `(type, name, version)`, as docs/reference/events.md defines it."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"lineage:transform/{type_}/{name}/{version}")


def dataset_dobject_id(namespace: str, name: str) -> uuid.UUID:
    """The id of an OpenLineage dataset `(namespace, name)` seen as a DObject."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"lineage:dataset/{namespace}/{name}")
