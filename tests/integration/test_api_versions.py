"""Dataset versions through the GraphQL API (docs/reference/versions.md), on a nightly
pipeline: three runs rewrite one table, a report run reads it after the second night,
and the third night's rewrite (a schema change) leaves the report stale."""

from __future__ import annotations

import uuid

import pytest

from lineage_core.events import DatasetField, DObjectRef, OutputRegistered
from lineage_core.ids import dobject_version_id
from tests.support.lineage_story import Story, tell
from tests.support.service import Service

pytestmark = pytest.mark.integration

TABLE = """query($d: ID!, $at: DateTime) { dobject(id: $d, asOf: $at) {
  source { id } stale
  currentVersion { id number run { id } fields { name } }
  versions(first: 2) { totalCount pageInfo { hasNextPage endCursor }
                       nodes { id number run { id } createdAt } } } }"""
RUN = """query($r: ID!) { run(id: $r) {
  outputs { id } outputVersions { id number }
  inputVersions { dobject { id } version { id number } loadedAt } } }"""
VERSION = """query($v: ID!) { dobjectVersion(id: $v) {
  id number stale dobject { id } run { id }
  staleInputs { dobject { id } version { id } } } }"""
WALK = """query($v: ID!, $dir: LineageDirection) {
  lineage(versionId: $v, direction: $dir, depth: 10) {
    root truncated nodes { id kind depth version { number } dobject { id } run { id } }
    edges { source target } } }"""
RUNS_OF = """query($n: String!) { runs(filter: {output: {name: $n}}) { totalCount } }"""


def _night(
    s: Story, night: int, table: DObjectRef, raw: DObjectRef, columns: list[str]
) -> uuid.UUID:
    run = s.start("nightly", "1", name=f"night {night}")
    s.load(run, raw)
    s.events.append(
        OutputRegistered(
            **s._next(),
            run_id=run,
            dobject=table,
            fields=tuple(DatasetField(name=c) for c in columns),
        )
    )
    s.finish(run)
    return run


def test_a_nightly_rewrite_gives_versions_and_a_stale_report(service: Service) -> None:
    s = Story(seed=21)
    raw, table, report = (
        s.dobject("raw", ".csv"),
        s.dobject("summary", ".csv"),
        s.dobject("report", ".pdf"),
    )
    n1 = _night(s, 1, table, raw, ["id", "total"])
    n2 = _night(s, 2, table, raw, ["id", "total"])
    reader = s.start("report", "1")
    s.load(reader, table)
    s.output(reader, report)
    s.finish(reader)
    before_n3 = s.at(len(s.events))
    n3 = _night(s, 3, table, raw, ["id", "total", "currency"])
    ask = tell(service.api_url, service.nats_url, s)
    v1, v2, v3 = (dobject_version_id(table.id, f"run:{r}") for r in (n1, n2, n3))

    got = ask.data(TABLE, {"d": str(table.id)})["dobject"]
    assert got["source"] == {"id": str(n3)}
    assert got["currentVersion"]["id"] == str(v3)
    assert got["currentVersion"]["number"] == 3
    assert [f["name"] for f in got["currentVersion"]["fields"]] == ["id", "total", "currency"]
    page = got["versions"]
    assert page["totalCount"] == 3
    assert [(v["id"], v["number"]) for v in page["nodes"]] == [(str(v3), 3), (str(v2), 2)]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = ask.data(
        """query($d: ID!, $c: String) { dobject(id: $d) { versions(first: 2, after: $c) {
           nodes { id } pageInfo { hasNextPage } } } }""",
        {"d": str(table.id), "c": page["pageInfo"]["endCursor"]},
    )["dobject"]["versions"]
    assert rest == {"nodes": [{"id": str(v1)}], "pageInfo": {"hasNextPage": False}}

    # every writer lists the table among its outputs; the source filter finds all three
    for night, version in ((n1, v1), (n2, v2), (n3, v3)):
        run = ask.data(RUN, {"r": str(night)})["run"]
        assert run["outputs"] == [{"id": str(table.id)}]
        assert [v["id"] for v in run["outputVersions"]] == [str(version)]
    assert ask.data(RUNS_OF, {"n": "summary"})["runs"]["totalCount"] == 3

    # the report read night 2's version, and night 3 made it stale
    read = ask.data(RUN, {"r": str(reader)})["run"]["inputVersions"]
    assert [(i["dobject"]["id"], i["version"]["id"]) for i in read] == [(str(table.id), str(v2))]
    assert ask.data(TABLE, {"d": str(report.id)})["dobject"]["stale"] is True
    (out,) = ask.data(RUN, {"r": str(reader)})["run"]["outputVersions"]
    got_v = ask.data(VERSION, {"v": out["id"]})["dobjectVersion"]
    assert got_v["stale"] is True
    assert got_v["staleInputs"] == [{"dobject": {"id": str(table.id)}, "version": {"id": str(v2)}}]
    # as of before night 3, nothing was stale and night 2 was current
    then = ask.data(TABLE, {"d": str(table.id), "at": before_n3.isoformat()})["dobject"]
    assert then["currentVersion"]["id"] == str(v2)
    assert then["source"] == {"id": str(n2)}
    assert then["versions"]["totalCount"] == 2
    old_report = ask.data(TABLE, {"d": str(report.id), "at": before_n3.isoformat()})["dobject"]
    assert old_report["stale"] is False

    # what fed the report: its run, night 2's version (not night 3's), night 2, raw
    walk = ask.data(WALK, {"v": out["id"], "dir": "UPSTREAM"})["lineage"]
    nodes = {n["id"]: n for n in walk["nodes"]}
    assert set(nodes) == {out["id"], str(reader), str(v2), str(n2), str(raw.id)}
    assert nodes[str(v2)]["kind"] == "DOBJECT_VERSION"
    assert nodes[str(v2)]["dobject"] == {"id": str(table.id)}
    assert nodes[str(raw.id)]["kind"] == "DOBJECT"  # no run wrote raw: no version
    assert {(e["source"], e["target"]) for e in walk["edges"]} == {
        (str(reader), out["id"]),
        (str(v2), str(reader)),
        (str(n2), str(v2)),
        (str(raw.id), str(n2)),
    }
    down = ask.data(WALK, {"v": str(v2), "dir": "DOWNSTREAM"})["lineage"]
    assert {n["id"] for n in down["nodes"]} == {str(v2), str(reader), out["id"]}
    assert ask.codes(
        """query($v: ID!, $d: ID!) { lineage(versionId: $v, dobjectId: $d) { root } }""",
        {"v": str(v2), "d": str(table.id)},
    ) == ["BAD_USER_INPUT"]
    assert ask.codes(WALK, {"v": str(uuid.UUID(int=5))}) == ["NOT_FOUND"]

    # runDiff compares versions: the same table in another version is changed
    diff = ask.data(
        """query($b: ID!, $a: ID!) { runDiff(before: $b, after: $a) {
           outputs { unchanged { id } changed { before { id } after { id }
                     beforeVersion { id } afterVersion { id } } }
           inputs { unchanged { id } changed { before { id } } } } }""",
        {"b": str(n2), "a": str(n3)},
    )["runDiff"]
    assert diff["outputs"] == {
        "unchanged": [],
        "changed": [
            {
                "before": {"id": str(table.id)},
                "after": {"id": str(table.id)},
                "beforeVersion": {"id": str(v2)},
                "afterVersion": {"id": str(v3)},
            }
        ],
    }
    # raw.csv has no version on either side: unchanged
    assert diff["inputs"] == {"unchanged": [{"id": str(raw.id)}], "changed": []}

    # the dobject walk shows every writer upstream of the table
    walked = ask.data(
        """query($d: ID!) { lineage(dobjectId: $d, depth: 1) { nodes { id } } }""",
        {"d": str(table.id)},
    )["lineage"]["nodes"]
    assert {n["id"] for n in walked} == {str(table.id), str(n1), str(n2), str(n3)}
