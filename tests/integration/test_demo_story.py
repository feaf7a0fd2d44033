"""`lineage demo`'s nightly run: every lineage question has something to show."""

from __future__ import annotations

import pytest

from lineage_cli.demo_story import nightly_story
from tests.support.lineage_story import T0, Story, tell
from tests.support.service import Service

pytestmark = pytest.mark.integration

QUESTIONS = """query($fastq: ID!) {
  impact(dobjectId: $fastq) { totalRuns totalDObjects rerunOrder { transform { name version } } }
  runs(filter: {parent: {transformName: "nightly scRNA-seq"}}) {
    nodes { id status transform { name version } } }
  dobjects(filter: {name: "cell_types"}) { nodes { id fields { name } } } }"""
DIFF = """query($b: ID!, $a: ID!) { runDiff(before: $b, after: $a) { transformChanged
  inputs { added { name } unchanged { name } } outputs { added { name } changed { name } } } }"""
COLUMNS = """query($d: ID!) { columnLineage(dobjectId: $d, field: "cell_type", depth: 2) {
  edges { source { field } target { field } } } }"""


def test_the_nightly_story_answers_every_question(service: Service) -> None:
    s = Story(seed=7)
    fastq, bam = s.dobject("input", ".fastq.gz"), s.dobject("output", ".bam")
    cell_ranger = s.start("Cell Ranger", "7")
    s.load(cell_ranger, fastq)
    s.output(cell_ranger, bam)
    s.finish(cell_ranger)
    s.events += nightly_story(bam, T0.replace(hour=1))
    ask = tell(service.api_url, service.nats_url, s)

    data = ask.data(QUESTIONS, {"fastq": str(fastq.id)})
    order = [
        (r["transform"]["name"], r["transform"]["version"]) for r in data["impact"]["rerunOrder"]
    ]
    assert (data["impact"]["totalRuns"], data["impact"]["totalDObjects"]) == (5, 6)
    assert order[0] == ("Cell Ranger", "7")
    assert order.index(("Scanpy QC", "1")) < order.index(("Leiden clustering", "1"))
    assert order[-1] == ("cell type annotation", "1")
    children = {
        (r["transform"]["name"], r["transform"]["version"]): r for r in data["runs"]["nodes"]
    }
    assert len(children) == 4
    assert children[("cell type annotation", "1")]["status"] == "FAILED"
    [cell_types] = data["dobjects"]["nodes"]
    assert [f["name"] for f in cell_types["fields"]] == ["cell_id", "cell_type"]

    diff = ask.data(
        DIFF,
        {"b": children[("Scanpy QC", "1")]["id"], "a": children[("Scanpy QC", "2")]["id"]},
    )["runDiff"]
    assert diff == {
        "transformChanged": True,
        "inputs": {"added": [{"name": "mito_genes"}], "unchanged": [{"name": "output"}]},
        "outputs": {"added": [{"name": "qc_report"}], "changed": [{"name": "qc_metrics"}]},
    }
    edges = ask.data(COLUMNS, {"d": cell_types["id"]})["columnLineage"]["edges"]
    assert {(e["source"]["field"], e["target"]["field"]) for e in edges} == {
        ("cluster", "cell_type"),
        ("n_genes", "cluster"),
        ("total_counts", "cluster"),
        ("pct_mito", "cluster"),
    }
