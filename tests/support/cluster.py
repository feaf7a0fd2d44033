"""A three-node JetStream cluster of real nats-servers on loopback, for failover tests."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nats
from nats.js.api import ClusterInfo

from lineage_core import subjects
from tests.support.servers import free_port, nats_server_binary, wait_for_port

CLUSTER_NAME = "lineage"


@dataclass
class ClusterNode:
    """One nats-server of the cluster: its own client port, route port and store."""

    name: str
    port: int
    route_port: int
    store: Path
    config: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [nats_server_binary(), "-c", str(self.config)], stdout=out, stderr=out
            )
        wait_for_port(self.port)

    def kill(self) -> None:
        """`kill -9`: no shutdown, no leadership hand-over."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None


@dataclass
class NatsCluster:
    """Three JetStream nodes routed to each other; each keeps its store across restarts."""

    size: int = 3
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="lineage-nats-cl-")))
    nodes: list[ClusterNode] = field(default_factory=list)

    def __post_init__(self) -> None:
        ports = [(free_port(), free_port()) for _ in range(self.size)]
        routes = ", ".join(f"nats-route://127.0.0.1:{r}" for _, r in ports)
        for i, (port, route_port) in enumerate(ports):
            name = f"n{i + 1}"
            store = self.root / name
            store.mkdir(parents=True)
            config = self.root / f"{name}.conf"
            config.write_text(
                f"server_name: {name}\n"
                f"listen: 127.0.0.1:{port}\n"
                f'jetstream {{ store_dir: "{store}" }}\n'
                f"cluster {{\n  name: {CLUSTER_NAME}\n  listen: 127.0.0.1:{route_port}\n"
                f"  routes: [{routes}]\n}}\n"
            )
            self.nodes.append(
                ClusterNode(name, port, route_port, store, config, self.root / f"{name}.log")
            )

    @property
    def url(self) -> str:
        """Every node, comma separated: LINEAGE_NATS_URL for a cluster."""
        return ",".join(node.url for node in self.nodes)

    def start(self) -> None:
        for node in self.nodes:
            node.start()

    def node(self, name: str) -> ClusterNode:
        return next(n for n in self.nodes if n.name == name)

    async def stream_leader(self) -> str | None:
        """The server_name leading LINEAGE, as a live node sees it (None while electing)."""
        info = await self._stream_cluster()
        return str(info.leader) if info is not None and info.leader else None

    async def stream_in_sync(self) -> bool:
        """Whether LINEAGE has a leader and every other replica is current."""
        info = await self._stream_cluster()
        if info is None or not info.leader:
            return False
        replicas = info.replicas or []
        return len(replicas) == self.size - 1 and all(r.current for r in replicas)

    async def _stream_cluster(self) -> ClusterInfo | None:
        for node in self.nodes:
            if not node.running:
                continue
            try:
                nc = await asyncio.wait_for(
                    nats.connect(node.url, allow_reconnect=False, connect_timeout=1), 2
                )
            except (OSError, TimeoutError, nats.errors.Error):
                continue
            try:
                info = await nc.jetstream(timeout=2).stream_info(subjects.STREAM)
                if info.cluster is not None and info.cluster.leader:
                    return info.cluster
            except (TimeoutError, nats.errors.Error):
                continue
            finally:
                await nc.close()
        return None

    def close(self) -> None:
        for node in self.nodes:
            node.kill()
        shutil.rmtree(self.root, ignore_errors=True)
