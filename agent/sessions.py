"""Which chat sessions exist, which one is answering now, and what each waits for.

The conversation itself lives in the LangGraph checkpointer; this small table (in the sessions
database, SQLite or PostgreSQL: agent/sessions_db.py) is what several worker processes, or
servers, sharing it must agree on before a turn runs:

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
Lease times are the database's clock (`{now}`), so hosts whose clocks differ still agree.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

from agent.sessions_db import SessionsDb
from core import sqlite
from core.logging import session_ref

log = logging.getLogger("agent.sessions")

LEASE_SECONDS = 30.0
RENEW_SECONDS = 10.0  # a third of the lease: two renewals can fail before it runs out
UNKNOWN: Any = object()  # `pending` not known: read it from the checkpoint

# The statements that differ between the dialects: "these sessions" as one parameter.
_HELD = {
    "sqlite": "session_id IN (SELECT value FROM json_each(?))",  # a JSON array
    "postgresql": "session_id = ANY(?)",  # a list, sent as a text[]
}


class Busy(Exception):
    """Another turn holds the session."""


@dataclass(frozen=True)
class Lease:
    """A claimed session and the confirmation it waits for (a confirm event, None, or UNKNOWN)."""

    pending: Any


@dataclass(frozen=True)
class IdSpace:
    """The session ids a runtime answers for: those starting with `prefix` and with none of the
    `reserved` prefixes. Patients' and staff's sessions share one database; each runtime reaches
    only its own, whatever id an endpoint is given."""

    prefix: str = ""
    reserved: tuple[str, ...] = ()

    def __contains__(self, session_id: object) -> bool:
        if not isinstance(session_id, str):
            return False
        return session_id.startswith(self.prefix) and not session_id.startswith(self.reserved)

    def new_id(self) -> str:
        """A fresh unguessable id of this space."""
        while (session_id := self.prefix + secrets.token_urlsafe(18)) not in self:
            pass  # a patient id that happened to begin with a reserved prefix (1 in 262,144)
        return session_id


class SessionTable:
    """The `chat_sessions` table of a sessions database (never blocks the loop: SQLite runs in
    its connection's thread, PostgreSQL is awaited)."""

    def __init__(self, db: SessionsDb, lease_seconds: float | None = None) -> None:
        self.db = db
        # Read here, not at import: tests shorten the module's defaults before opening a table.
        self.lease_seconds = lease_seconds or LEASE_SECONDS
        self.renew_seconds = lease_seconds / 3 if lease_seconds else RENEW_SECONDS
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.held: set[str] = set()  # sessions this worker leases now (turns running)
        self.on_lost: Callable[[str], None] | None = None

    @classmethod
    @asynccontextmanager
    async def open(cls, db: SessionsDb, lease_seconds: float | None = None) -> AsyncIterator[SessionTable]:
        """The table on `db` (already migrated), renewing its leases while open and freeing
        them on exit. `lease_seconds` None: LEASE_SECONDS."""
        table = cls(db, lease_seconds)
        heartbeat = asyncio.create_task(table._heartbeat())
        try:
            yield table
        finally:
            heartbeat.cancel()
            with suppress(asyncio.CancelledError):
                await heartbeat
            await table.release_all()

    async def claim(self, session_id: str) -> Lease | None:
        """Lease an existing session. None: no such session. Raises Busy if a turn holds it."""
        # One statement decides: only a free (or expired) lease is taken. An expired lease was
        # left by a dead worker, so what that session waits for is not known any more.
        rows = await self.db.fetch(
            "UPDATE chat_sessions SET pending = CASE WHEN lease_until = 0 THEN pending END,"
            " lease_until = {now} + ?, lease_owner = ? WHERE session_id = ? AND lease_until < {now}"
            " RETURNING pending",
            (self.lease_seconds, self.owner, session_id),
        )
        for (pending,) in rows:
            self.held.add(session_id)
            return Lease(UNKNOWN if pending is None else json.loads(pending))
        if await self.known(session_id):
            raise Busy(session_id)
        return None

    async def create(self, session_id: str, *, pending: Any = None) -> Lease:
        """Register a new session, leased to the caller (`pending` UNKNOWN: adopt an old one).
        Raises Busy if another worker registered it first."""
        try:
            await self.db.execute(
                "INSERT INTO chat_sessions (session_id, created_at, lease_until, lease_owner, pending) "
                "VALUES (?, {now}, {now} + ?, ?, ?)",
                (session_id, self.lease_seconds, self.owner, _dump(pending)),
            )
        except Exception as exc:
            if self.db.is_duplicate(exc):
                raise Busy(session_id) from None
            raise
        self.held.add(session_id)
        return Lease(pending)

    async def release(self, session_id: str, pending: Any) -> None:
        """End this worker's turn; `pending` is what the session now waits for (or UNKNOWN).
        If the statement fails, the lease is no longer renewed and runs out by itself."""
        self.held.discard(session_id)
        await self.db.execute(
            "UPDATE chat_sessions SET lease_until = 0, lease_owner = NULL, pending = ? "
            "WHERE session_id = ? AND lease_owner = ?",
            (_dump(pending), session_id, self.owner),
        )

    async def release_all(self) -> None:
        """On shutdown: free this worker's sessions (their turns were cancelled)."""
        self.held.clear()
        await self.db.execute(
            "UPDATE chat_sessions SET lease_until = 0, lease_owner = NULL, pending = NULL WHERE lease_owner = ?",
            (self.owner,),
        )

    async def renew(self) -> set[str]:
        """Extend the leases this worker holds, in one statement; returns those it no longer
        holds (another worker took them over after they ran out)."""
        held = set(self.held)
        if not held:
            return set()
        ids = sorted(held)
        rows = await self.db.fetch(
            "UPDATE chat_sessions SET lease_until = {now} + ? WHERE lease_owner = ? AND lease_until > 0"
            f" AND {_HELD[self.db.dialect]} RETURNING session_id",
            (self.lease_seconds, self.owner, json.dumps(ids) if self.db.dialect == "sqlite" else ids),
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
        return bool(await self.db.fetch("SELECT 1 FROM chat_sessions WHERE session_id = ?", (session_id,)))

    async def busy(self, session_id: str) -> bool:
        return bool(
            await self.db.fetch(
                "SELECT 1 FROM chat_sessions WHERE session_id = ? AND lease_until >= {now}", (session_id,)
            )
        )

    async def forget(self, session_id: str) -> None:
        await self.db.execute("DELETE FROM chat_sessions WHERE session_id = ?", (session_id,))

    async def erase_traces(self) -> bool:
        """After deleting: on SQLite, the deleted rows' old versions out of the WAL too
        (core/sqlite.py). On PostgreSQL, deleted rows are gone from every query at once and
        their space is reclaimed by autovacuum; their bytes are not overwritten at once (the
        README's "Erasure" says what that means), so there is nothing more to do here."""
        if self.db.conn is None:
            return True
        return await sqlite.erase_traces(self.db.conn)


def _dump(pending: Any) -> str | None:
    return None if pending is UNKNOWN else json.dumps(pending)
