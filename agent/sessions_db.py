"""The sessions database, on either dialect: where conversations (LangGraph's checkpoints), their
leases (agent/sessions.py) and the playground's staff sessions are kept.

`CHECKPOINT_URL` unset: the bookings database's own PostgreSQL database, or for SQLite a file
beside it (`var/scheduling.db` -> `var/scheduling-sessions.db`); `memory`, or an in-memory
bookings database: this process only. The tables here write SQL once, with `?` placeholders
and `{now}` for the database's clock, so every instance on one PostgreSQL compares lease times
by one clock (the server's), not by each host's.

`migrate_sessions(settings)` brings the schema up to date (this project's tables, versioned by
core/migrations.py, and LangGraph's checkpoint tables, which migrate themselves); opening the
database does the same, so `scheduling-agent migrate` is only needed to migrate ahead of a start.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import aiosqlite
import psycopg
from psycopg.rows import dict_row, tuple_row
from psycopg_pool import AsyncConnectionPool

from core import sqlite
from core.database import DatabaseUrl, Dialect, parse_database_url
from core.migrations import migrate_postgres, migrate_sqlite
from core.postgres import open_pool
from core.settings import Settings

COMPONENT = "sessions"  # its rows in schema_migrations
MIGRATIONS = "agent.migrations"
_SETUP_LOCK_KEY = 7_358_113  # pg_advisory_lock's key while LangGraph's checkpointer migrates
SETUP_WAIT_SECONDS = 120.0  # for another instance's checkpointer migration (an index on a big table)
_NOW = {
    "sqlite": "((julianday('now') - 2440587.5) * 86400.0)",  # SQLite 3.40 has no unixepoch('subsec')
    "postgresql": "extract(epoch from clock_timestamp())::double precision",
}


def sessions_url(settings: Settings) -> DatabaseUrl | None:
    """The sessions database of these settings, or None for this process's memory."""
    if settings.checkpoint_url == "memory":
        return None
    if settings.checkpoint_url:
        url = parse_database_url(settings.checkpoint_url)
        return None if url.dialect == "sqlite" and url.sqlite_path is None else url
    url = parse_database_url(settings.database_url)
    if url.dialect == "postgresql":
        return url  # the same database: its own tables beside the bookings'
    db = url.sqlite_path
    if db is None:
        return None  # an in-memory bookings database keeps its sessions in memory too
    return parse_database_url(f"sqlite:///{db.with_name(db.stem + '-sessions.db')}")


class SessionsDb:
    """One SQLite connection (autocommit, its own thread) or one PostgreSQL pool, and the SQL
    that differs between them: placeholders and the clock."""

    def __init__(
        self, dialect: Dialect, conn: aiosqlite.Connection | None = None, pool: AsyncConnectionPool[Any] | None = None
    ) -> None:
        self.dialect = dialect
        self.conn = conn
        self.pool = pool
        self.now = _NOW[dialect]

    @classmethod
    @asynccontextmanager
    async def open(cls, url: DatabaseUrl | None, settings: Settings, *, name: str) -> AsyncIterator[SessionsDb]:
        """The database at `url` (None: a private in-memory SQLite), migrated; closed on exit.
        A statement waits `DATABASE_BUSY_SECONDS` for a lock (or a pool connection), then fails."""
        busy = settings.database_busy_seconds
        if url is not None and url.dialect == "postgresql":
            await _migrate_postgres(url.url)
            # What LangGraph's AsyncPostgresSaver needs of its connections (its from_conn_string):
            # autocommit (it opens its own transactions and pipelines), dict rows, prepared statements.
            pool = await open_pool(
                url.url,
                min_size=settings.database_pool_min,
                max_size=settings.database_pool_max,
                name=name,
                busy_seconds=busy,
                autocommit=True,
                row_factory=dict_row,
                prepare_threshold=0,
            )
            try:
                yield cls("postgresql", pool=pool)
            finally:
                await pool.close()
            return
        path = url.sqlite_path if url is not None else None
        conn = await sqlite.connect(path, synchronous="NORMAL", timeout=busy, isolation_level=None)
        try:
            await migrate_sqlite(conn, COMPONENT, MIGRATIONS, _sqlite_baseline)
            yield cls("sqlite", conn=conn)
        finally:
            await conn.close()

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of one statement (autocommitted), as tuples."""
        if self.conn is not None:
            return [tuple(row) for row in await self.conn.execute_fetchall(_sqlite_sql(sql), params)]
        assert self.pool is not None
        async with self.pool.connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
            await cursor.execute(_postgres_sql(sql), params)
            return await cursor.fetchall() if cursor.description else []

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self.fetch(sql, params)

    @staticmethod
    def is_duplicate(exc: BaseException) -> bool:
        """Whether `exc` is a primary key already taken (by another instance's insert)."""
        return isinstance(exc, (sqlite3.IntegrityError, psycopg.errors.UniqueViolation))


@cache
def _sqlite_sql(sql: str) -> str:
    return sql.replace("{now}", _NOW["sqlite"])


@cache
def _postgres_sql(sql: str) -> bytes:
    if "%" in sql:
        raise ValueError("write `?` placeholders; a literal % would be taken for one by psycopg")
    return sql.replace("{now}", _NOW["postgresql"]).replace("?", "%s").encode()


async def _sqlite_baseline(conn: aiosqlite.Connection) -> int:
    """A sessions file of an earlier release has `chat_sessions` (version 1) and nothing newer."""
    rows = await conn.execute_fetchall("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chat_sessions'")
    return 1 if list(rows) else 0


async def _migrate_postgres(url: str) -> list[int]:
    """This project's tables, then LangGraph's (its `setup()`), on a connection of their own.
    Its setup is not safe to run twice at once (CREATE INDEX CONCURRENTLY, a version row), so
    instances that start together take turns under a session-level advisory lock. They *poll*
    for it: a statement waiting for the lock would be a transaction CREATE INDEX CONCURRENTLY
    waits for in turn, and the two would wait for each other for ever."""
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        applied = await migrate_postgres(conn, COMPONENT, MIGRATIONS)
        async with asyncio.timeout(SETUP_WAIT_SECONDS):
            while not await _try_lock(conn):
                await asyncio.sleep(0.05)
        try:
            async with await psycopg.AsyncConnection.connect(
                url, autocommit=True, prepare_threshold=0, row_factory=dict_row
            ) as saver_conn:
                await AsyncPostgresSaver(saver_conn).setup()
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK_KEY,))
    return applied


async def _try_lock(conn: psycopg.AsyncConnection[Any]) -> bool:
    row = await (await conn.execute("SELECT pg_try_advisory_lock(%s)", (_SETUP_LOCK_KEY,))).fetchone()
    return bool(row and row[0])


async def migrate_sessions(settings: Settings) -> list[int]:
    """Bring the sessions database of `settings` up to date (`scheduling-agent migrate`):
    returns the versions of this project's tables applied now; nothing for an in-memory one."""
    url = sessions_url(settings)
    if url is None:
        return []
    if url.dialect == "postgresql":
        return await _migrate_postgres(url.url)
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    busy = settings.database_busy_seconds
    conn = await sqlite.connect(url.sqlite_path, synchronous="NORMAL", timeout=busy, isolation_level=None)
    try:
        applied = await migrate_sqlite(conn, COMPONENT, MIGRATIONS, _sqlite_baseline)
        await AsyncSqliteSaver(conn).setup()
    finally:
        await conn.close()
    return applied
