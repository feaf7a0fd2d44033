"""lineage(...) and run-level lineage on seeded graphs: depth, direction, caps, cycles."""

from __future__ import annotations

import uuid

import pytest

from lineage_read.database import Database
from lineage_read.lineage import walk
from tests.support.api import Seed, api_client, codes, gql

pytestmark = pytest.mark.integration

LINEAGE = """query($d: ID, $r: ID, $dir: LineageDirection, $depth: Int) {
  lineage(dobjectId: $d, runId: $r, direction: $dir, depth: $depth) {
    root truncated nodes { id kind depth run { id } dobject { name } }
    edges { source target } } }"""


def chain(length: int) -> tuple[Seed, list[uuid.UUID]]:
    """d0 -> r1 -> d1 -> r2 -> d2 ...: run i loads d(i-1) and produces d(i)."""
    s = Seed()
    nodes: list[uuid.UUID] = [s.dobject("d0", ".txt")]
    for i in range(1, length + 1):
        run = s.run(None)
        s.load(run, nodes[-1])
        nodes += [run, s.dobject(f"d{i}", ".txt", source=run)]
    return s, nodes


async def test_upstream_depth_and_truncated(database_url: str, nats_url: str) -> None:
    s, nodes = chain(5)  # 11 nodes: d0 r1 d1 ... r5 d5
    await s.write(database_url)
    last = str(nodes[-1])
    async with api_client(database_url, nats_url) as (client, _):
        full = await gql(client, LINEAGE, {"d": last, "depth": 10})
        short = await gql(client, LINEAGE, {"d": last, "depth": 3})
        exact = await gql(client, LINEAGE, {"d": last, "depth": 10 - 0})
        down = await gql(client, LINEAGE, {"r": str(nodes[1]), "dir": "DOWNSTREAM", "depth": 2})
        both = await gql(client, LINEAGE, {"r": str(nodes[5]), "dir": "BOTH", "depth": 1})
    g = full["data"]["lineage"]
    assert g["root"] == last
    assert g["truncated"] is False
    assert [n["id"] for n in g["nodes"]] == [str(n) for n in reversed(nodes)]
    assert [n["depth"] for n in g["nodes"]] == list(range(11))
    assert g["nodes"][1]["kind"] == "RUN"
    assert g["nodes"][1]["run"] == {"id": str(nodes[-2])}
    assert g["nodes"][0]["dobject"] == {"name": "d5"}
    assert g["nodes"][0]["run"] is None
    assert len(g["edges"]) == 10
    assert {"source": str(nodes[0]), "target": str(nodes[1])} in g["edges"]  # input edge
    assert {"source": str(nodes[1]), "target": str(nodes[2])} in g["edges"]  # output edge
    g3 = short["data"]["lineage"]
    assert g3["truncated"] is True
    assert max(n["depth"] for n in g3["nodes"]) == 3
    assert len(g3["nodes"]) == 4
    assert len(g3["edges"]) == 3
    assert exact["data"]["lineage"]["truncated"] is False
    gd = down["data"]["lineage"]
    assert [n["id"] for n in gd["nodes"]] == [str(n) for n in nodes[1:4]]
    assert gd["truncated"]
    gb = both["data"]["lineage"]
    assert sorted(n["id"] for n in gb["nodes"]) == sorted(str(n) for n in nodes[4:7])


async def test_cycles_end_and_errors(database_url: str, nats_url: str) -> None:
    s = Seed()
    a, b = s.run(None), s.run(None)
    x = s.dobject("x", ".txt", source=a)
    y = s.dobject("y", ".txt", source=b)
    s.load(b, x)
    s.load(a, y)  # a -> x -> b -> y -> a
    await s.write(database_url)
    async with api_client(database_url, nats_url) as (client, _):
        cyc = await gql(client, LINEAGE, {"d": str(x), "depth": 50})
        both_ids = await gql(client, LINEAGE, {"d": str(x), "r": str(a)})
        none = await gql(client, "{ lineage { root } }")
        deep = await gql(client, LINEAGE, {"d": str(x), "depth": 51})
        zero = await gql(client, LINEAGE, {"d": str(x), "depth": 0})
        bad = await gql(client, LINEAGE, {"d": "nope"})
        missing = await gql(client, LINEAGE, {"d": str(uuid.uuid4())})
        run_level = await gql(
            client,
            "query($r: ID!) { run(id: $r) { upstreamRuns { id } downstreamRuns { id } } }",
            {"r": str(a)},
        )
    g = cyc["data"]["lineage"]
    assert g["truncated"] is False
    assert {n["id"]: n["depth"] for n in g["nodes"]} == {str(x): 0, str(a): 1, str(y): 2, str(b): 3}
    assert len(g["edges"]) == 4
    for body in (both_ids, none, deep, zero, bad):
        assert codes(body) == ["BAD_USER_INPUT"], body
    assert codes(missing) == ["NOT_FOUND"]
    assert run_level["data"]["run"] == {
        "upstreamRuns": [{"id": str(b)}],
        "downstreamRuns": [{"id": str(b)}],
    }


async def test_node_cap_truncates_shallowest_first(database_url: str) -> None:
    s = Seed()
    run = s.run(None)
    inputs = [s.dobject(f"in{i}", ".txt") for i in range(30)]
    for d in inputs:
        s.load(run, d)
    out = s.dobject("out", ".txt", source=run)
    await s.write(database_url)
    database = await Database.open(database_url, sessions=2, statement_timeout_ms=10_000)
    db = database.request()
    try:
        capped = await walk(db, out, "DOBJECT", "UPSTREAM", 5, node_cap=10)
        whole = await walk(db, out, "DOBJECT", "UPSTREAM", 5)
    finally:
        await db.close()
        await database.close()
    assert capped.truncated
    assert len(capped.nodes) == 10
    assert capped.nodes[:2] == [(str(out), "DOBJECT", 0), (str(run), "RUN", 1)]
    assert not whole.truncated
    assert len(whole.nodes) == 32
    assert db.stats.statements == 2  # each walk is one statement
