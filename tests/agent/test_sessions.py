"""The session table: leases decided by the database, shared by every connection to it. One
contract suite over both dialects (`database_url`: an SQLite file, then a PostgreSQL database)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest

from agent import sessions
from agent.sessions import UNKNOWN, Busy, IdSpace, SessionTable
from agent.sessions_db import SessionsDb
from core.database import parse_database_url
from core.settings import ExplicitSettings

SETTINGS = ExplicitSettings(database_pool_max=4)


@asynccontextmanager
async def table_on(url: str | None) -> AsyncIterator[SessionTable]:
    """A table of its own (as a worker process has) on the sessions database at `url`."""
    location = parse_database_url(url) if url else None
    async with SessionsDb.open(location, SETTINGS, name="test") as db, SessionTable.open(db) as table:
        yield table


async def lease_until(table: SessionTable, session_id: str) -> float:
    rows = await table.db.fetch("SELECT lease_until FROM chat_sessions WHERE session_id = ?", (session_id,))
    return float(rows[0][0])


async def test_claim_release_and_forget(database_url: str) -> None:
    async with table_on(database_url) as table:
        assert await table.claim("nope") is None
        lease = await table.create("s1")
        assert lease.pending is None
        with pytest.raises(Busy):
            await table.claim("s1")
        with pytest.raises(Busy):  # registered meanwhile by another worker
            await table.create("s1")
        assert await table.busy("s1")
        await table.release("s1", {"type": "confirm", "id": "c1"})
        assert not await table.busy("s1")
        again = await table.claim("s1")
        assert again is not None and again.pending == {"type": "confirm", "id": "c1"}
        await table.release("s1", UNKNOWN)  # a failed turn: what it waits for is not known
        again = await table.claim("s1")
        assert again is not None and again.pending is UNKNOWN
        await table.release("s1", None)
        await table.forget("s1")
        assert not await table.known("s1") and await table.claim("s1") is None
        assert await table.erase_traces()


async def test_of_many_racing_claims_from_several_connections_exactly_one_wins(database_url: str) -> None:
    async with AsyncExitStack() as stack:
        tables = [await stack.enter_async_context(table_on(database_url)) for _ in range(3)]
        await tables[0].create("s1")
        await tables[0].release("s1", None)

        async def claim(table: SessionTable) -> bool:
            try:
                return await table.claim("s1") is not None
            except Busy:
                return False

        results = await asyncio.gather(*(claim(tables[i % 3]) for i in range(30)))
        assert results.count(True) == 1


async def test_closing_a_table_frees_its_leases_and_forgets_what_they_waited_for(database_url: str) -> None:
    async with table_on(database_url) as other:
        async with table_on(database_url) as table:
            await table.create("s1", pending={"type": "confirm"})
            with pytest.raises(Busy):
                await other.claim("s1")
        lease = await other.claim("s1")
        assert lease is not None and lease.pending is UNKNOWN


async def test_an_in_memory_table_is_private() -> None:
    async with table_on(None) as a, table_on(None) as b:
        await a.create("s1")
        assert await a.known("s1") and not await b.known("s1")


async def test_renewing_extends_only_the_leases_this_worker_holds(database_url: str) -> None:
    async with table_on(database_url) as other, table_on(database_url) as table:
        await table.create("mine")
        await other.create("theirs")
        await table.create("done")
        await table.release("done", None)
        before = {sid: await lease_until(table, sid) for sid in ("mine", "theirs")}
        await asyncio.sleep(0.05)
        assert await table.renew() == set()
        assert await lease_until(table, "mine") > before["mine"]
        assert await lease_until(table, "theirs") == before["theirs"] and await lease_until(table, "done") == 0


async def test_an_expired_lease_is_taken_over_and_reported_lost_once(database_url: str) -> None:
    async with table_on(database_url) as other, table_on(database_url) as table:
        await table.create("s1", pending={"type": "confirm"})
        with pytest.raises(Busy):
            await other.claim("s1")
        # Our lease ran out (a stalled or dead worker), by the database's clock...
        await table.db.execute("UPDATE chat_sessions SET lease_until = {now} - 1 WHERE session_id = 's1'")
        assert not await other.busy("s1")
        taken = await other.claim("s1")  # ...and another worker took the session
        assert taken is not None and taken.pending is UNKNOWN, "what a dead worker's turn left is not known"
        assert await table.renew() == {"s1"}
        assert await table.renew() == set() and "s1" in other.held
        await table.release("s1", None)  # our late release does not free their lease
        with pytest.raises(Busy):
            await table.claim("s1")


async def test_the_heartbeat_keeps_a_long_turn_leased_and_reports_a_lost_one(database_url: str, monkeypatch) -> None:
    monkeypatch.setattr(sessions, "LEASE_SECONDS", 0.4)
    monkeypatch.setattr(sessions, "RENEW_SECONDS", 0.1)
    lost: list[str] = []
    async with table_on(database_url) as other, table_on(database_url) as table:
        table.on_lost = lost.append
        await table.create("long")
        await table.create("stolen")
        await table.db.execute("UPDATE chat_sessions SET lease_owner = 'elsewhere' WHERE session_id = 'stolen'")
        await asyncio.sleep(1.0)  # two and a half leases
        with pytest.raises(Busy):
            await other.claim("long")
        assert lost == ["stolen"]


def test_id_spaces_keep_patients_and_staff_apart() -> None:
    patients, staff = IdSpace(reserved=("pg-",)), IdSpace(prefix="pg-")
    assert "pg-abc" in staff and "pg-abc" not in patients
    assert "abc" in patients and "abc" not in staff
    assert all(patients.new_id() in patients for _ in range(200))
    assert staff.new_id().startswith("pg-")


async def test_a_sessions_file_of_the_previous_release_is_adopted_with_its_sessions(tmp_path) -> None:
    path = tmp_path / "scheduling-sessions.db"
    with sqlite3.connect(path) as old:  # the table as the previous release created it, unversioned
        old.execute(
            "CREATE TABLE chat_sessions (session_id TEXT PRIMARY KEY, created_at REAL NOT NULL,"
            " lease_until REAL NOT NULL DEFAULT 0, lease_owner TEXT, pending TEXT)"
        )
        old.execute("INSERT INTO chat_sessions VALUES ('old', 1.0, 0, NULL, 'null')")
    async with table_on(f"sqlite:///{path}") as table:
        lease = await table.claim("old")
        assert lease is not None and lease.pending is None
        versions = await table.db.fetch("SELECT version, name FROM schema_migrations WHERE component = 'sessions'")
        assert sorted(versions) == [(1, "baseline"), (2, "0002_staff_sessions")]
