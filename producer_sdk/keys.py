"""A DObject's identity and the checks of what names it.

A new file's id is derived from its content hash, `uuid5(NAMESPACE_URL,
"lineage:dobject/<hash>")`, so two producers registering the same content while the
service is unreachable still agree on one DObject. With `key=` the key is the identity
instead (docs/reference/versions.md), `uuid5(NAMESPACE_URL, "lineage:dobject-key/<key>")`,
as lamindb's keys make version families.
"""

from __future__ import annotations

import uuid
from typing import Final

MAX_KEY: Final = 4096  # as a uri: the key names the dataset, like a path
MAX_LABEL: Final = 256  # a version label's limit on the wire


def dobject_id(content_hash: str) -> uuid.UUID:
    """The id of a new DObject with this content hash."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"lineage:dobject/{content_hash}")


def keyed_dobject_id(key: str) -> uuid.UUID:
    """The id of the DObject of a key (`ln.DObject(path, key=...)`)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"lineage:dobject-key/{key}")


def check_key(key: str | None, label: str | None) -> None:
    """A clear TypeError for a key or a version label the service would refuse."""
    if key is not None and (not isinstance(key, str) or not key.strip("/") or len(key) > MAX_KEY):
        raise TypeError(
            f"key= takes a non-empty text of at most {MAX_KEY} characters, such as "
            f'"results/summary.csv"; got {key!r}'
        )
    if label is not None and (not isinstance(label, str) or not label or len(label) > MAX_LABEL):
        raise TypeError(
            f"version= takes a non-empty text of at most {MAX_LABEL} characters (the label of "
            f"this version, such as a date); got {label!r}"
        )
