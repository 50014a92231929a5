"""The SQLite store (WAL): a transaction is `BEGIN IMMEDIATE` on a writer connection of its own,
so writers in other processes wait their turn; reads use a second connection and see committed
data only; holds and the outbox's bookkeeping a third, without fsync."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Literal

import aiosqlite

from core import migrations, sqlite
from scheduler.sql import Db, SqliteDb
from scheduler.store.base import COMPONENT, MIGRATIONS
from scheduler.store.common import SqlBookingStore, SqlTransaction

log = logging.getLogger("scheduler.store")


async def baseline(conn: aiosqlite.Connection) -> int:
    """The schema version of a file from a release before versions were recorded: 0 (no
    bookings table), 1 (bookings without erasure; 0002's tables are made only if missing) or
    3 (bookings with `forgotten_at`: the release that had every table)."""
    columns = {row[1] for row in await conn.execute_fetchall("PRAGMA table_info(bookings)")}
    if not columns:
        return 0
    return 3 if "forgotten_at" in columns else 1


class SqliteTransaction(SqlTransaction):
    """The writer connection inside `BEGIN IMMEDIATE`."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        super().__init__(SqliteDb(conn))
        self.conn = conn
        self._savepoints = 0

    def _slot_taken(self, exc: Exception) -> bool:
        return isinstance(exc, sqlite3.IntegrityError) and "bookings.start_time" in str(exc)  # not the primary key

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[None]:
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        await self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            await self.conn.execute(f"ROLLBACK TO {name}")
            raise
        finally:
            await self.conn.execute(f"RELEASE {name}")

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        return self._savepoint()


class SqliteBookingStore(SqlBookingStore):
    """Three aiosqlite connections per process, WAL: one for reads (autocommit), one for the
    transactions (FULL sync), which take turns through an asyncio lock, and one for holds
    (single statements, NORMAL sync). An in-memory database (`sqlite:///:memory:`, for tests)
    has the one connection only, and its holds take their turn with the transactions."""

    def __init__(self, path: Path, busy_seconds: float = 10.0) -> None:
        self.path = path
        self.busy_seconds = busy_seconds  # a write waits this long for another writer's lock
        self.applied: list[int] = []
        self._db: aiosqlite.Connection | None = None
        self._writer: aiosqlite.Connection | None = None
        self._holder: aiosqlite.Connection | None = None
        self._turn = asyncio.Lock()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    async def _connect(self, synchronous: Literal["NORMAL", "FULL"]) -> aiosqlite.Connection:
        memory = str(self.path) == ":memory:"
        return await sqlite.connect(
            None if memory else self.path, synchronous=synchronous, timeout=self.busy_seconds, isolation_level=None
        )

    async def open(self) -> None:
        self._writer = await self._connect("FULL")
        self.applied = await migrations.migrate_sqlite(self._writer, COMPONENT, MIGRATIONS, baseline)
        if str(self.path) == ":memory:":  # a second connection would open a second, empty database
            self._db = self._holder = self._writer
            return
        self._db = await self._connect("FULL")
        self._holder = await self._connect("NORMAL")

    async def close(self) -> None:
        for db in {self._db, self._writer, self._holder}:
            if db is not None:
                await db.close()
        self._db = self._writer = self._holder = None

    @asynccontextmanager
    async def _transaction_scope(self) -> AsyncIterator[SqlTransaction]:
        if self._writer is None:
            raise RuntimeError("store is not open")
        async with self._turn:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteTransaction(self._writer)
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")

    def _transaction(self) -> AbstractAsyncContextManager[SqlTransaction]:
        return self._transaction_scope()

    async def _erase_traces(self) -> None:
        # The old rows were zeroed (secure_delete); the checkpoint takes their old versions out of the WAL.
        assert self._writer is not None  # open: the transaction checked
        if not await sqlite.erase_traces(self._writer):
            log.warning("booking forgotten; a reader kept old WAL frames until the next checkpoint")

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[Db]:
        yield SqliteDb(self.db)

    def reading(self) -> AbstractAsyncContextManager[Db]:
        return self._reading()

    @asynccontextmanager
    async def _holds(self) -> AsyncIterator[Db]:
        if self._holder is None:
            raise RuntimeError("store is not open")
        if self._holder is self._writer:  # in memory: not inside another coroutine's transaction
            async with self._turn:
                yield SqliteDb(self._holder)
        else:
            yield SqliteDb(self._holder)

    def bookkeeping(self) -> AbstractAsyncContextManager[Db]:
        return self._holds()
