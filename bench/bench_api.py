"""GraphQL API throughput and latency on a projection of >= 1,000,000 events.

    .venv/bin/python bench/bench_api.py [--runs 166667] [--seconds 10] [--connections 16]
                                        [--load wrk|python]
                                        [--database-url URL]   # reuse a built database

Builds the database the real way: the workload's events (one long lineage chain of runs
with 2 inputs and 2 outputs each, plus the seed program's runs that produce output.bam)
are COPYed into public.raw_events and projected by `projector.rebuild.rebuild`. Then it
serves the API with one uvicorn worker (its own process) and drives it over loopback
with wrk (`apt install wrk`), or else a keep-alive asyncio load generator in another
process, one scenario at a time:

1. the seed question: the run that produced output.bam, and its inputs;
2. a dobjects page of 100 with their source runs;
3. lineage depth 10 upstream from the last output of the chain.

Prints req/s, p50 and p99 per scenario. Then the two reference apps of
bench/calibration_apps.py take the same load, and the table also gives each figure
scaled to the machine the field notes' ceilings (and the issue's targets) come from.
The machine is shared: read it as one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.calibration_apps import HELLO_QUERY, REFERENCE_RATES
from lineage_core import subjects
from lineage_core.db.engine import upgrade
from lineage_core.events import (
    DObjectRef,
    Event,
    InputLoaded,
    OutputRegistered,
    RunFinished,
    RunStarted,
    encode,
)
from lineage_core.settings import Settings
from projector.rebuild import rebuild
from projector.store import asyncpg_dsn
from tests.support.servers import NatsServer, PostgresServer, free_port, wait_for_port
from tests.support.workload import pipeline, run_events

SEED_QUESTION = """query SeedQuestion {
  runs(filter: {output: {name: "output", suffix: ".bam"}}) {
    nodes { id name status transform { name version } inputs { id name suffix hash } } } }"""
DOBJECT_PAGE = """query DObjectPage {
  dobjects(first: 100) { pageInfo { hasNextPage endCursor }
    nodes { id name suffix size createdAt source { id name status } } } }"""
LINEAGE = """query Lineage($d: ID!) {
  lineage(dobjectId: $d, direction: UPSTREAM, depth: 10) {
    truncated nodes { id kind depth } edges { source target } } }"""


def the_scenarios(last_output: str) -> list[tuple[str, dict[str, object]]]:
    """The three measured questions, by label; `last_output` is the chain's last output."""
    return [
        ("runs: output.bam + inputs", {"query": SEED_QUESTION}),
        ("dobjects page of 100 + sources", {"query": DOBJECT_PAGE}),
        ("lineage depth 10 upstream", {"query": LINEAGE, "variables": {"d": last_output}}),
    ]


def seed_program_events(base: datetime) -> list[Event]:
    """The seed program's two runs: 10x -> input.fastq.gz -> Cell Ranger -> output.bam."""
    fastq = DObjectRef(id=uuid.uuid4(), name="input", suffix=".fastq.gz", hash="h-fastq")
    bam = DObjectRef(id=uuid.uuid4(), name="output", suffix=".bam", hash="h-bam")
    r1, r2 = uuid.uuid4(), uuid.uuid4()
    t = [base + timedelta(seconds=i) for i in range(8)]
    common = {"producer": "bench"}
    return [
        RunStarted(
            event_id=uuid.uuid4(),
            occurred_at=t[0],
            run_id=r1,
            transform=pipeline("10x scRNA-seq nextseq", "1"),
            **common,  # type: ignore[arg-type]
        ),
        OutputRegistered(
            event_id=uuid.uuid4(),
            occurred_at=t[1],
            run_id=r1,
            dobject=fastq,
            **common,  # type: ignore[arg-type]
        ),
        RunFinished(
            event_id=uuid.uuid4(),
            occurred_at=t[2],
            run_id=r1,
            status="completed",
            **common,  # type: ignore[arg-type]
        ),
        RunStarted(
            event_id=uuid.uuid4(),
            occurred_at=t[3],
            run_id=r2,
            transform=pipeline("Cell Ranger", "7"),
            **common,  # type: ignore[arg-type]
        ),
        InputLoaded(event_id=uuid.uuid4(), occurred_at=t[4], run_id=r2, dobject=fastq, **common),  # type: ignore[arg-type]
        OutputRegistered(event_id=uuid.uuid4(), occurred_at=t[5], run_id=r2, dobject=bam, **common),  # type: ignore[arg-type]
        RunFinished(
            event_id=uuid.uuid4(),
            occurred_at=t[6],
            run_id=r2,
            status="completed",
            **common,  # type: ignore[arg-type]
        ),
    ]


async def build_database(database_url: str, runs: int) -> tuple[int, str]:
    """COPY the events into raw_events and rebuild; (events, id of the chain's last output)."""
    await upgrade(database_url)
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    started = time.perf_counter()
    sequence = 0
    last_output = ""
    columns = ["event_id", "sequence", "event_type", "run_id", "occurred_at", "subject", "payload"]

    def rows(events: list[Event]) -> list[tuple[object, ...]]:
        nonlocal sequence
        out = []
        for e in events:
            sequence += 1
            out.append(
                (
                    e.event_id,
                    sequence,
                    e.event_type,
                    getattr(e, "run_id", None),
                    e.occurred_at,
                    subjects.subject_for(e.event_type),
                    encode(e).decode(),
                )
            )
        return out  # type: ignore[return-value]

    try:
        batch: list[Event] = seed_program_events(datetime(2025, 12, 31, tzinfo=UTC))
        for index in range(runs):
            events = run_events(index, seed=1)
            batch += events
            if len(batch) >= 60_000 or index == runs - 1:
                await conn.copy_records_to_table(
                    "raw_events", schema_name="public", columns=columns, records=rows(batch)
                )
                batch = []
                print(f"\r  raw events: {sequence:,}", end="", file=sys.stderr, flush=True)
        last = run_events(runs - 1, seed=1)
        last_output = str(last[-2].dobject.id)
    finally:
        await conn.close()
    print(f"\n  raw events written in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    started = time.perf_counter()
    applied = await rebuild(Settings(database_url=database_url))
    print(
        f"  rebuilt the projection from {applied:,} events in "
        f"{time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    await analyze(database_url)
    return sequence, last_output


async def analyze(database_url: str) -> None:
    """Planner statistics, as autovacuum would have them on a live database: a freshly
    rebuilt projection has none, and the planner then guesses badly."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def request_bytes(port: int, query: str, variables: dict[str, str]) -> bytes:
    body = json.dumps({"query": query, "variables": variables}).encode()
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, req: bytes) -> bytes:
    writer.write(req)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length)
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(head + body)
    return body


async def _drive(
    port: int, req: bytes, seconds: float, connections: int
) -> tuple[int, list[float]]:
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            await _one(reader, writer, req)
            latencies.append(time.perf_counter() - t)
        writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return len(latencies), latencies


def python_load(
    port: int, req: bytes, seconds: float, connections: int, out: multiprocessing.Queue[object]
) -> None:
    """Runs in its own process so the generator does not share the server's core."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    out.put(asyncio.run(_drive(port, req, seconds, connections)))


@dataclass
class Load:
    """req/s, p50 and p99 (ms) of one scenario under a closed-loop load."""

    rate: float
    p50: float
    p99: float


def run_python_load(port: int, body: dict[str, object], seconds: float, connections: int) -> Load:
    req = request_bytes(port, body["query"], body.get("variables") or {})  # type: ignore[arg-type]
    out: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    proc = multiprocessing.Process(target=python_load, args=(port, req, seconds, connections, out))
    proc.start()
    count, latencies = out.get()
    proc.join()
    return Load(
        count / seconds, percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    )


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk_ms(text: str) -> float:
    number = text.rstrip("usm")
    return float(number) * _WRK_UNITS[text[len(number) :]]


def run_wrk(port: int, body: dict[str, object], seconds: float, connections: int) -> Load:
    """wrk (C, one thread): a lighter generator than Python on a machine of 2 cores."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = [==[{json.dumps(body)}]==]\n"
        )
    try:
        printed = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds:g}s",
                "--latency",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}/graphql",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        Path(script.name).unlink()
    if "Non-2xx" in printed or "Socket errors" in printed:
        raise RuntimeError(f"wrk saw failed requests:\n{printed}")
    requests = int(re.search(r"(\d+) requests in", printed).group(1))
    p50 = re.search(r"^\s+50%\s+(\S+)", printed, re.MULTILINE).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", printed, re.MULTILINE).group(1)
    return Load(requests / seconds, _wrk_ms(p50), _wrk_ms(p99))


def post(port: int, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, object] = json.loads(response.read())
    return answer


def measure(
    server: subprocess.Popen[bytes],
    port: int,
    body: dict[str, object],
    args: argparse.Namespace,
) -> tuple[Load, float, dict[str, object]]:
    """Warm up, then one measured load; (load, server CPU ms per request, an answer)."""
    answer = post(port, body)
    assert "errors" not in answer, answer
    run = run_wrk if args.load == "wrk" else run_python_load
    run(port, body, 2, args.connections)  # warm-up, not measured
    pids = [server.pid, *_children(server.pid)]  # uvicorn workers are children
    cpu_before = sum(_cpu_seconds(pid) for pid in pids)
    load = run(port, body, args.seconds, args.connections)
    cpu_after = sum(_cpu_seconds(pid) for pid in pids)
    cpu_ms = (cpu_after - cpu_before) * 1000 / max(load.rate * args.seconds, 1)
    return load, cpu_ms, answer


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def wait_until_ready(port: int, timeout: float = 60.0) -> None:
    """Until /readyz stops answering 503 (the API waits for NATS and Postgres first);
    the calibration apps have no /readyz and answer 404 at once."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return
        except urllib.error.HTTPError as exc:
            if exc.code != 503:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server on port {port} was not ready within {timeout}s")


def serve(argv: list[str]) -> tuple[subprocess.Popen, int]:  # type: ignore[type-arg]
    """A server process on a free port: `argv` gets the port appended."""
    port = free_port()
    server = subprocess.Popen([sys.executable, *argv, str(port)], cwd=ROOT, env={**os.environ})
    wait_for_port(port, 30)
    wait_until_ready(port)
    return server, port


def calibrate(args: argparse.Namespace) -> dict[str, Load]:
    """The reference apps under the same load, in the same run."""
    loads = {}
    for kind in REFERENCE_RATES:
        server, port = serve([str(ROOT / "bench" / "calibration_apps.py"), kind])
        try:
            loads[kind] = measure(server, port, {"query": HELLO_QUERY}, args)[0]
        finally:
            server.terminate()
            server.wait(10)
    return loads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=166_667, help="chain runs (6 events each)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--load",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator (wrk when installed)",
    )
    parser.add_argument("--database-url", help="reuse a database built by an earlier run")
    parser.add_argument(
        "--processes",
        type=int,
        nargs="+",
        default=[1],
        help="API processes to measure, e.g. `--processes 1 2` (uvicorn workers on one port)",
    )
    args = parser.parse_args()

    nats = NatsServer()
    nats.start()
    postgres = None
    try:
        database_url = args.database_url
        if database_url is None:
            postgres = PostgresServer()
            name = asyncio.run(postgres.create_database())
            database_url = postgres.url_for(name)
            print(f"building {database_url}", file=sys.stderr)
            events, last_output = asyncio.run(build_database(database_url, args.runs))
            print(f"  (reuse with --database-url {database_url})", file=sys.stderr)
        else:
            events, last_output = asyncio.run(_existing(database_url, args.runs))
            asyncio.run(analyze(database_url))
        scenarios = the_scenarios(last_output)
        rows = []
        by_processes: dict[int, list[Load]] = {}
        for processes in args.processes:
            server, port = serve_api(database_url, nats.url, processes)
            try:
                for label, body in scenarios:
                    load, cpu_ms, answer = measure(server, port, body, args)
                    by_processes.setdefault(processes, []).append(load)
                    if processes == args.processes[0]:
                        rows.append((label, load, cpu_ms, _summary(answer)))
            finally:
                server.terminate()
                server.wait(20)
        references = calibrate(args)
    finally:
        nats.close()
        if postgres is not None and args.database_url is None:
            postgres.close()
    report(events, rows, references, args)
    if len(by_processes) > 1:
        report_processes([label for label, _ in scenarios], by_processes, args)


def serve_api(
    database_url: str,
    nats_url: str,
    processes: int,
    *,
    abuse_limits: bool = False,
    root: Path = ROOT,
) -> tuple[subprocess.Popen, int]:  # type: ignore[type-arg]
    """`lineage api --workers N` on a free port (N uvicorn worker processes, one socket),
    run from the checkout at `root` (another commit's, for bench_api_compare.py).

    Without `abuse_limits` the per-caller rate limit is off: the load comes from one
    address, and the limit (docs/security.md) would measure itself, not the API. With
    them (bench_abuse.py) every limit has its default, and the tokens are the database's
    (LINEAGE_API_TOKEN of the calling shell is not passed on)."""
    port = free_port()
    env = {
        **os.environ,
        "LINEAGE_DATABASE_URL": database_url,
        "LINEAGE_NATS_URL": nats_url,
        "LINEAGE_PORT": str(port),
        "LINEAGE_HOST": "127.0.0.1",
    }
    if abuse_limits:
        env.pop("LINEAGE_API_TOKEN", None)
    else:
        env["LINEAGE_API_RATE_LIMIT"] = "0"
    server = subprocess.Popen(
        [sys.executable, "-m", "lineage_cli.main", "api", "--workers", str(processes)],
        cwd=root,
        env=env,
    )
    wait_for_port(port, 60)
    wait_until_ready(port)
    if processes > 1:
        # every worker must be serving before the load starts: each builds its own app
        deadline = time.monotonic() + 60
        while len(_children(server.pid)) < processes and time.monotonic() < deadline:
            time.sleep(0.1)
        for _ in range(4 * processes):
            wait_until_ready(port)
    return server, port


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def report_processes(
    labels: list[str], by_processes: dict[int, list[Load]], args: argparse.Namespace
) -> None:
    base = min(by_processes)
    print(
        f"\nAPI processes (uvicorn workers behind one port), {args.connections} connections; "
        f"ratio to {base} process(es) in the same run; 2 shared cores cap it at 2x:\n"
    )
    header = " | ".join(f"{n} proc req/s | ratio" for n in sorted(by_processes))
    print(f"| {'query':34} | {header} |")
    for i, label in enumerate(labels):
        base_rate = by_processes[base][i].rate
        cells = " | ".join(
            f"{by_processes[n][i].rate:12.0f} | {by_processes[n][i].rate / base_rate:5.2f}"
            for n in sorted(by_processes)
        )
        print(f"| {label:34} | {cells} |")


def report(
    events: int,
    rows: list[tuple[str, Load, float, str]],
    references: dict[str, Load],
    args: argparse.Namespace,
) -> None:
    # how much slower this machine is than the field notes' reference machine, by the
    # strawberry hello (the nearest kind of work); the API's rate and latency scaled by it
    slower = REFERENCE_RATES["strawberry"] / references["strawberry"].rate
    print(
        f"\nGraphQL API, one uvicorn worker, {events:,} events in the database, "
        f"{args.connections} keep-alive connections, {args.seconds:g} s each, load: "
        f"{args.load}\n"
    )
    print(
        f"| {'query':34} | {'req/s':>7} | {'p50 ms':>7} | {'p99 ms':>7} "
        f"| {'CPU ms/req':>10} | {'req/s scaled':>12} | {'p50 scaled':>10} "
        f"| {'p99 scaled':>10} | answer |"
    )
    print(
        f"|{'-' * 36}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 12}|{'-' * 14}|{'-' * 12}"
        f"|{'-' * 12}|--------|"
    )
    for label, load, cpu_ms, summary in rows:
        print(
            f"| {label:34} | {load.rate:7.0f} | {load.p50:7.2f} | {load.p99:7.2f} "
            f"| {cpu_ms:10.3f} | {load.rate * slower:12.0f} | {load.p50 / slower:10.2f} "
            f"| {load.p99 / slower:10.2f} | {summary} |"
        )
    print("\nreference apps, same load, same run (field notes' rate on their machine):")
    for kind, load in references.items():
        print(
            f"  {kind:10} hello: {load.rate:7.0f} req/s, p99 {load.p99:.2f} ms "
            f"(reference machine: {REFERENCE_RATES[kind]:,.0f} req/s)"
        )
    print(
        f"\nthis machine is {slower:.2f}x slower than the reference by the strawberry hello;"
        " 'scaled' columns divide that out (req/s x it, latency / it).\n"
        "CPU ms/req: user+system time of the uvicorn process per request "
        "(Postgres and the load generator not included)."
    )


def _summary(answer: dict[str, object]) -> str:
    data = answer["data"]
    assert isinstance(data, dict)
    if "runs" in data:
        nodes = data["runs"]["nodes"]
        return f"{len(nodes)} run, {len(nodes[0]['inputs'])} input(s)"
    if "dobjects" in data:
        return f"{len(data['dobjects']['nodes'])} dobjects"
    graph = data["lineage"]
    return f"{len(graph['nodes'])} nodes, {len(graph['edges'])} edges"


async def _existing(database_url: str, runs: int) -> tuple[int, str]:
    await upgrade(database_url)  # an older bench database may lack newer indexes
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        events = int(await conn.fetchval("SELECT count(*) FROM public.raw_events"))
    finally:
        await conn.close()
    return events, str(run_events(runs - 1, seed=1)[-2].dobject.id)


if __name__ == "__main__":
    main()
