"""runDiff: two runs' inputs and outputs matched by (name, suffix)."""

from __future__ import annotations

import uuid

import pytest

from tests.support.lineage_story import Story, tell
from tests.support.service import Service

pytestmark = pytest.mark.integration

DIFF = """query($b: ID!, $a: ID!) { runDiff(before: $b, after: $a) {
  before { id } after { id } transformChanged
  inputs { added { id } removed { id } unchanged { id }
           changed { name suffix before { id } after { id } } }
  outputs { added { id } removed { id } unchanged { id }
            changed { name suffix before { id } after { id } } } } }"""


def _ids(objects: list[dict[str, str]]) -> list[str]:
    return [o["id"] for o in objects]


def test_run_diff_matches_by_name_and_suffix(service: Service) -> None:
    s = Story(seed=4)
    same = s.dobject("alpha", ".csv")
    old_b, new_b = s.dobject("Beta", ".csv"), s.dobject("Beta", ".csv")
    gone, new = s.dobject("zeta", ".csv"), s.dobject("Zeta", ".csv")
    twin1, twin2, twin3 = (s.dobject("twin", ".txt") for _ in range(3))
    out_old, out_new = s.dobject("out", ".bam"), s.dobject("out", ".bam")
    before = s.start("pipe", "1")
    for d in (same, old_b, gone, twin1, twin2):
        s.load(before, d)
    s.output(before, out_old)
    after = s.start("pipe", "2")
    for d in (same, new_b, new, twin1, twin3):
        s.load(after, d)
    s.output(after, out_new)
    # two runs without a transform (known from inputs only)
    bare1, bare2 = s.uid(), s.uid()
    s.load(bare1, same)
    s.load(bare2, same)
    ask = tell(service.api_url, service.nats_url, s)

    diff = ask.data(DIFF, {"b": str(before), "a": str(after)})["runDiff"]
    assert (diff["before"], diff["after"]) == ({"id": str(before)}, {"id": str(after)})
    assert diff["transformChanged"] is True
    inputs = diff["inputs"]
    # code-point order: "Beta" < "Zeta" < "alpha" < "twin" < "zeta"
    assert inputs["changed"] == [
        {
            "name": "Beta",
            "suffix": ".csv",
            "before": {"id": str(old_b.id)},
            "after": {"id": str(new_b.id)},
        }
    ]
    # twin.txt is shared by two dobjects on each side: matched by id only
    assert _ids(inputs["unchanged"]) == [str(same.id), str(twin1.id)]
    assert _ids(inputs["added"]) == [str(new.id), str(twin3.id)]
    assert _ids(inputs["removed"]) == [str(twin2.id), str(gone.id)]
    outputs = diff["outputs"]
    assert [(c["before"]["id"], c["after"]["id"]) for c in outputs["changed"]] == [
        (str(out_old.id), str(out_new.id))
    ]
    assert outputs["added"] == outputs["removed"] == outputs["unchanged"] == []

    same_run = ask.data(DIFF, {"b": str(before), "a": str(before)})["runDiff"]
    assert same_run["transformChanged"] is False
    assert len(same_run["inputs"]["unchanged"]) == 5
    assert same_run["inputs"]["changed"] == []

    bare = ask.data(DIFF, {"b": str(bare1), "a": str(bare2)})["runDiff"]
    assert bare["transformChanged"] is False
    assert _ids(bare["inputs"]["unchanged"]) == [str(same.id)]

    assert ask.codes(DIFF, {"b": str(before), "a": str(uuid.UUID(int=7))}) == ["NOT_FOUND"]
    assert ask.codes(DIFF, {"b": "nope", "a": str(after)}) == ["BAD_USER_INPUT"]
