"""impact: what is downstream of a dobject or a run, and the order to re-run it."""

from __future__ import annotations

import uuid

import pytest

from graphql_api import questions
from tests.support.api import Seed, api_client, codes, gql
from tests.support.lineage_story import Story, tell
from tests.support.service import Service

pytestmark = pytest.mark.integration

IMPACT = """query($d: ID, $r: ID) { impact(dobjectId: $d, runId: $r) {
  root totalRuns totalDObjects truncated
  runs { distance run { id } } dobjects { distance dobject { id name } }
  rerunOrder { id } transforms { name version } } }"""
COUNTS = """query($d: ID, $r: ID) { impact(dobjectId: $d, runId: $r) {
  totalRuns totalDObjects truncated } }"""


def test_impact_distances_rerun_order_and_counts(service: Service) -> None:
    s = Story(seed=3)
    d0, d1, d2, d3 = (s.dobject(f"d{i}", ".csv") for i in range(4))
    # d0 -> r1 -> d1 -> r2 -> d2; r3 loads d0 (distance 1) but also d2, so it re-runs last
    r1 = s.start("one")
    s.load(r1, d0)
    s.output(r1, d1)
    r2 = s.start("two")
    s.load(r2, d1)
    s.output(r2, d2)
    r3 = s.start("three")
    s.load(r3, d0)
    s.load(r3, d2)
    s.output(r3, d3)
    r4 = s.start("one", run=None)  # another run of transform "one", not downstream of d0
    # a cycle: x -> ra -> y -> rb -> x
    x, y = s.dobject("x", ".txt"), s.dobject("y", ".txt")
    ra, rb = s.start("cycle a"), s.start("cycle b")
    s.load(ra, x)
    s.output(ra, y)
    s.load(rb, y)
    s.output(rb, x)
    ask = tell(service.api_url, service.nats_url, s)

    impact = ask.data(IMPACT, {"d": str(d0.id)})["impact"]
    distances = {r["run"]["id"]: r["distance"] for r in impact["runs"]}
    assert distances == {str(r1): 1, str(r3): 1, str(r2): 3}
    assert [r["distance"] for r in impact["runs"]] == [1, 1, 3]  # nearest first
    assert [(d["dobject"]["name"], d["distance"]) for d in impact["dobjects"]] in (
        [("d1", 2), ("d3", 2), ("d2", 4)],
        [("d3", 2), ("d1", 2), ("d2", 4)],
    )
    order = [r["id"] for r in impact["rerunOrder"]]
    assert order == [str(r1), str(r2), str(r3)]  # r3 waits for r2, which makes its input d2
    assert sorted(t["name"] for t in impact["transforms"]) == ["one", "three", "two"]
    assert (impact["totalRuns"], impact["totalDObjects"], impact["truncated"]) == (3, 3, False)
    assert str(r4) not in distances

    from_run = ask.data(IMPACT, {"r": str(r2)})["impact"]
    assert [r["run"]["id"] for r in from_run["runs"]] == [str(r3)]  # the root is not listed
    assert [d["distance"] for d in from_run["dobjects"]] == [1, 3]

    # counts alone, the same numbers
    assert ask.data(COUNTS, {"d": str(d0.id)})["impact"] == {
        "totalRuns": 3,
        "totalDObjects": 3,
        "truncated": False,
    }

    # a cycle ends: everything once, the root left out
    cycle = ask.data(IMPACT, {"r": str(ra)})["impact"]
    assert [r["run"]["id"] for r in cycle["runs"]] == [str(rb)]
    assert sorted(d["dobject"]["name"] for d in cycle["dobjects"]) == ["x", "y"]
    assert cycle["truncated"] is False
    assert ask.data(COUNTS, {"r": str(ra)})["impact"]["totalDObjects"] == 2

    # bad roots
    assert ask.codes(IMPACT, {"d": str(d0.id), "r": str(r1)}) == ["BAD_USER_INPUT"]
    assert ask.codes(IMPACT, {}) == ["BAD_USER_INPUT"]
    assert ask.codes(IMPACT, {"d": "not-an-id"}) == ["BAD_USER_INPUT"]
    assert ask.codes(IMPACT, {"d": str(uuid.UUID(int=1))}) == ["NOT_FOUND"]
    assert ask.codes(COUNTS, {"r": str(uuid.UUID(int=2))}) == ["NOT_FOUND"]


AS_OF = """query($d: ID, $r: ID, $at: DateTime) { impact(dobjectId: $d, runId: $r, asOf: $at) {
  totalRuns totalDObjects dobjects { distance dobject { name } } } }"""


def test_every_writer_of_a_rewritten_table_leads_to_it(service: Service) -> None:
    """A run that produced a version is a writer (docs/reference/versions.md): the
    impact of the first writer's input reaches the table that a later run rewrote."""
    s = Story(seed=5)
    a, b, table, report = (s.dobject(n, ".csv") for n in ("a", "b", "table", "report"))
    first = s.start("first")
    s.load(first, a)
    first_write = s.output(first, table)  # version 1
    second = s.start("second")
    s.load(second, b)
    s.output(second, table)  # version 2, the current one
    reader = s.start("reader")
    s.load(reader, table)
    s.output(reader, report)
    ask = tell(service.api_url, service.nats_url, s)

    impact = ask.data(IMPACT, {"d": str(a.id)})["impact"]
    assert {r["run"]["id"]: r["distance"] for r in impact["runs"]} == {
        str(first): 1,
        str(reader): 3,
    }
    assert [(d["dobject"]["name"], d["distance"]) for d in impact["dobjects"]] == [
        ("table", 2),
        ("report", 4),
    ]
    assert [r["id"] for r in impact["rerunOrder"]] == [str(first), str(reader)]
    assert ask.data(COUNTS, {"d": str(a.id)})["impact"]["totalDObjects"] == 2
    from_run = ask.data(IMPACT, {"r": str(first)})["impact"]
    assert [(d["dobject"]["name"], d["distance"]) for d in from_run["dobjects"]] == [
        ("table", 1),
        ("report", 3),
    ]
    # the second writer's input reaches it too
    assert ask.data(COUNTS, {"d": str(b.id)})["impact"]["totalDObjects"] == 2

    # as of the first write, before the rewrite, and just before the first write
    then = ask.data(AS_OF, {"d": str(a.id), "at": s.at(first_write).isoformat()})["impact"]
    assert (then["totalRuns"], [d["dobject"]["name"] for d in then["dobjects"]]) == (
        1,
        ["table"],
    )
    before = s.at(first_write - 1).isoformat()
    assert ask.data(AS_OF, {"r": str(first), "at": before})["impact"]["totalDObjects"] == 0


async def test_counts_alone_never_build_the_node_list(
    database_url: str, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = Seed()
    root = s.dobject("root", ".csv")
    for i in range(3):
        run = s.run(None)
        s.load(run, root)
        s.dobject(f"out{i}", ".csv", source=run)
    await s.write(database_url)

    async def no_list(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the node list was built")

    monkeypatch.setattr(questions, "impact_walk", no_list)
    async with api_client(database_url, nats_url) as (client, app):
        stats = app.state.query_stats
        before = stats.statements
        counted = await gql(client, COUNTS, {"d": str(root)})
        assert stats.statements - before == 1  # one count statement, nothing loaded
        listed = await gql(client, IMPACT, {"d": str(root)})
    assert counted["data"]["impact"] == {"totalRuns": 3, "totalDObjects": 3, "truncated": False}
    assert codes(listed) == ["INTERNAL"]  # asking for the list does take the other path
