"""The explorer and GraphiQL in a real browser (Debian's chromium), offline, against one
`lineage up` with LINEAGE_API_TOKEN set and the seed program's lineage in it.

One service and one tab serve every state, in file order (the tab keeps the token);
each state leaves a screenshot under test-artifacts/explorer/."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.support.browser import OfflinePage, chromium, skip_without_chromium
from tests.support.notebook import cell
from tests.support.projector import delete_streams
from tests.support.seed import SEED
from tests.support.servers import NatsServer, PostgresServer
from tests.support.service import Service, start_service

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

TOKEN = "explorer-s3cret"
LIVE_WITHIN = 5.0  # docs/reference/explorer.md: live updates show within 5 s

# A later run that loads output.bam and writes a report and seven lane files: more
# outputs than the explorer shows of one run before folding them into "+N more".
QC_RUN = """
from pathlib import Path
import producer_sdk as ln
from producer_sdk import schema as lns

ln.add(lns.Pipeline(name="QC", v="2"))
ln.Run(pipeline_name="QC", global_context=True)
with ln.Session() as ss:
    bam = ss.select(ln.DObject, name="output", suffix=".bam").one()
bam.load(is_run_input=True)
report = Path("qc_report.txt")
report.write_text("reads ok\\n")
ln.add(ln.DObject(report))
for lane in range(1, 8):
    path = Path(f"lane_{lane}.txt")
    path.write_text(f"lane {lane}\\n")
    ln.add(ln.DObject(path))
"""

VIEW_IN_NOTEBOOK = """import producer_sdk as ln
with ln.Session() as ss:
    bam = ss.select(ln.DObject, name="output", suffix=".bam").one()
link = bam.view_lineage()"""

IDS = """{ bam: dobjects(filter: {name: "output", suffix: ".bam"}) { nodes { id } }
  fastq: dobjects(filter: {name: "input", suffix: ".fastq.gz"}) { nodes { id } } }"""


@dataclass
class Explorer:
    service: Service
    browser: Browser
    tab: OfflinePage
    bam: str
    fastq: str
    workdir: Path

    @property
    def url(self) -> str:
        return self.service.api_url

    def run_script(self, source: str) -> None:
        script = self.workdir / "script.py"
        script.write_text(source)
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=self.workdir,
            env=self.service.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def node_names(self) -> list[str]:
        return self.tab.page.locator("#node-list li[data-node-id] .node-name").all_inner_texts()


@pytest.fixture(scope="module")
def explorer(
    nats_server: NatsServer,
    postgres_server: PostgresServer,
    template_database: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Explorer]:
    skip_without_chromium()
    nats_server.start()
    asyncio.run(delete_streams(nats_server.url))
    database = asyncio.run(postgres_server.create_database(template=template_database))
    workdir = tmp_path_factory.mktemp("explorer")
    service = start_service(
        nats_server.url,
        postgres_server.url_for(database),
        workdir / "home",
        extra_env={"LINEAGE_API_TOKEN": TOKEN},
    )
    try:
        with chromium() as browser:
            tab = OfflinePage(browser)
            ui = Explorer(service, browser, tab, "", "", workdir)
            ui.run_script(SEED)
            ids = _graphql(service, IDS)
            ui.bam = ids["bam"]["nodes"][0]["id"]
            ui.fastq = ids["fastq"]["nodes"][0]["id"]
            yield ui
            assert tab.blocked == [], f"the pages asked for off-machine URLs: {tab.blocked}"
            assert tab.errors == [], f"errors in the page: {tab.errors}"
            tab.close()
    finally:
        service.stop()
        asyncio.run(postgres_server.drop_database(database))


def _graphql(service: Service, query: str) -> dict[str, object]:
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        tip = client.post(
            f"{service.api_url}/graphql",
            json={"query": "{ projectionStatus { streamSequence } }"},
        ).json()["data"]["projectionStatus"]["streamSequence"]
        answer = client.post(
            f"{service.api_url}/graphql",
            json={"query": query},
            headers={"X-Lineage-Min-Sequence": str(tip)},
        ).json()
    assert "errors" not in answer, answer
    return answer["data"]  # type: ignore[no-any-return]


def _skip_without_section_5(explorer: Explorer) -> None:
    """asOf and impact come with the lineage questions (docs/reference/questions.md); without
    them the explorer hides them."""
    fields = _graphql(explorer.service, '{ __type(name: "Query") { fields { name } } }')
    names = {f["name"] for f in fields["__type"]["fields"]}
    if "impact" not in names:
        pytest.skip("this API has no lineage questions (asOf, impact) yet")


def test_pages_are_open_and_data_needs_the_token(explorer: Explorer) -> None:
    url = explorer.url
    assert f"explorer: {url}/ui/" in explorer.service.output()  # `lineage up` says where
    assert httpx.get(f"{url}/").headers["location"] == "/ui/"
    version = "6f1c1f0e-0000-5000-8000-000000000001"  # any id: the page itself holds no data
    pages = ("/ui/", f"/ui/dobject/{explorer.bam}", f"/ui/version/{version}")
    for path in (*pages, "/ui/static/explorer.js"):
        assert httpx.get(f"{url}{path}").status_code == 200, path
    graphiql = httpx.get(f"{url}/graphql", headers={"accept": "text/html"})
    assert graphiql.status_code == 200
    assert "/ui/static/graphiql.js" in graphiql.text
    assert "unpkg" not in graphiql.text
    refused = httpx.post(f"{url}/graphql", json={"query": "{ projectionStatus { lag } }"})
    assert refused.status_code == 401


def test_token_prompt_then_the_seed_graph(explorer: Explorer) -> None:
    page = explorer.tab.page
    page.goto(f"{explorer.url}/ui/dobject/{explorer.bam}")
    prompt = page.locator("#token-dialog input[type=password]")
    prompt.wait_for(state="visible")
    explorer.tab.shot("01-token-prompt")
    prompt.fill("wrong-token")
    prompt.press("Enter")
    page.get_by_text("The token was refused").wait_for()  # the 401 brought it back
    prompt.fill(TOKEN)
    prompt.press("Enter")
    page.locator(f'#node-list li[data-node-id="{explorer.bam}"]').wait_for()
    assert sorted(explorer.node_names()) == ["Cell Ranger v7 run", "input.fastq.gz", "output.bam"]
    assert page.locator(f'.graph-svg [data-graph-id="{explorer.fastq}"]').is_visible()
    assert page.evaluate("sessionStorage.getItem('lineage.token')") == TOKEN
    explorer.tab.shot("02-seed-graph-depth-2")


def test_expand_upstream_shows_the_first_run(explorer: Explorer) -> None:
    page = explorer.tab.page
    page.locator(f'.handle[data-expand="UPSTREAM"][data-expand-id="{explorer.fastq}"]').click()
    page.locator("#node-list .node-name", has_text="10x scRNA-seq nextseq v1 run").wait_for()
    assert sorted(explorer.node_names()) == [
        "10x scRNA-seq nextseq v1 run",
        "Cell Ranger v7 run",
        "input.fastq.gz",
        "output.bam",
    ]
    explorer.tab.shot("03-seed-graph-expanded")


def test_keyboard_moves_focus_across_nodes(explorer: Explorer) -> None:
    page = explorer.tab.page
    page.locator(f'.graph-svg .node[data-graph-id="{explorer.bam}"]').focus()
    page.keyboard.press("ArrowLeft")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused.startswith("Cell Ranger v7 run (run, completed")
    page.keyboard.press("Enter")
    page.locator("#details h2", has_text="Cell Ranger v7 run").wait_for()


def test_details_panel_shows_every_field(explorer: Explorer) -> None:
    page = explorer.tab.page
    page.locator("#node-list button", has_text="Cell Ranger v7 run").click()
    details = page.locator("#details")
    details.locator("h2", has_text="Cell Ranger v7 run").wait_for()
    text = details.inner_text()
    for expected in ("status", "completed", "Cell Ranger v7 (pipeline)", "started", "finished"):
        assert expected in text, expected
    # its input and its output, once each (the versions it read and wrote link to
    # /ui/version/ and are counted by the versions tests)
    dobject_links = details.locator('a[href^="/ui/dobject/"]')
    assert dobject_links.filter(has_text="input.fastq.gz").count() == 1
    assert dobject_links.filter(has_text="output.bam").count() == 1
    explorer.tab.shot("04-details-run")
    page.locator(f'#node-list li[data-node-id="{explorer.fastq}"] button').click()
    details.locator("h2", has_text="input.fastq.gz").wait_for()
    text = details.inner_text()
    for expected in ("size", "bytes", "hash", "uri", "file://", "10x scRNA-seq nextseq v1 run"):
        assert expected in text, expected
    explorer.tab.shot("05-details-dobject")


def test_search_by_name_with_the_keyboard(explorer: Explorer) -> None:
    page = explorer.tab.page
    search = page.locator("#search")
    search.fill("Cell Ranger")
    first = page.locator("#search-results li a").first
    first.wait_for()
    assert page.locator("#search-results a", has_text="Cell Ranger v7 run").count() >= 1
    explorer.tab.shot("06-search")
    search.press("Enter")  # opens the first result
    page.wait_for_url(re.compile(r"/ui/run/[0-9a-f-]{36}$"))
    page.locator("#node-list .node-name", has_text="output.bam").wait_for()
    search.fill("output.bam")
    page.locator("#search-results a", has_text="output.bam").wait_for()
    search.press("ArrowDown")
    search.press("ArrowUp")
    search.press("Enter")
    page.wait_for_url(f"**/ui/dobject/{explorer.bam}")


def test_a_new_run_and_outputs_arrive_live_and_fold(explorer: Explorer) -> None:
    page = explorer.tab.page
    page.goto(f"{explorer.url}/ui/dobject/{explorer.bam}")
    page.locator(f'#node-list li[data-node-id="{explorer.bam}"]').wait_for()
    page.locator("body[data-live=live]").wait_for()
    explorer.run_script(QC_RUN)
    published = time.monotonic()
    page.locator("#node-list li.new", has_text="QC v2 run").wait_for(timeout=LIVE_WITHIN * 1000)
    assert time.monotonic() - published < LIVE_WITHIN
    # 8 outputs of one run: the first 5 by name shown, the other 3 folded
    more = page.locator("#node-list li[data-more-id]", has_text="+3 more")
    more.wait_for(timeout=LIVE_WITHIN * 1000)
    assert page.locator("#node-list li.new", has_text="lane_1.txt").count() == 1
    assert "qc_report.txt" not in explorer.node_names()
    assert page.locator(".graph-svg .node.more").count() == 1
    assert page.locator(".graph-svg .node.new").count() == 6  # the run and 5 outputs
    explorer.tab.shot("07-live-arrival-folded")
    more.locator("button").click()
    page.locator("#node-list .node-name", has_text="qc_report.txt").wait_for()
    assert page.locator("#node-list li[data-more-id]").count() == 0
    explorer.tab.shot("08-unfolded")
    page.locator("#node-list li.new").first.wait_for(state="detached", timeout=15_000)


def test_time_control_hides_what_came_later(explorer: Explorer) -> None:
    _skip_without_section_5(explorer)
    page = explorer.tab.page
    page.goto(f"{explorer.url}/ui/dobject/{explorer.fastq}?direction=DOWNSTREAM")
    page.locator("#node-list .node-name", has_text="output.bam").wait_for()
    slider = page.locator("#asof-range")
    slider.focus()
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")  # the last moment seen: output.bam's creation
    page.wait_for_url(re.compile(r"asOf="))
    page.locator("#node-list .node-name", has_text="output.bam").wait_for()
    page.keyboard.press("ArrowLeft")  # one moment before it
    page.locator("#node-list .node-name", has_text="output.bam").wait_for(state="detached")
    assert "input.fastq.gz" in explorer.node_names()
    explorer.tab.shot("09-time-control")
    kept = page.url
    page.goto(kept)  # the URL keeps the picture
    page.locator(f'#node-list li[data-node-id="{explorer.fastq}"]').wait_for()
    assert "output.bam" not in explorer.node_names()


def test_impact_is_one_click_from_a_dobject(explorer: Explorer) -> None:
    _skip_without_section_5(explorer)
    page = explorer.tab.page
    page.goto(f"{explorer.url}/ui/dobject/{explorer.fastq}")
    page.locator("#details h2", has_text="input.fastq.gz").wait_for()
    page.locator("#details .impact-button").click()
    impact = page.locator("#details .impact")
    impact.locator("a", has_text="output.bam").wait_for()
    assert impact.locator("a", has_text="qc_report.txt").count() == 1
    assert impact.locator("a", has_text="QC v2 run").count() == 1
    explorer.tab.shot("10-impact")


def test_compare_with_another_run_is_one_click_from_a_run(explorer: Explorer) -> None:
    _skip_without_section_5(explorer)
    runs = _graphql(
        explorer.service,
        """{ qc: runs(filter: {transformName: "QC"}) { nodes { id } }
             cr: runs(filter: {transformName: "Cell Ranger"}) { nodes { id } } }""",
    )
    qc = runs["qc"]["nodes"][0]["id"]
    cell_ranger = runs["cr"]["nodes"][0]["id"]
    page = explorer.tab.page
    page.goto(f"{explorer.url}/ui/run/{cell_ranger}")
    page.locator("#details .diff-button").click()
    form = page.locator("#details form.compare")
    form.locator("input").fill(qc)  # no other Cell Ranger run: compare by id
    form.locator("button[type=submit]").click()
    diff = page.locator("#details .diff")
    diff.get_by_text("transform changed").wait_for()
    inputs = diff.locator("table").first  # before: QC (loaded output.bam); after: Cell Ranger
    assert inputs.locator("tr", has_text="added").locator("a", has_text="input.fastq.gz").count()
    assert inputs.locator("tr", has_text="removed").locator("a", has_text="output.bam").count()
    explorer.tab.shot("11-run-diff")


def test_graphiql_renders_the_schema_offline(explorer: Explorer) -> None:
    page = explorer.tab.page
    page.goto(f"{explorer.url}/graphql")
    page.locator(".graphiql-container").wait_for()
    page.get_by_role("button", name="Show Documentation Explorer").click()
    page.locator(".graphiql-doc-explorer").get_by_text("Query").first.wait_for()
    page.get_by_text("Headers", exact=True).click()
    assert f"Bearer {TOKEN}" in page.locator(".graphiql-editor-tool").inner_text()
    editor = page.locator(".graphiql-query-editor .CodeMirror").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text("{ dobjects(first: 5) { totalCount } }")
    page.keyboard.press("Control+Enter")
    page.locator(".graphiql-response", has_text="totalCount").wait_for()
    explorer.tab.shot("12-graphiql")


def test_the_notebook_view_shows_the_graph_inline(explorer: Explorer) -> None:
    notebook = {
        "cells": [cell("code", VIEW_IN_NOTEBOOK)],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (explorer.workdir / "view.ipynb").write_text(json.dumps(notebook))
    nbconvert = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--execute"]
    done = subprocess.run(
        [*nbconvert, "--output", "view.html", "view.ipynb"],
        cwd=explorer.workdir,
        env=explorer.service.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    link = f"{explorer.url}/ui/dobject/{explorer.bam}"
    rendered = (explorer.workdir / "view.html").read_text()
    assert re.search(f'<iframe class="lineage-view"[^>]* src="{re.escape(link)}"', rendered)

    # nbconvert's own page template asks CDNs for require.js and MathJax: a tab of its
    # own, where only requests from the explorer's frame must stay on this machine
    tab = OfflinePage(explorer.browser)
    try:
        tab.page.goto((explorer.workdir / "view.html").as_uri())
        frame = tab.page.frame_locator("iframe.lineage-view")
        prompt = frame.locator("#token-dialog input[type=password]")
        prompt.fill(TOKEN)  # the frame is another site's storage: it asks once
        prompt.press("Enter")
        frame.locator(f'#node-list li[data-node-id="{explorer.fastq}"]').wait_for()
        names = frame.locator("#node-list .node-name").all_inner_texts()
        assert {"output.bam", "Cell Ranger v7 run", "input.fastq.gz"} <= set(names)
        tab.shot("13-notebook-view")
        assert not [u for u in tab.blocked_from if u.startswith(explorer.url)]
    finally:
        tab.close()
