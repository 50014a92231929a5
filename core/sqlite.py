"""Opening SQLite the one way this project does: aiosqlite (its own thread, never the event
loop), waiting for other writers instead of failing, WAL so readers never block a writer."""

from __future__ import annotations

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
