"""Opening SQLite the one way this project does: aiosqlite (its own thread, never the event
loop), waiting for other writers instead of failing, WAL so readers never block a writer."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

import aiosqlite


async def connect(
    path: str | Path | None,
    *,
    synchronous: Literal["NORMAL", "FULL"],
    timeout: float,
    isolation_level: str | None = "",
) -> aiosqlite.Connection:
    """A connection to the file at `path` (its folder created), or, for None, a private
    in-memory database. `isolation_level=None` is autocommit (sqlite3's meaning)."""
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(
        ":memory:" if path is None else path, timeout=timeout, isolation_level=isolation_level
    )
    try:
        await conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        if path is not None:
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute(f"PRAGMA synchronous = {synchronous}")
    except BaseException:
        await conn.close()
        raise
    return conn


@asynccontextmanager
async def immediate(conn: aiosqlite.Connection, lock: asyncio.Lock) -> AsyncIterator[None]:
    """One write transaction on an autocommit connection: `BEGIN IMMEDIATE` ... `COMMIT`, or
    ROLLBACK on any error. `lock` keeps this process's other coroutines, which share `conn`,
    out of it meanwhile (their statements would join the transaction, or fail to BEGIN)."""
    async with lock:
        await _begin_immediate(conn)
        try:
            yield
            await conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise


async def _begin_immediate(conn: aiosqlite.Connection, timeout: float = 10.0) -> None:
    """BEGIN IMMEDIATE, retried while SQLite answers "locked" at once: a read of another coroutine
    on this connection still open on a snapshot that another process's commit made stale
    (SQLITE_BUSY_SNAPSHOT), which the busy timeout does not wait out. It ends with that read."""
    loop = asyncio.get_running_loop()
    deadline, pause = loop.time() + timeout, 0.001
    while True:
        try:
            await conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or loop.time() > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.05)
