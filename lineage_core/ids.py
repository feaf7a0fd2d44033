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


def version_key(hash_: str | None, label: str | None, run_id: uuid.UUID) -> str:
    """Which version of a dobject a registration writes (docs/reference/versions.md):
    by content hash, else by the producer's label, else one version per run."""
    if hash_ is not None:
        return f"hash:{hash_}"
    if label is not None:
        return f"label:{label}"
    return f"run:{run_id}"


def dobject_version_id(dobject_id: uuid.UUID, key: str) -> uuid.UUID:
    """The id of the version `key` of a dobject, as docs/reference/versions.md defines it."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"lineage:dobject-version/{dobject_id}/{key}")


def dobject_key_id(key: str) -> uuid.UUID:
    """The id of a dobject whose identity is a producer's key (a version family)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"lineage:dobject-key/{key}")
