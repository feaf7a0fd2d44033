"""Peak RSS of each process of `lineage up`: idle, during event bursts, under API load.

    .venv/bin/python bench/bench_memory.py [--events 200000] [--seconds 10] [--connections 16]

Starts `lineage up` exactly as a user does on a bare machine (no URLs configured: an
embedded nats-server and an embedded Postgres under a temporary LINEAGE_HOME), samples
the RSS of every process in its tree every 0.2 s, and runs four phases:

1. idle for a few seconds after it is ready;
2. a burst of --events events published to JetStream, until all are projected;
3. the same burst again (what stays resident must not grow with the events seen);
4. the seed question under a closed-loop HTTP load for --seconds.

Prints, per process kind (the `lineage up` Python process, nats-server, the Postgres
postmaster and its largest backend), the highest RSS seen in each phase and the RSS
left at the end of each burst. RSS of Postgres processes counts the shared buffers
they touched, so backends are shown one by one, never summed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import asyncpg
import httpx
import nats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_api import SEED_QUESTION, run_python_load, run_wrk
from lineage_core import subjects
from lineage_core.events import encode
from lineage_core.streams import ensure_streams
from projector.store import asyncpg_dsn
from tests.support.servers import free_port
from tests.support.workload import EVENTS_PER_RUN, run_events

WINDOW = 5_000


def tree(root: int) -> list[int]:
    """`root` and every process descended from it."""
    parents: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents[ppid].append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(parents.get(pid, []))
    return out


def kind_and_rss(pid: int, root: int) -> tuple[str, float] | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    rss = next(
        (int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")),
        0.0,
    )
    if pid == root:
        return "lineage up (projector + API)", rss
    if "nats-server" in cmdline:
        return "nats-server (embedded)", rss
    if "postgres" in cmdline and " -D " in cmdline:
        return "Postgres postmaster (embedded)", rss
    if cmdline.startswith("postgres:"):
        return "largest Postgres backend", rss
    return None


class Sampler(threading.Thread):
    """Highest RSS per process kind within the current phase."""

    def __init__(self, root: int, home: Path) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.home = str(home)
        self.phase = "starting"
        self.peaks: dict[str, dict[str, float]] = defaultdict(dict)
        self.stop = threading.Event()

    def snapshot(self) -> dict[str, float]:
        now: dict[str, float] = {}
        # pg_ctl detaches the embedded postmaster from `lineage up`: find it by its data dir
        for pid in tree(self.root) + [p for m in self.postmasters() for p in tree(m)]:
            found = kind_and_rss(pid, self.root)
            if found:
                kind, rss = found
                now[kind] = max(now.get(kind, 0.0), rss)
        return now

    def postmasters(self) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    continue
                if "postgres" in cmdline and " -D " in cmdline and self.home in cmdline:
                    found.append(int(entry.name))
        return found

    def run(self) -> None:
        while not self.stop.is_set():
            for kind, rss in self.snapshot().items():
                peaks = self.peaks[self.phase]
                peaks[kind] = max(peaks.get(kind, 0.0), rss)
            time.sleep(0.2)


async def burst(nats_url: str, database_url: str, events: int, seed: int) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream(publish_async_max_pending=WINDOW * 2)
    await ensure_streams(js)
    pending = []
    last = 0
    for index in range(max(events // EVENTS_PER_RUN, 1)):
        for event in run_events(index, seed=seed):
            headers = {subjects.MSG_ID_HEADER: str(event.event_id)}
            subject = subjects.subject_for(event.event_type)
            pending.append(await js.publish_async(subject, encode(event), headers=headers))
        if len(pending) >= WINDOW:
            last = max([last, *[int((await f).seq) for f in pending]])
            pending.clear()
    last = max([last, *[int((await f).seq) for f in pending]])
    await nc.close()
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        while True:
            applied = await conn.fetchval(
                "SELECT applied_sequence FROM projection.projection_state WHERE id = 1"
            )
            if applied is not None and applied >= last:
                return
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


def start_up(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_")}
    # the API load comes from one address: no per-caller rate limit (docs/security.md)
    env.update(
        {"LINEAGE_HOME": str(home), "LINEAGE_PORT": str(port), "LINEAGE_API_RATE_LIMIT": "0"}
    )
    lineage = str(Path(sys.executable).with_name("lineage"))
    log = (home / "up.log").open("wb")
    return subprocess.Popen([lineage, "up"], env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(home: Path, port: int, proc: subprocess.Popen[bytes]) -> dict[str, str]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((home / "up.log").read_text())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                endpoints: dict[str, str] = json.loads((home / "endpoints.json").read_text())
                return endpoints
        except (httpx.HTTPError, OSError, ValueError):
            pass
        time.sleep(0.2)
    raise TimeoutError("lineage up did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="lineage-memory-"))
    port = free_port()
    proc = start_up(home, port)
    sampler = Sampler(proc.pid, home)
    after: dict[str, dict[str, float]] = {}
    try:
        endpoints = wait_ready(home, port, proc)
        sampler.start()
        sampler.phase = "idle"
        time.sleep(5)
        for name, seed in (("burst 1", 1), ("burst 2", 2)):
            sampler.phase = name
            asyncio.run(burst(endpoints["nats_url"], endpoints["database_url"], args.events, seed))
            after[name] = sampler.snapshot()
        sampler.phase = "API load"
        body: dict[str, object] = {"query": SEED_QUESTION}
        load = (run_wrk if shutil.which("wrk") else run_python_load)(
            port, body, args.seconds, args.connections
        )
    finally:
        sampler.stop.set()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(home, ignore_errors=True)

    phases = ["idle", "burst 1", "burst 2", "API load"]
    kinds = sorted({k for p in phases for k in sampler.peaks[p]})
    print(
        f"\n`lineage up` memory: bursts of {args.events:,} events, then the seed question "
        f"at {load.rate:,.0f} req/s for {args.seconds:g} s ({args.connections} connections); "
        f"the machine is shared: RSS does not depend on its load\n"
    )
    header = ["idle", "burst 1 peak", "after burst 1", "burst 2 peak", "after burst 2"]
    print("| process | " + " | ".join([*header, "API load peak"]) + " |")
    print("|---|---|---|---|---|---|---|")
    for kind in kinds:
        cells = [
            sampler.peaks["idle"].get(kind, 0.0),
            sampler.peaks["burst 1"].get(kind, 0.0),
            after["burst 1"].get(kind, 0.0),
            sampler.peaks["burst 2"].get(kind, 0.0),
            after["burst 2"].get(kind, 0.0),
            sampler.peaks["API load"].get(kind, 0.0),
        ]
        print(f"| {kind} | " + " | ".join(f"{c:,.0f} MiB" for c in cells) + " |")


if __name__ == "__main__":
    main()
