"""Run.parent, Run.children and RunFilter.parent, from RunStarted.parent_run_id."""

from __future__ import annotations

import pytest

from tests.support.lineage_story import Story, tell
from tests.support.service import Service

pytestmark = pytest.mark.integration

RUN = """query($id: ID!, $at: DateTime) { run(id: $id, asOf: $at) {
  id status transform { name } parent { id } children { id children { id } } } }"""
RUNS = """query($f: RunFilter, $at: DateTime) { runs(filter: $f, asOf: $at) {
  totalCount nodes { id } } }"""


def test_parent_children_and_the_parent_filter(service: Service) -> None:
    s = Story(seed=6)
    dag = s.start("orchestrator", name="nightly")  # 1
    extract = s.start("extract", parent=dag)  # 2
    load = s.start("load", parent=dag)  # 3
    step = s.start("step", parent=extract)  # 4
    unseen = s.uid()
    orphan = s.start("orphan", parent=unseen)  # 5: a parent no event describes
    ask = tell(service.api_url, service.nats_url, s)

    assert ask.data(RUN, {"id": str(dag)})["run"] == {
        "id": str(dag),
        "status": "STARTED",
        "transform": {"name": "orchestrator"},
        "parent": None,
        "children": [
            {"id": str(extract), "children": [{"id": str(step)}]},
            {"id": str(load), "children": []},
        ],
    }
    assert ask.data(RUN, {"id": str(step)})["run"]["parent"] == {"id": str(extract)}
    stub = ask.data(RUN, {"id": str(unseen)})["run"]
    assert stub["transform"] is None
    assert stub["children"] == [{"id": str(orphan), "children": []}]

    by_parent = ask.data(RUNS, {"f": {"parent": {"id": str(dag)}}})["runs"]
    assert [n["id"] for n in by_parent["nodes"]] == [str(extract), str(load)]
    grand = {"parent": {"parent": {"transformName": "orchestrator"}}}
    assert [n["id"] for n in ask.data(RUNS, {"f": grand})["runs"]["nodes"]] == [str(step)]
    assert ask.data(RUNS, {"f": {"parent": {"name": "nightly"}}})["runs"]["totalCount"] == 2

    # as of the second event, the DAG had started one child
    then = ask.data(RUN, {"id": str(dag), "at": s.at(2).isoformat()})["run"]
    assert then["children"] == [{"id": str(extract), "children": []}]
    at_2 = {"f": {"parent": {"id": str(dag)}}, "at": s.at(2).isoformat()}
    assert ask.data(RUNS, at_2)["runs"]["totalCount"] == 1
