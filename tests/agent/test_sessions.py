"""The session table: leases decided by SQLite, shared by every connection to the file."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import AsyncExitStack

import pytest

from agent import sessions
from agent.sessions import UNKNOWN, Busy, SessionTable


async def test_claim_release_and_forget(tmp_path) -> None:
    async with SessionTable.open(str(tmp_path / "s.db")) as table:
        assert await table.claim("nope") is None
        lease = await table.create("s1")
        assert lease.pending is None
        with pytest.raises(Busy):
            await table.claim("s1")
        assert await table.busy("s1")
        await table.release("s1", {"type": "confirm", "id": "c1"})
        again = await table.claim("s1")
        assert again is not None and again.pending == {"type": "confirm", "id": "c1"}
        await table.release("s1", UNKNOWN)  # a failed turn: what it waits for is not known
        again = await table.claim("s1")
        assert again is not None and again.pending is UNKNOWN
        await table.release("s1", None)
        await table.forget("s1")
        assert not await table.known("s1") and await table.claim("s1") is None


async def test_of_many_racing_claims_from_several_connections_exactly_one_wins(tmp_path) -> None:
    path = str(tmp_path / "s.db")
    async with AsyncExitStack() as stack:
        tables = [await stack.enter_async_context(SessionTable.open(path)) for _ in range(3)]
        await tables[0].create("s1")
        await tables[0].release("s1", None)

        async def claim(table: SessionTable) -> bool:
            try:
                return await table.claim("s1") is not None
            except Busy:
                return False

        results = await asyncio.gather(*(claim(tables[i % 3]) for i in range(30)))
        assert results.count(True) == 1


async def test_closing_a_table_frees_its_leases_and_forgets_what_they_waited_for(tmp_path) -> None:
    path = str(tmp_path / "s.db")
    async with SessionTable.open(path) as other:
        async with SessionTable.open(path) as table:
            await table.create("s1", pending={"type": "confirm"})
            with pytest.raises(Busy):
                await other.claim("s1")
        lease = await other.claim("s1")
        assert lease is not None and lease.pending is UNKNOWN


async def test_an_in_memory_table_is_private(tmp_path) -> None:
    async with SessionTable.open(None) as a, SessionTable.open(None) as b:
        await a.create("s1")
        assert await a.known("s1") and not await b.known("s1")


def lease_until(path: str, session_id: str) -> float:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT lease_until FROM chat_sessions WHERE session_id = ?", (session_id,)).fetchone()[0]


async def test_renewing_extends_only_the_leases_this_worker_holds(tmp_path) -> None:
    path = str(tmp_path / "s.db")
    async with SessionTable.open(path) as other, SessionTable.open(path) as table:
        await table.create("mine")
        await other.create("theirs")
        await table.create("done")
        await table.release("done", None)
        before = {sid: lease_until(path, sid) for sid in ("mine", "theirs")}
        await asyncio.sleep(0.05)
        assert await table.renew() == set()
        assert lease_until(path, "mine") > before["mine"]
        assert lease_until(path, "theirs") == before["theirs"] and lease_until(path, "done") == 0


async def test_a_lease_taken_over_after_it_ran_out_is_reported_lost_once(tmp_path) -> None:
    path = str(tmp_path / "s.db")
    async with SessionTable.open(path) as other, SessionTable.open(path) as table:
        await table.create("s1")
        with sqlite3.connect(path) as db:  # our lease ran out (a stalled worker)...
            db.execute("UPDATE chat_sessions SET lease_until = ? WHERE session_id = 's1'", (time.time() - 1,))
        assert await other.claim("s1") is not None  # ...and another worker took the session
        assert await table.renew() == {"s1"}
        assert await table.renew() == set() and "s1" in other.held
        await table.release("s1", None)  # our late release does not free their lease
        with pytest.raises(Busy):
            await table.claim("s1")


async def test_the_heartbeat_keeps_a_long_turn_leased_and_reports_a_lost_one(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sessions, "LEASE_SECONDS", 0.4)
    monkeypatch.setattr(sessions, "RENEW_SECONDS", 0.1)
    path = str(tmp_path / "s.db")
    lost: list[str] = []
    async with SessionTable.open(path) as other, SessionTable.open(path) as table:
        table.on_lost = lost.append
        await table.create("long")
        await table.create("stolen")
        with sqlite3.connect(path) as db:
            db.execute("UPDATE chat_sessions SET lease_owner = 'elsewhere' WHERE session_id = 'stolen'")
        await asyncio.sleep(1.0)  # two and a half leases
        with pytest.raises(Busy):
            await other.claim("long")
        assert lost == ["stolen"]
