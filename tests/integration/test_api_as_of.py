"""asOf: answers as they stood at an instant, from events published to `lineage up`."""

from __future__ import annotations

import pytest

from tests.support.lineage_story import Story, tell
from tests.support.service import Service

pytestmark = pytest.mark.integration

RUN = """query($id: ID!, $at: DateTime) { run(id: $id, asOf: $at) {
  id status startedAt finishedAt transform { name }
  inputs { id } outputs { id targets { id status } } } }"""
DOBJECT = """query($id: ID!, $at: DateTime) { dobject(id: $id, asOf: $at) {
  id source { id status } targets { id } } }"""
RUNS = """query($at: DateTime, $f: RunFilter) { runs(filter: $f, asOf: $at) {
  totalCount nodes { id status } } }"""
DOBJECTS = """query($at: DateTime) { dobjects(asOf: $at) { totalCount nodes { id } } }"""
LINEAGE = """query($d: ID!, $at: DateTime, $dir: LineageDirection) {
  lineage(dobjectId: $d, direction: $dir, asOf: $at) {
    truncated nodes { id kind run { status finishedAt } } edges { source target } } }"""
IMPACT = """query($d: ID!, $at: DateTime) { impact(dobjectId: $d, asOf: $at) {
  totalRuns totalDObjects runs { distance run { id status } } dobjects { dobject { id } } } }"""


def test_as_of_hides_what_came_later_and_unfinishes_runs(service: Service) -> None:
    s = Story(seed=1)
    raw, clean, report = (
        s.dobject("raw", ".csv"),
        s.dobject("clean", ".csv"),
        s.dobject("report", ".csv"),
    )
    a = s.start("ingest")  # 1
    s.output(a, raw)  # 2
    s.finish(a)  # 3
    b = s.start("clean")  # 4
    s.load(b, raw)  # 5
    s.output(b, clean)  # 6
    s.finish(b, "failed")  # 7
    c = s.start("report")  # 8
    s.load(c, clean)  # 9
    s.output(c, report)  # 10
    ask = tell(service.api_url, service.nats_url, s)
    at = {n: s.at(n).isoformat() for n in range(1, 11)}

    # a run's status flips back to STARTED before its RunFinished, edges come and go
    now = ask.data(RUN, {"id": str(b)})["run"]
    assert now["status"] == "FAILED"
    assert now["finishedAt"] is not None
    assert now["inputs"] == [{"id": str(raw.id)}]
    assert now["outputs"] == [
        {"id": str(clean.id), "targets": [{"id": str(c), "status": "STARTED"}]}
    ]
    then = ask.data(RUN, {"id": str(b), "at": at[6]})["run"]
    assert then == {
        "id": str(b),
        "status": "STARTED",
        "startedAt": at[4],
        "finishedAt": None,
        "transform": {"name": "clean"},
        "inputs": [{"id": str(raw.id)}],
        "outputs": [{"id": str(clean.id), "targets": []}],  # C loaded it only at 9
    }
    assert ask.data(RUN, {"id": str(b), "at": at[4]})["run"]["inputs"] == []
    assert ask.data(RUN, {"id": str(b), "at": at[3]})["run"] is None
    assert ask.data(RUN, {"id": str(a), "at": at[2]})["run"]["status"] == "STARTED"
    assert ask.data(RUN, {"id": str(a), "at": at[3]})["run"]["status"] == "COMPLETED"

    # nested fields inherit the instant: raw's targets and its source's status
    assert ask.data(DOBJECT, {"id": str(raw.id), "at": at[2]})["dobject"] == {
        "id": str(raw.id),
        "source": {"id": str(a), "status": "STARTED"},
        "targets": [],
    }
    assert ask.data(DOBJECT, {"id": str(raw.id), "at": at[5]})["dobject"]["targets"] == [
        {"id": str(b)}
    ]
    assert ask.data(DOBJECT, {"id": str(clean.id), "at": at[5]})["dobject"] is None

    # lists and counts, filters included
    assert ask.data(RUNS, {"at": at[4]})["runs"] == {
        "totalCount": 2,
        "nodes": [{"id": str(a), "status": "COMPLETED"}, {"id": str(b), "status": "STARTED"}],
    }
    completed = {"status": "COMPLETED"}
    assert ask.data(RUNS, {"at": at[2], "f": completed})["runs"]["totalCount"] == 0
    assert ask.data(RUNS, {"at": at[3], "f": completed})["runs"]["totalCount"] == 1
    loads_raw = {"input": {"name": "raw"}}
    assert ask.data(RUNS, {"at": at[4], "f": loads_raw})["runs"]["nodes"] == []
    assert ask.data(RUNS, {"at": at[5], "f": loads_raw})["runs"]["nodes"] == [
        {"id": str(b), "status": "STARTED"}
    ]
    assert ask.data(DOBJECTS, {"at": at[6]})["dobjects"]["totalCount"] == 2
    assert ask.data(DOBJECTS, {})["dobjects"]["totalCount"] == 3

    # the graph: a later node disappears, a finished run is STARTED again
    down = {"d": str(raw.id), "dir": "DOWNSTREAM"}
    whole = ask.data(LINEAGE, down)["lineage"]
    assert {n["id"] for n in whole["nodes"]} == {
        str(x) for x in (raw.id, b, clean.id, c, report.id)
    }
    earlier = ask.data(LINEAGE, {**down, "at": at[6]})["lineage"]
    assert {n["id"] for n in earlier["nodes"]} == {str(raw.id), str(b), str(clean.id)}
    assert [n["run"] for n in earlier["nodes"] if n["kind"] == "RUN"] == [
        {"status": "STARTED", "finishedAt": None}
    ]
    assert len(earlier["edges"]) == 2
    assert ask.codes(LINEAGE, {"d": str(report.id), "at": at[9]}) == ["NOT_FOUND"]
    assert ask.data(IMPACT, {"d": str(raw.id), "at": at[6]})["impact"] == {
        "totalRuns": 1,
        "totalDObjects": 1,
        "runs": [{"distance": 1, "run": {"id": str(b), "status": "STARTED"}}],
        "dobjects": [{"dobject": {"id": str(clean.id)}}],
    }
    assert ask.data(IMPACT, {"d": str(raw.id)})["impact"]["totalRuns"] == 2
    assert ask.codes(IMPACT, {"d": str(clean.id), "at": at[5]}) == ["NOT_FOUND"]


def test_as_of_must_be_rfc_3339_with_an_offset(service: Service) -> None:
    s = Story(seed=2)
    run = s.start("x")
    ask = tell(service.api_url, service.nats_url, s)
    for bad in ("2026-03-01T00:00:05", "2026-03-01", "yesterday", "2026-13-01T00:00:00Z"):
        assert ask.codes(RUN, {"id": str(run), "at": bad}) == ["BAD_USER_INPUT"], bad
        literal = f'{{ runs(asOf: "{bad}") {{ totalCount }} }}'
        assert ask.codes(literal) == ["BAD_USER_INPUT"], bad
    # other offsets are the same instant
    assert ask.data(RUN, {"id": str(run), "at": "2026-03-01T02:00:01+02:00"})["run"] is not None
    assert ask.data(RUN, {"id": str(run), "at": "2026-02-28T23:59:59-00:00"})["run"] is None
