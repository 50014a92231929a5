"""The PostgreSQL store: a psycopg pool (core.postgres.open_pool) shared by every coroutine of
the process, several processes on one database.

A change is one transaction on a pool connection that first takes a transaction-level
advisory lock: writers take turns across every instance, as SQLite's `BEGIN IMMEDIATE` makes
them, so the reads a change depends on (its idempotency key, the patient's upcoming bookings,
the slot's hold) cannot be overtaken by another instance's write before it commits. Reads never
wait for it. The slot index still decides a double booking: its UniqueViolation is SlotTaken,
caught inside a savepoint so the transaction can go on to answer with alternatives. A wait for
the lock or for a pool connection longer than DATABASE_BUSY_SECONDS fails (LockNotAvailable /
PoolTimeout) and the API answers 503, as for a busy SQLite file.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from psycopg import AsyncConnection
from psycopg.errors import UniqueViolation
from psycopg_pool import AsyncConnectionPool

from core import migrations, postgres
from scheduler.sql import Db, PostgresDb
from scheduler.store.base import COMPONENT, MIGRATIONS
from scheduler.store.common import ERASED_TABLES, SqlBookingStore, SqlTransaction

log = logging.getLogger("scheduler.store")

SLOT_INDEX = "one_confirmed_booking_per_slot"
WRITER_LOCK = 7_358_113  # pg_advisory_xact_lock key: "a change to the bookings database"


async def _take_turn(conn: AsyncConnection[Any]) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))


class PostgresTransaction(SqlTransaction):
    """A pool connection inside `BEGIN`, holding the writer lock."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        super().__init__(PostgresDb(conn))
        self.conn = conn

    def _slot_taken(self, exc: Exception) -> bool:
        return isinstance(exc, UniqueViolation) and exc.diag.constraint_name == SLOT_INDEX

    def _slot_write(self) -> AbstractAsyncContextManager[Any]:
        return self.conn.transaction()  # a savepoint: the refusal does not abort the transaction

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[None]:
        async with self.conn.transaction():  # nested: SAVEPOINT, rolled back to if the block raises
            yield

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        return self._savepoint()


class PostgresBookingStore(SqlBookingStore):
    """Every statement on a connection of the pool (`min_size`..`max_size` per process)."""

    def __init__(self, url: str, busy_seconds: float = 10.0, min_size: int = 1, max_size: int = 10) -> None:
        self.url = url
        self.busy_seconds = busy_seconds
        self.min_size, self.max_size = min_size, max_size
        self.applied: list[int] = []
        self._pool: AsyncConnectionPool[AsyncConnection[Any]] | None = None

    @property
    def pool(self) -> AsyncConnectionPool[AsyncConnection[Any]]:
        if self._pool is None:
            raise RuntimeError("store is not open")
        return self._pool

    async def open(self) -> None:
        self._pool = await postgres.open_pool(
            self.url, min_size=self.min_size, max_size=self.max_size, name="bookings", busy_seconds=self.busy_seconds
        )
        try:
            async with self._pool.connection() as conn:
                self.applied = await migrations.migrate_postgres(conn, COMPONENT, MIGRATIONS)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @asynccontextmanager
    async def _transaction_scope(self) -> AsyncIterator[SqlTransaction]:
        async with self.pool.connection() as conn, conn.transaction():
            await _take_turn(conn)
            yield PostgresTransaction(conn)

    def _transaction(self) -> AbstractAsyncContextManager[SqlTransaction]:
        return self._transaction_scope()

    async def _erase_traces(self) -> None:
        # The erased rows' old versions are dead tuples until vacuumed: vacuum now (outside the
        # transaction, as VACUUM must be). The WAL and any backup keep them until recycled.
        async with self.pool.connection() as conn:
            await conn.execute(f"VACUUM {', '.join(ERASED_TABLES)}".encode())

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Db]:
        async with self.pool.connection() as conn:  # autocommit: each statement its own transaction
            yield PostgresDb(conn)

    def reading(self) -> AbstractAsyncContextManager[Db]:
        return self._connection()

    def bookkeeping(self) -> AbstractAsyncContextManager[Db]:
        return self._connection()

    @asynccontextmanager
    async def _holding_scope(self) -> AsyncIterator[Db]:
        async with self.pool.connection() as conn, conn.transaction():
            await _take_turn(conn)  # a hold and a booking of its slot never pass each other
            yield PostgresDb(conn)

    def _holding(self) -> AbstractAsyncContextManager[Db]:
        return self._holding_scope()
