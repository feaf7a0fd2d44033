"""Helpers of the watch tests: tell a story to the projector, make and read watches."""

from __future__ import annotations

from typing import Any

import asyncpg

from lineage_read.watches import create_watch, deliveries, list_watches
from projector.store import asyncpg_dsn
from tests.support.projector import connect_js, publish, wait_applied


async def tell(nats_url: str, database_url: str, events: list[Any]) -> int:
    nc, js = await connect_js(nats_url)
    try:
        last = await publish(js, events)
    finally:
        await nc.close()
    await wait_applied(database_url, last)
    return last


async def watch(database_url: str, name: str, url: str, **kw: Any) -> str:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await create_watch(conn, name, url=url, **kw)
    finally:
        await conn.close()


async def summary(database_url: str, name: str) -> Any:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return (await list_watches(conn, name))[0], await deliveries(conn, name)
    finally:
        await conn.close()


async def detector_at(database_url: str, sequence: int) -> bool:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        at = await conn.fetchval("SELECT sequence FROM public.watch_detector WHERE id = 1")
    finally:
        await conn.close()
    return int(at) >= sequence
