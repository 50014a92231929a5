"""Bookings storage behind a small interface; SQLite (WAL) by default.

A partial unique index over (type, date, start time) of confirmed bookings, not a Python lock,
makes a double booking impossible, also across server processes sharing one database file.
Every write is one statement, hence atomic: a crash never leaves half a booking.
"""

from __future__ import annotations

import logging
import sqlite3
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import aiosqlite

from core import sqlite

log = logging.getLogger("scheduler.store")


class SlotTaken(Exception):
    """Another confirmed booking holds that slot."""


@dataclass
class Booking:
    booking_id: str
    confirmation_code: str
    appointment_type: str
    date: str  # YYYY-MM-DD
    start_time: str  # HH:MM
    end_time: str
    patient_name: str
    patient_email: str
    patient_phone: str
    reason: str | None = None
    status: str = "confirmed"  # confirmed | cancelled
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    cancelled_at: str | None = None
    forgotten_at: str | None = None  # the patient's personal data erased at their request

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class BookingStore(ABC):
    """What the service needs from storage; a PostgreSQL store implements the same."""

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def booked_times(self, appointment_type: str, first: date, last: date) -> dict[str, set[str]]:
        """Start times of confirmed bookings per date (ISO) in [first, last]."""

    @abstractmethod
    async def create(self, booking: Booking) -> None:
        """Insert a confirmed booking; raises SlotTaken if the slot is held."""

    @abstractmethod
    async def get(self, booking_id: str) -> Booking | None: ...

    @abstractmethod
    async def cancel(self, booking_id: str, cancelled_at: str) -> bool:
        """Mark a confirmed booking cancelled; False if it was not confirmed."""

    @abstractmethod
    async def forget(self, booking_id: str, forgotten_at: str) -> bool:
        """Erase a booking's personal data (name, e-mail, phone, reason) and cancel it if it was
        confirmed; the slot record stays. False if it was forgotten already (or is unknown)."""

    @abstractmethod
    async def all(self) -> list[Booking]:
        """Every booking, oldest first (for tests, scripts and staff tools)."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS bookings (
    booking_id        TEXT PRIMARY KEY,
    confirmation_code TEXT NOT NULL,
    appointment_type  TEXT NOT NULL,
    date              TEXT NOT NULL,
    start_time        TEXT NOT NULL,
    end_time          TEXT NOT NULL,
    patient_name      TEXT NOT NULL,
    patient_email     TEXT NOT NULL,
    patient_phone     TEXT NOT NULL,
    reason            TEXT,
    status            TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    created_at        TEXT NOT NULL,
    cancelled_at      TEXT,
    forgotten_at      TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS one_confirmed_booking_per_slot
    ON bookings (appointment_type, date, start_time) WHERE status = 'confirmed';
"""

_COLUMNS = tuple(Booking.__dataclass_fields__)


def sqlite_path(database_url: str) -> Path:
    """`sqlite:///abs/path.db` or `sqlite:///relative.db` -> a Path."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix):
        raise ValueError(f"DATABASE_URL must start with {prefix!r}, got {database_url!r}")
    return Path(database_url[len(prefix) :])


class SqliteBookingStore(BookingStore):
    """One aiosqlite connection per process, autocommit, WAL, FULL sync for durability."""

    def __init__(self, path: Path, busy_seconds: float = 10.0) -> None:
        self.path = path
        self.busy_seconds = busy_seconds  # a write waits this long for another writer's lock
        self._db: aiosqlite.Connection | None = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    async def open(self) -> None:
        self._db = await sqlite.connect(self.path, synchronous="FULL", timeout=self.busy_seconds, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        await self._db.executescript(_SCHEMA)
        columns = {row[1] for row in await self._db.execute_fetchall("PRAGMA table_info(bookings)")}
        if "forgotten_at" not in columns:  # a database made before erasure existed
            await self._db.execute("ALTER TABLE bookings ADD COLUMN forgotten_at TEXT")

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def booked_times(self, appointment_type: str, first: date, last: date) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        async with self.db.execute(
            "SELECT date, start_time FROM bookings WHERE status = 'confirmed'"
            " AND appointment_type = ? AND date BETWEEN ? AND ?",
            (appointment_type, first.isoformat(), last.isoformat()),
        ) as cursor:
            async for row in cursor:
                out.setdefault(row[0], set()).add(row[1])
        return out

    async def create(self, booking: Booking) -> None:
        values = booking.as_dict()
        try:
            await self.db.execute(
                f"INSERT INTO bookings ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                tuple(values[c] for c in _COLUMNS),
            )
        except sqlite3.IntegrityError as exc:
            if "bookings.start_time" in str(exc):  # the slot index, not the primary key
                raise SlotTaken from exc
            raise

    async def get(self, booking_id: str) -> Booking | None:
        async with self.db.execute("SELECT * FROM bookings WHERE booking_id = ?", (booking_id,)) as cursor:
            row = await cursor.fetchone()
        return Booking(**dict(row)) if row else None

    async def cancel(self, booking_id: str, cancelled_at: str) -> bool:
        cursor = await self.db.execute(
            "UPDATE bookings SET status = 'cancelled', cancelled_at = ? WHERE booking_id = ? AND status = 'confirmed'",
            (cancelled_at, booking_id),
        )
        return cursor.rowcount == 1

    async def forget(self, booking_id: str, forgotten_at: str) -> bool:
        cursor = await self.db.execute(
            "UPDATE bookings SET patient_name = '', patient_email = '', patient_phone = '', reason = NULL,"
            " status = 'cancelled', cancelled_at = COALESCE(cancelled_at, ?), forgotten_at = ?"
            " WHERE booking_id = ? AND forgotten_at IS NULL",
            (forgotten_at, forgotten_at, booking_id),
        )
        if cursor.rowcount != 1:
            return False
        # The old row was zeroed (secure_delete); the checkpoint takes its old versions out of the WAL.
        if not await sqlite.erase_traces(self.db):
            log.warning("booking forgotten; a reader kept old WAL frames until the next checkpoint")
        return True

    async def all(self) -> list[Booking]:
        async with self.db.execute("SELECT * FROM bookings ORDER BY created_at, rowid") as cursor:
            return [Booking(**dict(row)) async for row in cursor]


def make_store(database_url: str, busy_seconds: float = 10.0) -> BookingStore:
    """The store for a DATABASE_URL (only SQLite ships today)."""
    if database_url.startswith("sqlite:"):
        return SqliteBookingStore(sqlite_path(database_url), busy_seconds)
    raise ValueError(f"unsupported DATABASE_URL scheme: {database_url.split(':', 1)[0]!r} (use sqlite:///path)")
