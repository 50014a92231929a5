"""A database locked by another writer is waited for within DATABASE_BUSY_SECONDS and then
answered 503 with `Retry-After` and a clear message, never 500: provoked by a second sqlite3
connection holding a write lock (BEGIN IMMEDIATE), as another process would."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agent.checkpoints import checkpoint_path
from core.sqlite import BUSY_DETAIL
from scheduler.store import sqlite_path
from tests.conftest import LiveServerFactory
from tests.support.calendly import book, stored_bookings
from tests.support.sse import aiter_events
from tests.support.stub_turns import OFFER

TUESDAY = "2026-11-24"


@contextmanager
def write_locked(db: Path) -> Iterator[None]:
    """Another connection holds the database's write lock for the block."""
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


def test_a_booking_on_a_locked_database_gets_503_then_succeeds(live_server: LiveServerFactory) -> None:
    server = live_server(database_busy_seconds=0.2)
    db = sqlite_path(server.settings.database_url)
    with server.client() as client:
        with write_locked(db):
            busy = book(client, TUESDAY, "09:00")
            assert busy.status_code == 503
            assert busy.json() == {"detail": BUSY_DETAIL}
            assert busy.headers["retry-after"] == "1"
            assert client.get("/health").json()["status"] == "ok", "reads go on while a writer holds the lock"
        assert stored_bookings(server.settings.database_url) == [], "nothing half-written"
        again = book(client, TUESDAY, "09:00")
        assert again.status_code == 201, "once the lock is gone the same request books"
    assert server.logs.find("database busy: /api/calendly/book answered 503")


def test_a_chat_turn_on_a_locked_sessions_database_gets_503(live_server: LiveServerFactory) -> None:
    server = live_server(database_busy_seconds=0.2)
    db = Path(str(checkpoint_path(server.settings)))
    with server.client() as client:
        assert client.post("/api/chat", json={"message": "hello"}).status_code == 200  # creates the file
        with write_locked(db):
            busy = client.post("/api/chat", json={"message": "hello again"})
            assert busy.status_code == 503
            assert busy.json() == {"detail": BUSY_DETAIL}
            assert busy.headers["retry-after"] == "1"
        ok = client.post("/api/chat", json={"message": "hello again"})
        assert ok.status_code == 200 and "event: done" in ok.text


async def test_a_turn_whose_checkpoint_write_stays_locked_ends_with_the_busy_message(stub_server: Any) -> None:
    """The model is held mid-reply, another connection takes the write lock, the reply ends:
    the turn's one checkpoint write waits DATABASE_BUSY_SECONDS and the patient gets a clear,
    retryable error, not "the assistant is unavailable"."""
    server = stub_server(gated=True, database_busy_seconds=0.2)
    server.script.extend([OFFER])
    db = Path(str(checkpoint_path(server.settings)))
    async with server.async_client(timeout=30) as client:
        async with client.stream("POST", "/api/chat", json={"message": "hi"}) as response:
            stream = aiter_events(response)
            async for sse in stream:
                if sse["event"] == "token":
                    break
            with write_locked(db):
                server.gate.set()
                rest = [sse async for sse in stream]
    terminal = [sse["data"] for sse in rest if sse["event"] in {"done", "error"}]
    assert terminal == [{"type": "error", "message": BUSY_DETAIL, "retryable": True}]
    assert server.logs.find("turn failed: database busy")
