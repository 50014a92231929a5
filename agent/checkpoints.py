"""Where conversations are kept: LangGraph's own checkpointer, in the sessions database.

`CHECKPOINT_URL` unset keeps them in the bookings database's PostgreSQL database, or for SQLite
in a file beside the bookings file (`var/scheduling.db` -> `var/scheduling-sessions.db`);
`memory` keeps them in this process only (agent/sessions_db.py decides which). The session
table (agent/sessions.py) lives in the same database.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver

from agent.sessions_db import SessionsDb, sessions_url
from core import sqlite
from core.database import DatabaseUrl
from core.settings import Settings


def checkpoint_path(settings: Settings) -> str | None:
    """The SQLite sessions file, or None for in-memory (ValueError for PostgreSQL)."""
    url = sessions_url(settings)
    path = url.sqlite_path if url is not None else None
    return None if path is None else str(path)


async def open_checkpointer(
    url: DatabaseUrl | None, db: SessionsDb, stack: AsyncExitStack, busy_seconds: float = 30.0
) -> Any:
    """InMemorySaver for None; on PostgreSQL an AsyncPostgresSaver on the sessions pool `db`
    (its tables were set up when `db` opened); on SQLite an AsyncSqliteSaver on a WAL connection
    of its own that waits for other writers up to `busy_seconds`, then fails (closed with `stack`)."""
    if url is None:
        return InMemorySaver()
    if db.pool is not None:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        return AsyncPostgresSaver(db.pool)
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    conn = await sqlite.connect(url.sqlite_path, synchronous="NORMAL", timeout=busy_seconds)
    stack.push_async_callback(conn.close)
    saver = AsyncSqliteSaver(conn)
    await saver.setup()
    return saver
