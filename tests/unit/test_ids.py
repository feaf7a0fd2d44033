"""The fast name-based ids are exactly the standard library's uuid5 of NAMESPACE_URL."""

from __future__ import annotations

import copy
import uuid

from hypothesis import given
from hypothesis import strategies as st

from lineage_core.ids import (
    dataset_dobject_id,
    dobject_key_id,
    dobject_version_id,
    transform_id,
    url_uuid5,
)


def _same(fast: uuid.UUID, name: str) -> None:
    slow = uuid.uuid5(uuid.NAMESPACE_URL, name)
    assert type(fast) is uuid.UUID
    assert fast == slow
    assert hash(fast) == hash(slow)
    assert str(fast) == str(slow)
    assert fast.version == 5
    assert fast.variant == uuid.RFC_4122
    assert fast.is_safe == slow.is_safe
    assert copy.deepcopy(fast) == slow  # copies through __reduce__, as pickle does


@given(st.text())
def test_url_uuid5_is_uuid5(name: str) -> None:
    _same(url_uuid5(name), name)


def test_every_id_is_the_uuid5_of_its_name() -> None:
    d = uuid.UUID("12345678-1234-5678-1234-567812345678")
    _same(transform_id("pipeline", "p", "1"), "lineage:transform/pipeline/p/1")
    _same(transform_id("pipeline", "p", "1"), "lineage:transform/pipeline/p/1")  # cached
    _same(dataset_dobject_id("s3://b", "t"), "lineage:dataset/s3://b/t")
    _same(dobject_version_id(d, "hash:ab"), f"lineage:dobject-version/{d}/hash:ab")
    _same(dobject_key_id("k"), "lineage:dobject-key/k")


def test_high_bits_are_cleared_and_set() -> None:
    # names whose digests have every variant/version bit combination
    for i in range(2000):
        _same(url_uuid5(f"n{i}"), f"n{i}")
