"""The session table: leases decided by SQLite, shared by every connection to the file."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import pytest

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
        assert (await table.claim("s1")).pending is UNKNOWN
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
