"""Opening SQLite the one way this project does: aiosqlite (its own thread, never the event
loop), waiting for other writers instead of failing, WAL so readers never block a writer, and
deleted content zeroed (`secure_delete`) so that erasing really erases."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Literal

import aiosqlite

# A database still locked by another writer after the connection's busy timeout: the answer to
# give (503) and when to come back.
BUSY_DETAIL = "The database is busy right now; please try again in a moment."
BUSY_RETRY_AFTER_SECONDS = 1
BUSY_ERRORS: tuple[type[Exception], ...] = (sqlite3.OperationalError,)  # is_busy tells which of them


def is_busy(exc: BaseException) -> bool:
    """Whether `exc` is SQLite giving up on a lock another connection held past the timeout."""
    return isinstance(exc, sqlite3.OperationalError) and any(
        words in str(exc) for words in ("database is locked", "database is busy", "database table is locked")
    )


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
            await _wal(conn, timeout)
            await conn.execute(f"PRAGMA synchronous = {synchronous}")
            # Deleted rows are overwritten with zeros, not left in free space: what a patient
            # asks to be forgotten is gone from the file once `erase_traces` checkpoints the WAL.
            await conn.execute("PRAGMA secure_delete = ON")
    except BaseException:
        await conn.close()
        raise
    return conn


async def _wal(conn: aiosqlite.Connection, timeout: float) -> None:
    """Switch the file to WAL. On a new file several connections opening at once (instances
    starting together) race to switch it, and SQLite answers the losers "database is locked" at
    once, without waiting out the busy timeout: they try again until the timeout has passed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() >= deadline:
                raise
            await asyncio.sleep(0.01)


async def erase_traces(conn: aiosqlite.Connection) -> bool:
    """Copy the WAL into the database file and truncate it to nothing, so the old versions of
    deleted rows it holds are gone too. False if another connection's read kept some frames
    (they are erased at the next checkpoint); a no-op for an in-memory database."""
    rows = list(await conn.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)"))
    busy, frames, copied = rows[0] if rows else (0, 0, 0)
    return busy == 0 and frames in (copied, -1)
