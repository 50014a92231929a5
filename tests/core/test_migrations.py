"""The migration runner on both dialects: order, one transaction per step, a version table,
a baseline for databases older than the table, and instances starting together."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import aiosqlite
import psycopg
import pytest

from core import migrations, sqlite
from core.database import parse_database_url


def _package(root: Path, name: str, files: dict[str, str]) -> str:
    """A throwaway migrations package with the same files for both dialects."""
    package = root / name
    for dialect in ("sqlite", "postgresql"):
        (package / dialect).mkdir(parents=True)
        for filename, sql in files.items():
            (package / dialect / filename).write_text(sql)
    (package / "__init__.py").write_text("")
    return name


@pytest.fixture
def packages(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("mig_")]:
        del sys.modules[name]


V1 = {"0001_notes.sql": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n"}
V2 = {**V1, "0002_seen.sql": "ALTER TABLE notes ADD COLUMN seen INTEGER NOT NULL DEFAULT 0;\n"
      "INSERT INTO notes (id, body) VALUES (99, 'added; by the migration');\n"}  # fmt: skip


async def _run(url: str, component: str, package: str, baseline: object = None) -> list[int]:
    parsed = parse_database_url(url)
    if parsed.dialect == "sqlite":
        conn = await sqlite.connect(parsed.sqlite_path, synchronous="FULL", timeout=10, isolation_level=None)
        try:
            return await migrations.migrate_sqlite(conn, component, package, baseline)  # type: ignore[arg-type]
        finally:
            await conn.close()
    async with await psycopg.AsyncConnection.connect(parsed.url, autocommit=True) as pg:
        return await migrations.migrate_postgres(pg, component, package, baseline)  # type: ignore[arg-type]


async def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    parsed = parse_database_url(url)
    if parsed.dialect == "sqlite":
        async with aiosqlite.connect(str(parsed.sqlite_path)) as conn:
            return [tuple(r) for r in await conn.execute_fetchall(sql)]
    async with await psycopg.AsyncConnection.connect(parsed.url) as pg:
        return list(await (await pg.execute(sql.encode())).fetchall())


async def _execute(url: str, sql: str) -> None:
    """One committed statement on either dialect."""
    parsed = parse_database_url(url)
    if parsed.dialect == "sqlite":
        async with aiosqlite.connect(str(parsed.sqlite_path)) as conn:
            await conn.execute(sql)
            await conn.commit()
    else:
        async with await psycopg.AsyncConnection.connect(parsed.url, autocommit=True) as pg:
            await pg.execute(sql.encode())


async def test_migrations_apply_in_order_once_and_keep_data(database_url: str, packages: Path) -> None:
    first = _package(packages, "mig_a1", V1)
    assert await _run(database_url, "notes", first) == [1]
    assert await _run(database_url, "notes", first) == []  # already there: nothing again
    await _execute(database_url, "INSERT INTO notes (id, body) VALUES (1, 'kept')")
    upgraded = _package(packages, "mig_a2", V2)  # the next release ships one more file
    assert await _run(database_url, "notes", upgraded) == [2]
    assert await _rows(database_url, "SELECT id, body, seen FROM notes ORDER BY id") == [
        (1, "kept", 0),
        (99, "added; by the migration", 0),
    ]
    assert await _rows(database_url, "SELECT version, name FROM schema_migrations ORDER BY version") == [
        (1, "0001_notes"),
        (2, "0002_seen"),
    ]


async def test_a_failing_migration_leaves_the_previous_version(database_url: str, packages: Path) -> None:
    broken = _package(packages, "mig_b", {**V1, "0002_bad.sql": "ALTER TABLE notes ADD COLUMN x INTEGER;\nNOT SQL;\n"})
    with pytest.raises((aiosqlite.OperationalError, psycopg.errors.SyntaxError)):
        await _run(database_url, "notes", broken)
    assert await _rows(database_url, "SELECT MAX(version) FROM schema_migrations") == [(1,)]
    columns = "SELECT * FROM notes"
    if parse_database_url(database_url).dialect == "sqlite":
        async with aiosqlite.connect(str(parse_database_url(database_url).sqlite_path)) as conn:
            cursor = await conn.execute(columns)
            assert [d[0] for d in cursor.description] == ["id", "body"]  # the half of 0002 undone
    else:
        async with await psycopg.AsyncConnection.connect(database_url) as pg:
            pg_cursor = await pg.execute(columns)
            assert [d.name for d in pg_cursor.description or []] == ["id", "body"]


async def test_a_database_older_than_the_version_table_starts_from_its_baseline(
    database_url: str, packages: Path
) -> None:
    await _execute(database_url, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")

    async def baseline(_: object) -> int:
        return 1  # "notes" exists: version 1 was applied before versions were recorded

    assert await _run(database_url, "notes", _package(packages, "mig_c", V2), baseline) == [2]


async def test_instances_starting_together_apply_each_migration_once(database_url: str, packages: Path) -> None:
    package = _package(packages, "mig_d", V2)
    results = await asyncio.gather(*(_run(database_url, "notes", package) for _ in range(4)))
    assert sorted(v for applied in results for v in applied) == [1, 2]
    assert await _rows(database_url, "SELECT COUNT(*) FROM notes") == [(1,)]


def test_numbering_must_not_have_gaps(packages: Path) -> None:
    package = _package(packages, "mig_e", {"0001_a.sql": "SELECT 1;", "0003_c.sql": "SELECT 1;"})
    with pytest.raises(ValueError, match="without gaps"):
        migrations.load(package, "sqlite")


def test_statements_split_on_whole_statements_only() -> None:
    sql = "-- a comment\nCREATE TABLE t (a TEXT DEFAULT 'x;y');\n\nINSERT INTO t VALUES ('1;2');\n"
    assert migrations.statements(sql) == [
        "-- a comment\nCREATE TABLE t (a TEXT DEFAULT 'x;y');",
        "INSERT INTO t VALUES ('1;2');",
    ]
