"""A database that stayed busy past DATABASE_BUSY_SECONDS, whichever dialect: the API answers
503 with BUSY_DETAIL and Retry-After rather than a 500."""

from __future__ import annotations

from core import postgres, sqlite
from core.sqlite import BUSY_DETAIL, BUSY_RETRY_AFTER_SECONDS

__all__ = ["BUSY_DETAIL", "BUSY_RETRY_AFTER_SECONDS", "BUSY_ERRORS", "is_busy"]


def is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked", PostgreSQL's lock or pool timeout."""
    return sqlite.is_busy(exc) or postgres.is_busy(exc)


# The exception types an app registers a busy handler for (is_busy then decides).
BUSY_ERRORS: tuple[type[Exception], ...] = (*sqlite.BUSY_ERRORS, *postgres.BUSY_ERRORS)
