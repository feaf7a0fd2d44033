"""Deterministic ids every producer derives without asking the service."""

from __future__ import annotations

import functools
import hashlib
import uuid
from typing import Final, Literal

TransformType = Literal["notebook", "pipeline"]

_URL_NAMESPACE: Final = uuid.NAMESPACE_URL.bytes
# RFC 4122 bits of a name-based SHA-1 id: the variant (10xx) and version (0101) fields.
_CLEAR: Final = ~((0xC000 << 48) | (0xF000 << 64))
_SET: Final = (0x8000 << 48) | (5 << 76)
_UNKNOWN: Final = uuid.SafeUUID.unknown


def url_uuid5(name: str) -> uuid.UUID:
    """`uuid.uuid5(uuid.NAMESPACE_URL, name)`, bit for bit (a unit test holds it to it),
    in a third of the time: the projector derives one per registration, and the standard
    one rebuilds the namespace's bytes and checks its arguments on every call. The value
    is set as `uuid.UUID.__init__` sets it (its two slots), which is what costs most."""
    digest = hashlib.sha1(_URL_NAMESPACE + name.encode(), usedforsecurity=False).digest()
    value = object.__new__(uuid.UUID)
    object.__setattr__(value, "int", (int.from_bytes(digest[:16], "big") & _CLEAR) | _SET)
    object.__setattr__(value, "is_safe", _UNKNOWN)
    return value


def transform_id(type_: TransformType, name: str, version: str) -> uuid.UUID:
    """The id of transform `(type, name, version)`, as docs/reference/events.md defines it."""
    return _transform_id(type_, name, version)


# Cached: every RunStarted's validation derives its transform's id, and a stream repeats
# few transforms (the arguments are strings, so the cache cannot be mutated through them).
# Behind the typed function above, so that callers keep their argument types checked.
@functools.lru_cache(maxsize=4096)
def _transform_id(type_: str, name: str, version: str) -> uuid.UUID:
    return url_uuid5(f"lineage:transform/{type_}/{name}/{version}")


def dataset_dobject_id(namespace: str, name: str) -> uuid.UUID:
    """The id of an OpenLineage dataset `(namespace, name)` seen as a DObject."""
    return url_uuid5(f"lineage:dataset/{namespace}/{name}")


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
    return url_uuid5(f"lineage:dobject-version/{dobject_id}/{key}")


def dobject_key_id(key: str) -> uuid.UUID:
    """The id of a dobject whose identity is a producer's key (a version family)."""
    return url_uuid5(f"lineage:dobject-key/{key}")
