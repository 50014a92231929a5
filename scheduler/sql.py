"""One small interface over an SQLite and a PostgreSQL connection, so the store and the outbox
write each statement once for both dialects.

The SQL is written in SQLite's placeholder style (`?`, or `:name` with a mapping); the
PostgreSQL side translates it to psycopg's (`%s`, `%(name)s`). The few words the dialects
spell differently are `Db.words`: `{find}` (instr / strpos: the position of a text in another)
and `{order}` (the tie-break for "oldest first": SQLite's rowid, PostgreSQL's booking_id).
Rows come back as dicts.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import aiosqlite
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from core.database import Dialect

Params = Sequence[Any] | Mapping[str, Any]
Row = dict[str, Any]

WORDS: dict[Dialect, dict[str, str]] = {
    "sqlite": {"find": "instr", "order": "rowid", "skip_locked": ""},
    "postgresql": {"find": "strpos", "order": "booking_id", "skip_locked": " FOR UPDATE SKIP LOCKED"},
}
_NAMED = re.compile(r"(?<![:\w]):([a-z_]+)")


@lru_cache(maxsize=256)
def to_psycopg(sql: str) -> str:
    """`?` -> `%s` and `:name` -> `%(name)s` (this project's SQL has neither inside a literal)."""
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%").replace("?", "%s"))


class Db(ABC):
    """A connection, in or out of a transaction (the caller decides), of either dialect."""

    dialect: Dialect

    @property
    def words(self) -> dict[str, str]:
        return WORDS[self.dialect]

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None


class SqliteDb(Db):
    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self.conn.execute(sql, params) as cursor:
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in await cursor.fetchall()]

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self.conn.execute(sql, params) as cursor:
            return cursor.rowcount


class PostgresDb(Db):
    dialect: Dialect = "postgresql"

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self.conn = conn

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self.conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(to_psycopg(sql).encode(), params)
            return await cursor.fetchall()

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self.conn.cursor() as cursor:
            await cursor.execute(to_psycopg(sql).encode(), params)
            return cursor.rowcount
