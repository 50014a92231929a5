"""Where conversations are kept: LangGraph's own checkpointer, chosen by the settings.

`CHECKPOINT_URL` unset keeps them in an SQLite file beside the bookings database
(`var/scheduling.db` -> `var/scheduling-sessions.db`); `memory` keeps them in this process only.
The session table (agent/sessions.py) lives in the same database.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver

from core import sqlite
from core.settings import Settings


def checkpoint_path(settings: Settings) -> str | None:
    """The sessions database file, or None for in-memory."""
    if settings.checkpoint_url == "memory":
        return None
    if settings.checkpoint_url:
        return settings.checkpoint_url.removeprefix("sqlite:///")
    db = settings.database_url.removeprefix("sqlite:///")
    if db == ":memory:":
        return None  # an in-memory bookings database keeps its sessions in memory too
    return str(Path(db).with_name(Path(db).stem + "-sessions.db"))


async def open_checkpointer(path: str | None, stack: AsyncExitStack, busy_seconds: float = 30.0) -> Any:
    """InMemorySaver for None; else an AsyncSqliteSaver on a WAL connection that waits for
    other writers up to `busy_seconds`, then fails (closed with `stack`)."""
    if path is None:
        return InMemorySaver()
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    conn = await sqlite.connect(path, synchronous="NORMAL", timeout=busy_seconds)
    stack.push_async_callback(conn.close)
    saver = AsyncSqliteSaver(conn)
    await saver.setup()
    return saver
