"""The explorer in headless chromium: time from navigation to a drawn graph, layout time,
and the longest main-thread task, for a 50-node neighbourhood and a 2,000-node graph.

Targets (issue 13): 50 nodes drawn within 1 s of navigation; 2,000 nodes laid out and
drawn within 3 s; no main-thread task over 200 ms (PerformanceObserver 'longtask').

The pages and files are the package's own, served by a small Starlette app in this
process; /graphql answers the explorer's lineage query with a synthetic lineage-shaped
graph of the asked size (so the figures are the front end's, not the database's). The
reference, measured in the same run, is the load of a blank page from the same server.
"main thread" is the page's own work to draw (fold, SVG or canvas, the text list), the
layout being in a worker; "longest task" is the longest the browser reported (wall
time, so a starved CPU lengthens it).
With Node.js present it also compares the layout libraries (web/bench-layout.mjs).

    python bench/bench_explorer.py [--sizes 50,2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import socket
import statistics
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from graphql_api.ui import routes as ui_routes

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LONGTASKS = """
window.__longtasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longtasks.push(e.duration);
}).observe({ type: 'longtask', buffered: true });
"""


def lineage_graph(size: int, seed: int = 7) -> dict[str, Any]:
    """A lineage-shaped graph: runs read 1-3 recent dobjects and write 1-2 new ones."""
    rng = random.Random(seed)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    dobjects: list[str] = []
    stamp = "2026-11-29T12:00:00+00:00"

    def dobject() -> str:
        node_id = f"{size:08d}-0000-0000-0000-{len(nodes):012d}"
        nodes.append(
            {
                "id": node_id,
                "kind": "DOBJECT",
                "depth": 1,
                "run": None,
                "dobject": {
                    "id": node_id,
                    "name": f"file{len(nodes)}",
                    "suffix": ".csv",
                    "createdAt": stamp,
                },
            }
        )
        dobjects.append(node_id)
        return node_id

    for _ in range(5):
        dobject()
    while len(nodes) < size:
        run_id = f"{size:08d}-0000-0000-0001-{len(nodes):012d}"
        nodes.append(
            {
                "id": run_id,
                "kind": "RUN",
                "depth": 1,
                "dobject": None,
                "run": {
                    "id": run_id,
                    "name": None,
                    "status": "COMPLETED",
                    "startedAt": stamp,
                    "transform": {"name": f"step{len(nodes) % 17}", "version": "1"},
                },
            }
        )
        recent = [dobjects[max(0, len(dobjects) - 1 - rng.randrange(20))] for _ in range(3)]
        edges.extend({"source": d, "target": run_id} for d in recent[: rng.randint(1, 3)])
        for _ in range(rng.randint(1, 2)):
            if len(nodes) < size:
                edges.append({"source": run_id, "target": dobject()})  # noqa: PERF401 - dobject() grows nodes
    nodes[0]["depth"] = 0
    return {"root": nodes[0]["id"], "truncated": False, "nodes": nodes, "edges": edges}


def bench_app(graphs: dict[str, dict[str, Any]]) -> Starlette:
    async def graphql(request: Request) -> Response:
        body = await request.json()
        variables = body.get("variables") or {}
        graph = graphs.get(variables.get("dobjectId") or variables.get("runId") or "")
        if "lineage(" in body.get("query", "") and graph is not None:
            return JSONResponse({"data": {"lineage": graph}})
        return JSONResponse({"data": None, "errors": [{"message": "not in this benchmark"}]})

    async def blank(_request: Request) -> Response:
        return HTMLResponse("<!doctype html><title>blank</title><p>blank</p>")

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/blank", blank), *ui_routes()]
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(app: Starlette) -> tuple[uvicorn.Server, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server, f"http://127.0.0.1:{port}"


def measure(browser: Any, url: str) -> dict[str, Any]:
    page = browser.new_page(viewport={"width": 1400, "height": 820})
    page.add_init_script(LONGTASKS)
    page.goto(url)
    page.wait_for_function("window.__explorer && window.__explorer.draws > 0", timeout=60_000)
    page.wait_for_timeout(300)  # let a trailing long task be reported
    probe = page.evaluate("window.__explorer")
    tasks = page.evaluate("window.__longtasks")
    page.close()
    return {
        "drawn_ms": probe["drawnAt"],
        "layout_ms": probe["layoutMs"],
        "engine": probe["engine"],
        "renderer": probe["renderer"],
        "nodes": probe["nodes"],
        "longest_task_ms": max(tasks, default=0.0),
        "main_ms": probe["foldMs"] + probe["drawMs"] + probe["listMs"],
    }


def blank_load(browser: Any, url: str) -> float:
    page = browser.new_page()
    page.goto(f"{url}/blank")
    ms = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    page.close()
    return float(ms)


def layout_libraries(sizes: list[int]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None or not (ROOT / "web" / "node_modules").exists():
        return []
    done = subprocess.run(
        [node, "bench-layout.mjs", *map(str, sizes)],
        cwd=ROOT / "web",
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="50,2000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    graphs = {}
    for size in sizes:
        graph = lineage_graph(size)
        graphs[graph["root"]] = graph
    server, url = serve(bench_app(graphs))
    rows: list[tuple[int, dict[str, Any]]] = []
    blanks: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        measure(browser, f"{url}/ui/dobject/{next(iter(graphs))}")  # warm the server's caches
        for _ in range(args.repeat):
            blanks.append(blank_load(browser, url))
            for size, graph in zip(sizes, graphs.values(), strict=True):
                # depth=50: the whole synthetic graph is the neighbourhood
                rows.append((size, measure(browser, f"{url}/ui/dobject/{graph['root']}?depth=50")))
        browser.close()
    server.should_exit = True
    blank = statistics.median(blanks)
    print("\nexplorer in headless chromium (2 shared cores, busy with other work: read the ratios)")
    print(f"reference: blank page load {blank:.0f} ms (median of {len(blanks)})\n")
    print(
        f"{'nodes':>6} {'drawn after nav':>16} {'x blank':>8} {'layout':>8} {'engine':>8} "
        f"{'renderer':>8} {'main thread':>12} {'longest task':>13}"
    )
    for size in sizes:
        runs = [r for s, r in rows if s == size]
        drawn = statistics.median(r["drawn_ms"] for r in runs)
        lay = statistics.median(r["layout_ms"] for r in runs)
        longest = max(r["longest_task_ms"] for r in runs)
        main_ms = statistics.median(r["main_ms"] for r in runs)
        print(
            f"{size:>6} {drawn:>13.0f} ms {drawn / blank:>7.1f}x {lay:>5.0f} ms "
            f"{runs[0]['engine']:>8} {runs[0]['renderer']:>8} "
            f"{main_ms:>9.0f} ms {longest:>10.0f} ms"
        )
    libs = layout_libraries(sizes)
    if libs:
        print("\nlayout libraries, same graphs, Node's V8 (one run each; ms)")
        print(f"{'nodes':>6} {'layered':>9} {'dagre':>9} {'elk':>9}")
        for size in sizes:
            got = {r["engine"]: r["ms"] for r in libs if r["n"] == size}
            cells = [
                f"{got[e]:>9.0f}" if e in got else f"{'-':>9}" for e in ("layered", "dagre", "elk")
            ]
            print(f"{size:>6} {' '.join(cells)}")


if __name__ == "__main__":
    main()
