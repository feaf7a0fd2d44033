"""`lineage demo`'s nightly run and scheduled rewrites: every lineage question has
something to show."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lineage_cli.demo_story import nightly_story
from lineage_cli.demo_versions import scheduled_story
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


SCHEDULE = """{
  summary: dobjects(filter: {name: "expression_summary"}) { nodes { id source { name }
    currentVersion { number } versions { totalCount nodes { id number label run { id name }
    fields { name } } } } }
  report: dobjects(filter: {name: "weekly_report"}) { nodes { stale currentVersion { id
    run { id inputVersions { version { number } } } staleInputs { version { number } } } } }
  counts: dobjects(filter: {name: "cell_counts"}) { nodes { id fields { name }
    currentVersion { id } } } }"""
PINNED = """query($v: ID!) { lineage(versionId: $v) {
  nodes { kind version { number dobject { name } } dobject { name } run { name } } } }"""
AS_OF = """query($at: DateTime) {
  summary: dobjects(filter: {name: "expression_summary"}, asOf: $at) {
    nodes { currentVersion { number } versions { totalCount } } }
  report: dobjects(filter: {name: "weekly_report"}, asOf: $at) { nodes { stale } } }"""
NIGHTS = """query($b: ID!, $a: ID!, $d: ID!) {
  runDiff(before: $b, after: $a) { inputs { unchanged { name } changed { name } }
    outputs { changed { beforeVersion { number } afterVersion { number fields { name } } } } }
  impact(dobjectId: $d) { totalRuns dobjects { dobject { name } } } }"""


def test_the_scheduled_rewrites_answer_the_version_questions(service: Service) -> None:
    """The answers docs/questions/versions.md shows, on the demo's third part."""
    s = Story(seed=8)
    now = T0.replace(day=4, hour=1)
    s.events += scheduled_story(now)
    ask = tell(service.api_url, service.nats_url, s)

    data = ask.data(SCHEDULE)
    [summary], [report], [counts] = (data[k]["nodes"] for k in ("summary", "report", "counts"))
    versions = summary["versions"]["nodes"]
    assert [(v["number"], v["label"], v["run"]["name"]) for v in versions] == [
        (3, "2026-03-04", "night 3"),
        (2, "2026-03-03", "night 2"),
        (1, "2026-03-02", "night 1"),
    ]
    assert [len(v["fields"]) for v in versions] == [4, 3, 3]  # night 3 adds pct_mito
    assert (summary["source"]["name"], summary["currentVersion"]["number"]) == ("night 3", 3)
    assert report["stale"] is True
    assert report["currentVersion"]["staleInputs"] == [{"version": {"number": 2}}]
    assert report["currentVersion"]["run"]["inputVersions"] == [{"version": {"number": 2}}]
    assert counts["currentVersion"] is None  # delivered, written by no run
    assert [f["name"] for f in counts["fields"]] == ["cell_id", "gene", "count"]

    pinned = ask.data(PINNED, {"v": report["currentVersion"]["id"]})["lineage"]["nodes"]
    assert [
        (n["kind"], (n["version"] or {}).get("number"), (n["dobject"] or n["run"])["name"])
        for n in pinned
    ] == [
        ("DOBJECT_VERSION", 1, "weekly_report"),
        ("RUN", None, None),
        ("DOBJECT_VERSION", 2, "expression_summary"),
        ("RUN", None, "night 2"),
        ("DOBJECT", None, "cell_counts"),
    ]

    before, after = now - timedelta(hours=1), now + timedelta(minutes=1)
    assert ask.data(AS_OF, {"at": before.isoformat()}) == {
        "summary": {"nodes": [{"currentVersion": {"number": 2}, "versions": {"totalCount": 2}}]},
        "report": {"nodes": [{"stale": False}]},
    }
    assert ask.data(AS_OF, {"at": after.isoformat()}) == {
        "summary": {"nodes": [{"currentVersion": {"number": 3}, "versions": {"totalCount": 3}}]},
        "report": {"nodes": [{"stale": True}]},
    }

    night2, night3 = versions[1]["run"]["id"], versions[0]["run"]["id"]
    nights = ask.data(NIGHTS, {"b": night2, "a": night3, "d": counts["id"]})
    diff = nights["runDiff"]
    assert diff["inputs"] == {"unchanged": [{"name": "cell_counts"}], "changed": []}
    [changed] = diff["outputs"]["changed"]
    assert (changed["beforeVersion"]["number"], changed["afterVersion"]["number"]) == (2, 3)
    assert changed["afterVersion"]["fields"][-1] == {"name": "pct_mito"}
    assert nights["impact"]["totalRuns"] == 4  # the three nights and the report
    assert [d["dobject"]["name"] for d in nights["impact"]["dobjects"]] == [
        "expression_summary",
        "weekly_report",
    ]
