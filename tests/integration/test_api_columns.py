"""DObject.fields and columnLineage, from version 2 OutputRegistered events."""

from __future__ import annotations

import uuid

import pytest

from tests.support.lineage_story import Story, tell
from tests.support.service import Service

pytestmark = pytest.mark.integration

FIELDS = """query($id: ID!) { dobject(id: $id) { fields { name type description } } }"""
COLUMNS = """query($d: ID!, $f: String, $dir: LineageDirection, $depth: Int) {
  columnLineage(dobjectId: $d, field: $f, direction: $dir, depth: $depth) {
    truncated edges { transformation source { field dobject { name } }
                      target { field dobject { name } } } } }"""


def _edges(answer: dict[str, object]) -> set[tuple[str, str, str | None]]:
    edges = answer["columnLineage"]["edges"]
    return {
        (
            f"{e['source']['dobject']['name']}.{e['source']['field']}",
            f"{e['target']['dobject']['name']}.{e['target']['field']}",
            e["transformation"],
        )
        for e in edges
    }


def test_fields_and_column_lineage(service: Service) -> None:
    s = Story(seed=5)
    users, orders = s.dobject("users", ".parquet"), s.dobject("orders", ".parquet")
    joined, report = s.dobject("joined", ".parquet"), s.dobject("report", ".csv")
    ghost = uuid.UUID(int=99)  # an input no event ever registers
    src = s.start("extract")
    s.output(src, users, fields=[("id", "int64", "user id"), ("name", "string", None)])
    s.output(src, orders, fields=[("user_id", "int64", None), ("amount", "float64", None)])
    join = s.start("join")
    s.load(join, users)
    s.load(join, orders)
    s.output(
        join,
        joined,
        fields=[("name", "string", None), ("total", "float64", "sum of amounts")],
        columns={
            "name": [(users, "name", "DIRECT/IDENTITY")],
            "total": [
                (orders, "amount", "DIRECT/AGGREGATION"),
                (orders, "user_id", "INDIRECT/GROUP_BY"),
                (ghost, "secret", None),
            ],
        },
    )
    rep = s.start("report")
    s.load(rep, joined)
    s.output(rep, report, columns={"best": [(joined, "total", "INDIRECT/SORT, DIRECT/IDENTITY")]})
    ask = tell(service.api_url, service.nats_url, s)

    assert ask.data(FIELDS, {"id": str(joined.id)})["dobject"]["fields"] == [
        {"name": "name", "type": "string", "description": None},
        {"name": "total", "type": "float64", "description": "sum of amounts"},
    ]
    assert ask.data(FIELDS, {"id": str(report.id)})["dobject"]["fields"] == []

    one_hop = ask.data(COLUMNS, {"d": str(report.id), "f": "best", "depth": 1})
    assert _edges(one_hop) == {("joined.total", "report.best", "INDIRECT/SORT, DIRECT/IDENTITY")}
    assert one_hop["columnLineage"]["truncated"] is True
    two_hops = ask.data(COLUMNS, {"d": str(report.id), "f": "best", "depth": 2})
    assert _edges(two_hops) == {
        ("joined.total", "report.best", "INDIRECT/SORT, DIRECT/IDENTITY"),
        ("orders.amount", "joined.total", "DIRECT/AGGREGATION"),
        ("orders.user_id", "joined.total", "INDIRECT/GROUP_BY"),
    }  # the ghost's edge is left out: no dobject to show
    assert two_hops["columnLineage"]["truncated"] is False

    # no field: every field of the dobject is a root
    every = ask.data(COLUMNS, {"d": str(joined.id)})
    assert {e[1] for e in _edges(every)} == {"joined.name", "joined.total"}
    down = ask.data(COLUMNS, {"d": str(orders.id), "f": "amount", "dir": "DOWNSTREAM"})
    assert {(e[0], e[1]) for e in _edges(down)} == {
        ("orders.amount", "joined.total"),
        ("joined.total", "report.best"),
    }
    both = ask.data(COLUMNS, {"d": str(joined.id), "f": "total", "dir": "BOTH", "depth": 1})
    assert len(_edges(both)) == 3

    assert ask.codes(COLUMNS, {"d": str(uuid.UUID(int=5))}) == ["NOT_FOUND"]
    assert ask.codes(COLUMNS, {"d": str(joined.id), "depth": 0}) == ["BAD_USER_INPUT"]
    assert ask.codes(COLUMNS, {"d": str(joined.id), "depth": 51}) == ["BAD_USER_INPUT"]
    assert ask.codes(COLUMNS, {"d": "x"}) == ["BAD_USER_INPUT"]
