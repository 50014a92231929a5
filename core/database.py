"""Which database a URL names, and PostgreSQL connection pools.

Two dialects: SQLite (the embedded default, a file or `:memory:`) and PostgreSQL (psycopg 3
with `psycopg-pool`, async: nothing blocks the event loop). The forms a user might paste from
another tool's documentation (`postgres://`, `postgresql+psycopg://`, `sqlite+aiosqlite:///`)
are accepted and normalised; any other scheme is refused with a message naming the ones that
work, at start-up rather than at the first request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

Dialect = Literal["sqlite", "postgresql"]

SQLITE_PREFIX = "sqlite:///"
_POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2", "postgresql+asyncpg"}
_SQLITE_SCHEMES = {"sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"}
SUPPORTED = "sqlite:///path/to/file.db, sqlite:///:memory: or postgresql://user:password@host:5432/database"


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed DATABASE_URL (or CHECKPOINT_URL): its dialect and its normalised form."""

    dialect: Dialect
    url: str  # sqlite:///path or postgresql://...: what psycopg / this project's SQLite code takes

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file, or None for an in-memory database (only for the SQLite dialect)."""
        if self.dialect != "sqlite":
            raise ValueError(f"not an SQLite URL: {self.redacted}")
        path = self.url.removeprefix(SQLITE_PREFIX)
        return None if path == ":memory:" else Path(path)

    @property
    def redacted(self) -> str:
        """The URL with its password replaced, for messages and logs."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        return self.url.replace(f":{parts.password}@", ":***@", 1)


def parse_database_url(url: str) -> DatabaseUrl:
    """`url` as a DatabaseUrl; ValueError, naming the supported forms, for anything else."""
    scheme, sep, rest = url.strip().partition("://")
    scheme = scheme.lower()
    if sep and scheme in _SQLITE_SCHEMES:
        if not rest.startswith("/") or rest == "/":
            raise ValueError(f"an SQLite URL needs three slashes and a path, got {url!r} (use {SUPPORTED})")
        return DatabaseUrl("sqlite", SQLITE_PREFIX + rest[1:])
    if sep and scheme in _POSTGRES_SCHEMES:
        parts = urlsplit("postgresql://" + rest)
        if not parts.hostname and "host=" not in parts.query:
            raise ValueError(f"a PostgreSQL URL needs a host, got {_hide_password(url)!r}")
        if not parts.path.strip("/"):
            raise ValueError(f"a PostgreSQL URL needs a database name, got {_hide_password(url)!r}")
        return DatabaseUrl("postgresql", "postgresql://" + rest)
    shown = scheme if sep else _hide_password(url)
    raise ValueError(f"unsupported database URL {shown!r}: use {SUPPORTED}")


def _hide_password(url: str) -> str:
    try:
        password = urlsplit(url).password
    except ValueError:
        return url
    return url.replace(f":{password}@", ":***@", 1) if password else url
