"""Whether an error is the database being busy, on either dialect: the API answers it with 503
and Retry-After (core/sqlite.py BUSY_DETAIL), never as a failure of the request itself."""

from __future__ import annotations

import psycopg
from psycopg_pool import PoolTimeout

from core import sqlite


def is_busy(exc: BaseException) -> bool:
    """SQLite giving up on another writer's lock; PostgreSQL giving up on a lock (`lock_timeout`,
    core/postgres.py) or on a free pool connection within DATABASE_BUSY_SECONDS."""
    return sqlite.is_busy(exc) or isinstance(
        exc, (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled, PoolTimeout)
    )
