"""What the SDK's tests share: an API address nobody answers, the LINEAGE stream read back."""

from __future__ import annotations

import asyncio

import nats
from nats.js.errors import NotFoundError

from lineage_core import events

# Port 9 (discard) is closed here: publishing must not need the API.
CLOSED_API = "http://127.0.0.1:9"


async def read_stream(url: str) -> list[tuple[int, dict[str, str], events.Event]]:
    """(sequence, headers, decoded event) of every message in LINEAGE, in order."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        try:
            info = await js.stream_info("LINEAGE")
        except NotFoundError:
            return []
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg("LINEAGE", seq)
            out.append((seq, dict(msg.headers or {}), events.decode(msg.data or b"")))
        return out
    finally:
        await nc.close()


def stream_events(url: str) -> list[tuple[int, dict[str, str], events.Event]]:
    return asyncio.run(read_stream(url))
