"""Which chat sessions exist, which one is answering now, and what each waits for: in SQLite.

The conversation itself lives in the LangGraph checkpointer; this small table is what several
worker processes (or servers) sharing one sessions database must agree on before a turn runs:

- a turn *leases* its session with one conditional UPDATE, so of two racing messages, in any
  two processes, exactly one gets the session and the other a 409;
- a session exists from its first message, before its first checkpoint is written, so one whose
  first turn was cut off is still usable;
- the confirmation the session waits for (`pending`) is stored when a turn ends, so starting a
  turn needs no checkpoint read. SQL NULL means "not known" (the turn failed or was cut off, or
  its worker died holding the lease): the runtime then reads it from the checkpoint.

A lease is short (`SESSION_LEASE_SECONDS`, default 30) and renewed every third of it while its turn runs, so one
left by a worker that died (killed, crashed, its machine gone) frees its session within half a
minute. A lease this worker failed to renew in time (its loop or the database stalled) and another
took over is reported to `on_lost`, which cuts that turn off: never two turns on one session.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

import aiosqlite

from core import sqlite
from core.logging import session_ref

log = logging.getLogger("agent.sessions")

LEASE_SECONDS = 30.0
RENEW_SECONDS = 10.0  # a third of the lease: two renewals can fail before it runs out
UNKNOWN: Any = object()  # `pending` not known: read it from the checkpoint

SCHEMA = """
CREATE TABLE IF NOT EXISTS chat_sessions (
    session_id  TEXT PRIMARY KEY,
    created_at  REAL NOT NULL,
    lease_until REAL NOT NULL DEFAULT 0,  -- 0: free; else busy until then (unix time)
    lease_owner TEXT,
    pending     TEXT                      -- JSON (a confirm event or null); NULL: not known
)
"""


class Busy(Exception):
    """Another turn holds the session."""


@dataclass(frozen=True)
class Lease:
    """A claimed session and the confirmation it waits for (a confirm event, None, or UNKNOWN)."""

    pending: Any


class SessionTable:
    """The `chat_sessions` table on its own connection (its own thread: never blocks the loop)."""

    def __init__(self, conn: aiosqlite.Connection, lease_seconds: float | None = None) -> None:
        self.conn = conn
        # Read here, not at import: tests shorten the module's defaults before opening a table.
        self.lease_seconds = lease_seconds or LEASE_SECONDS
        self.renew_seconds = lease_seconds / 3 if lease_seconds else RENEW_SECONDS
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.held: set[str] = set()  # sessions this worker leases now (turns running)
        self.on_lost: Callable[[str], None] | None = None

    @classmethod
    @asynccontextmanager
    async def open(
        cls, path: str | None, lease_seconds: float | None = None, busy_seconds: float = 30.0
    ) -> AsyncIterator[SessionTable]:
        """`path` None: a private in-memory table (one process, e.g. the staff playground);
        `lease_seconds` None: LEASE_SECONDS. A statement waits `busy_seconds` for another
        writer's lock, then fails (a 503 at the API)."""
        conn = await sqlite.connect(path, synchronous="NORMAL", timeout=busy_seconds, isolation_level=None)
        try:
            await conn.execute(SCHEMA)
            table = cls(conn, lease_seconds)
            heartbeat = asyncio.create_task(table._heartbeat())
            try:
                yield table
            finally:
                heartbeat.cancel()
                with suppress(asyncio.CancelledError):
                    await heartbeat
                await table.release_all()
        finally:
            await conn.close()

    async def claim(self, session_id: str) -> Lease | None:
        """Lease an existing session. None: no such session. Raises Busy if a turn holds it."""
        now = time.time()
        # One statement decides: only a free (or expired) lease is taken. An expired lease was
        # left by a dead worker, so what that session waits for is not known any more.
        rows = await self.conn.execute_fetchall(  # one hand-off to the connection's thread
            "UPDATE chat_sessions SET pending = CASE WHEN lease_until = 0 THEN pending END,"
            " lease_until = ?, lease_owner = ? WHERE session_id = ? AND lease_until < ? RETURNING pending",
            (now + self.lease_seconds, self.owner, session_id, now),
        )
        for (pending,) in rows:
            self.held.add(session_id)
            return Lease(UNKNOWN if pending is None else json.loads(pending))
        if await self.known(session_id):
            raise Busy(session_id)
        return None

    async def create(self, session_id: str, *, pending: Any = None) -> Lease:
        """Register a new session, leased to the caller (`pending` UNKNOWN: adopt an old one)."""
        now = time.time()
        await self.conn.execute(
            "INSERT INTO chat_sessions (session_id, created_at, lease_until, lease_owner, pending) "
            "VALUES (?, ?, ?, ?, ?)",
            (session_id, now, now + self.lease_seconds, self.owner, _dump(pending)),
        )
        self.held.add(session_id)
        return Lease(pending)

    async def release(self, session_id: str, pending: Any) -> None:
        """End this worker's turn; `pending` is what the session now waits for (or UNKNOWN).
        If the statement fails, the lease is no longer renewed and runs out by itself."""
        self.held.discard(session_id)
        await self.conn.execute(
            "UPDATE chat_sessions SET lease_until = 0, lease_owner = NULL, pending = ? "
            "WHERE session_id = ? AND lease_owner = ?",
            (_dump(pending), session_id, self.owner),
        )

    async def release_all(self) -> None:
        """On shutdown: free this worker's sessions (their turns were cancelled)."""
        self.held.clear()
        await self.conn.execute(
            "UPDATE chat_sessions SET lease_until = 0, lease_owner = NULL, pending = NULL WHERE lease_owner = ?",
            (self.owner,),
        )

    async def renew(self) -> set[str]:
        """Extend the leases this worker holds, in one statement; returns those it no longer
        holds (another worker took them over after they ran out)."""
        held = set(self.held)
        if not held:
            return set()
        rows = await self.conn.execute_fetchall(
            "UPDATE chat_sessions SET lease_until = ? WHERE lease_owner = ? AND lease_until > 0"
            " AND session_id IN (SELECT value FROM json_each(?)) RETURNING session_id",
            (time.time() + self.lease_seconds, self.owner, json.dumps(sorted(held))),
        )
        lost = (held - {sid for (sid,) in rows}) & self.held  # and not released meanwhile
        self.held -= lost
        return lost

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.renew_seconds)
            try:
                lost = await self.renew()
            except Exception:  # the database is unwritable now: the next beat tries again
                log.exception("session lease renewal failed")
                continue
            for session_id in lost:
                log.warning("session lease lost to another worker", extra={"session": session_ref(session_id)})
                if self.on_lost:
                    self.on_lost(session_id)

    async def known(self, session_id: str) -> bool:
        return bool(await self.conn.execute_fetchall("SELECT 1 FROM chat_sessions WHERE session_id = ?", (session_id,)))

    async def busy(self, session_id: str) -> bool:
        return bool(
            await self.conn.execute_fetchall(
                "SELECT 1 FROM chat_sessions WHERE session_id = ? AND lease_until >= ?", (session_id, time.time())
            )
        )

    async def forget(self, session_id: str) -> None:
        await self.conn.execute("DELETE FROM chat_sessions WHERE session_id = ?", (session_id,))

    async def erase_traces(self) -> bool:
        """After deleting: the deleted rows' old versions out of the WAL too (core/sqlite.py)."""
        return await sqlite.erase_traces(self.conn)


def _dump(pending: Any) -> str | None:
    return None if pending is UNKNOWN else json.dumps(pending)
