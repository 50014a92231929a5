"""Bookings storage: SQLite (the default, a file) or PostgreSQL, picked by DATABASE_URL.

base.py: the records and the interface; common.py: the SQL both dialects share; sqlite.py and
postgres.py: how each connects, takes turns and erases traces.
"""

from __future__ import annotations

from core.database import parse_database_url
from scheduler.store.base import (
    Booking,
    BookingEvent,
    BookingStore,
    Hold,
    SlotTaken,
    StoredReply,
    Transaction,
    phone_digits,
    sqlite_path,
)
from scheduler.store.postgres import PostgresBookingStore
from scheduler.store.sqlite import SqliteBookingStore

__all__ = [
    "Booking",
    "BookingEvent",
    "BookingStore",
    "Hold",
    "PostgresBookingStore",
    "SlotTaken",
    "SqliteBookingStore",
    "StoredReply",
    "Transaction",
    "make_store",
    "phone_digits",
    "sqlite_path",
]


def make_store(database_url: str, busy_seconds: float = 10.0, *, pool_min: int = 1, pool_max: int = 10) -> BookingStore:
    """The store for a DATABASE_URL (`sqlite:///...` or `postgresql://...`, see core.database);
    the pool sizes count for PostgreSQL only."""
    parsed = parse_database_url(database_url)
    if parsed.dialect == "postgresql":
        return PostgresBookingStore(parsed.url, busy_seconds, pool_min, pool_max)
    return SqliteBookingStore(sqlite_path(parsed.url), busy_seconds)
