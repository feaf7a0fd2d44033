"""select/join chains -> GraphQL filters and documents (no server)."""

from __future__ import annotations

import uuid

import pytest

import producer_sdk as ln
from producer_sdk import query as q
from producer_sdk import schema as lns
from producer_sdk.core import pick_pipeline
from producer_sdk.query import describe


def chain(query: ln.Query) -> list:  # type: ignore[type-arg]
    return query._chain


def test_seed_chain_is_the_run_that_produced_the_bam() -> None:
    query = ln.select(lns.Run).join(ln.DObject, name="output", suffix=".bam")
    assert q.chain_filter(chain(query)) == {"output": {"name": "output", "suffix": ".bam"}}
    select = q.build_select(chain(query), first=2)
    assert select.root == "runs"
    assert select.variables == {
        "filter": {"output": {"name": "output", "suffix": ".bam"}},
        "first": 2,
    }
    assert select.document.startswith("query Select($filter: RunFilter, $first: Int")
    assert "runs(filter: $filter, first: $first, after: $after)" in select.document
    assert "transform { __typename id type name version" in select.document


def test_notebook_run_dobject_chain_nests_three_levels() -> None:
    query = ln.select(lns.Notebook).join(lns.Run).join(ln.DObject, name="iris_new")
    assert q.chain_filter(chain(query)) == {"run": {"output": {"name": "iris_new"}}}
    assert q.build_select(chain(query), 1).root == "notebooks"


def test_dobject_to_run_is_its_source() -> None:
    run_id = uuid.uuid4()
    query = ln.select(ln.DObject, suffix=".bam").join(lns.Run, id=run_id, status="completed")
    assert q.chain_filter(chain(query)) == {
        "suffix": ".bam",
        "source": {"id": str(run_id), "status": "COMPLETED"},
    }


def test_run_to_pipeline_uses_the_flat_transform_fields() -> None:
    query = ln.select(lns.Run).join(lns.Pipeline, name="Cell Ranger", v="7")
    assert q.chain_filter(chain(query)) == {
        "transformType": "PIPELINE",
        "transformName": "Cell Ranger",
        "transformVersion": "7",
    }
    query = ln.select(ln.DObject).join(lns.Notebook, name="nb")  # type: ignore[assignment]
    assert q.chain_filter(chain(query)) == {
        "source": {"transformType": "NOTEBOOK", "transformName": "nb"}
    }


def test_pipeline_to_dobject_goes_through_its_runs() -> None:
    query = ln.select(lns.Pipeline, name="p").join(ln.DObject, hash="h")
    assert q.chain_filter(chain(query)) == {"name": "p", "run": {"output": {"hash": "h"}}}


def test_select_with_ln_run_means_runs() -> None:
    assert q.kind_of(ln.Run) == "run"
    assert q.kind_of(lns.Run) == "run"


def test_unknown_field_is_refused_where_it_is_typed() -> None:
    with pytest.raises(TypeError, match="DObject cannot be filtered by 'colour'"):
        ln.select(ln.DObject, colour="red")
    with pytest.raises(TypeError, match="Run cannot be filtered by 'size'"):
        ln.select(ln.DObject).join(lns.Run, size=3)


def test_unsupported_join_says_which_are_supported() -> None:
    with pytest.raises(TypeError, match="supported joins are Run -> DObject"):
        q.chain_filter([("dobject", {}), ("dobject", {})])
    with pytest.raises(TypeError, match="cannot select"):
        ln.select(str)


def test_all_pages_by_at_most_1000() -> None:
    select = q.build_select([("dobject", {})], first=5000, after="abc")
    assert select.variables == {"filter": {}, "first": 1000, "after": "abc"}


def test_page_rows_reads_the_connection() -> None:
    select = q.build_select([("dobject", {})], first=1)
    data = {
        "dobjects": {
            "totalCount": 3,
            "pageInfo": {"hasNextPage": True, "endCursor": "c1"},
            "nodes": [{"id": str(uuid.uuid4())}],
        }
    }
    rows, total, cursor = q.page_rows(data, select)
    assert (len(rows), total, cursor) == (1, 3, "c1")
    data["dobjects"]["pageInfo"] = {"hasNextPage": False, "endCursor": "c2"}
    assert q.page_rows(data, select)[2] is None


def test_relation_rows_of_a_missing_owner_is_empty() -> None:
    assert q.relation_rows({"dobject": None}, "dobject", "targets") == []
    assert q.relation_rows({"dobject": {"source": None}}, "dobject", "source") == []
    assert q.relation_rows({"run": {"inputs": [{"id": 1}]}}, "run", "inputs") == [{"id": 1}]


def test_latest_version_wins() -> None:
    versions = ["1", "10", "9", "2.0"]
    pipelines = [lns.Pipeline(name="p", v=v) for v in versions]
    assert pick_pipeline(list(pipelines), None).version == "10"
    assert pick_pipeline(list(pipelines), "9").version == "9"
    assert pick_pipeline(list(pipelines), "3") is None
    assert q.version_key("1.10") > q.version_key("1.9")
    assert q.version_key("2") > q.version_key("1-beta")


def test_describe_reads_like_the_call() -> None:
    assert (
        describe([("run", {}), ("dobject", {"name": "output"})])
        == "select(Run).join(DObject, name='output')"
    )
