"""Schema migrations: a small ordered set of SQL files per dialect and one version table.

Why not Alembic: this project writes its SQL by hand (no SQLAlchemy models to autogenerate
from), has two small schemas, and must migrate the SQLite files of earlier releases that have no
version table at all. Numbered SQL files that a reviewer reads as they run, applied by these
sixty lines, do that with nothing to learn.

Layout: a package (e.g. `scheduler.migrations`) holds `sqlite/` and `postgresql/` folders of
`NNNN_what.sql` files, numbered from 0001 without gaps. `schema_migrations` records, per
component (several share one database), each version applied. Every migration runs in its own
transaction together with its version row, so a failed one leaves the database at the previous
version; a lock (SQLite `BEGIN IMMEDIATE`, a PostgreSQL advisory lock) makes instances that
start together apply each migration once.

A database made before this table existed is given its version by the component's `baseline`
(it looks at the tables it finds), so its next start applies only what is missing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING

import aiosqlite

from core.database import Dialect

if TYPE_CHECKING:
    import psycopg

HISTORY = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    component  TEXT NOT NULL,
    version    INTEGER NOT NULL,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (component, version)
)"""
_LOCK_KEY = 7_358_112  # pg_advisory_xact_lock's key for "migrating"; any constant of our own


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load(package: str, dialect: Dialect) -> list[Migration]:
    """The migrations in `package`/`dialect`/, in order; ValueError if numbering has a gap."""
    folder = resources.files(package).joinpath(dialect)
    found = sorted(
        (int(entry.name[:4]), entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    )
    migrations = [Migration(version, name, sql) for version, name, sql in found]
    if [m.version for m in migrations] != list(range(1, len(migrations) + 1)):
        raise ValueError(f"{package}/{dialect}: migrations must be numbered 0001, 0002, ... without gaps")
    return migrations


def statements(sql: str) -> list[str]:
    """`sql` split into whole statements (a `;` inside a string or a trigger body stays put)."""
    out: list[str] = []
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip().strip(";").strip():
                out.append(pending.strip())
            pending = ""
    if pending.strip() and not pending.strip().startswith("--"):
        out.append(pending.strip())
    return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


SqliteBaseline = Callable[[aiosqlite.Connection], Awaitable[int]]
PostgresBaseline = Callable[["psycopg.AsyncConnection[object]"], Awaitable[int]]


async def migrate_sqlite(
    conn: aiosqlite.Connection, component: str, package: str, baseline: SqliteBaseline | None = None
) -> list[int]:
    """Bring `component`'s schema up to date on an autocommit (`isolation_level=None`)
    connection; returns the versions applied now."""
    applied: list[int] = []
    for migration in load(package, "sqlite"):
        await conn.execute("BEGIN IMMEDIATE")
        try:
            current = await _sqlite_version(conn, component, baseline)
            if migration.version <= current:
                await conn.execute("COMMIT")
                continue
            for statement in statements(migration.sql):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?, ?)",
                (component, migration.version, migration.name, _now()),
            )
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
        applied.append(migration.version)
    return applied


async def _sqlite_version(conn: aiosqlite.Connection, component: str, baseline: SqliteBaseline | None) -> int:
    """The component's version, inside the caller's transaction (a baseline is recorded)."""
    await conn.execute(HISTORY)
    rows = list(
        await conn.execute_fetchall("SELECT MAX(version) FROM schema_migrations WHERE component = ?", (component,))
    )
    if rows and rows[0][0] is not None:
        return int(rows[0][0])
    version = await baseline(conn) if baseline else 0
    for number in range(1, version + 1):
        await conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?, ?)", (component, number, "baseline", _now()))
    return version


async def migrate_postgres(
    conn: psycopg.AsyncConnection[object], component: str, package: str, baseline: PostgresBaseline | None = None
) -> list[int]:
    """As migrate_sqlite, on a psycopg connection outside any transaction."""
    applied: list[int] = []
    for migration in load(package, "postgresql"):
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            await conn.execute(HISTORY)
            cursor = await conn.execute("SELECT MAX(version) FROM schema_migrations WHERE component = %s", (component,))
            row = await cursor.fetchone()
            current = row[0] if row and row[0] is not None else None  # type: ignore[index]
            if current is None:
                current = await baseline(conn) if baseline else 0
                for number in range(1, current + 1):
                    await conn.execute(
                        "INSERT INTO schema_migrations VALUES (%s, %s, %s, %s)",
                        (component, number, "baseline", _now()),
                    )
            if migration.version <= int(current):
                continue
            for statement in statements(migration.sql):
                await conn.execute(statement.encode())
            await conn.execute(
                "INSERT INTO schema_migrations VALUES (%s, %s, %s, %s)",
                (component, migration.version, migration.name, _now()),
            )
        applied.append(migration.version)
    return applied
