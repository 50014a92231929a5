"""Bookings storage behind a small interface; SQLite (WAL) by default.

A partial unique index over (type, date, start time) of confirmed bookings, not a Python lock,
makes a double booking impossible, also across server processes sharing one database file.
Every write is one statement, hence atomic: a crash never leaves half a booking.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import aiosqlite

from core import sqlite


class SlotTaken(Exception):
    """Another confirmed booking holds that slot."""


class TooManyUpcoming(Exception):
    """The patient's e-mail or phone already holds the most upcoming bookings allowed."""


@dataclass(frozen=True)
class UpcomingLimit:
    """At most `amount` confirmed bookings starting after `date` `time` per e-mail and per phone."""

    amount: int
    date: str  # YYYY-MM-DD, clinic-local now
    time: str  # HH:MM


def phone_digits(phone: str) -> str:
    """The digits of a phone number: how two spellings of one number compare."""
    return "".join(ch for ch in phone if ch.isdigit())


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
    async def create(self, booking: Booking, upcoming: UpcomingLimit | None = None) -> None:
        """Insert a confirmed booking; raises SlotTaken if the slot is held, TooManyUpcoming if
        its e-mail or phone already holds `upcoming.amount` upcoming bookings (one atomic
        statement: concurrent bookings of one patient can't both slip under the limit)."""

    @abstractmethod
    async def get(self, booking_id: str) -> Booking | None: ...

    @abstractmethod
    async def cancel(self, booking_id: str, cancelled_at: str) -> bool:
        """Mark a confirmed booking cancelled; False if it was not confirmed."""

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
    cancelled_at      TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS one_confirmed_booking_per_slot
    ON bookings (appointment_type, date, start_time) WHERE status = 'confirmed';
"""

_COLUMNS = tuple(Booking.__dataclass_fields__)


def _digits_sql(column: str) -> str:
    """SQL for the digits of a stored phone (models allow spaces, brackets, dots, dashes, a +)."""
    for char in " -().+":
        column = f"replace({column}, '{char}', '')"
    return column


_UPCOMING = (
    "SELECT COUNT(*) FROM bookings WHERE status = 'confirmed' AND {match}"
    " AND (date > ? OR (date = ? AND start_time > ?))"
)
_UPCOMING_BY_EMAIL = _UPCOMING.format(match="lower(patient_email) = lower(?)")
_UPCOMING_BY_PHONE = _UPCOMING.format(match=f"{_digits_sql('patient_phone')} = ?")


def sqlite_path(database_url: str) -> Path:
    """`sqlite:///abs/path.db` or `sqlite:///relative.db` -> a Path."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix):
        raise ValueError(f"DATABASE_URL must start with {prefix!r}, got {database_url!r}")
    return Path(database_url[len(prefix) :])


class SqliteBookingStore(BookingStore):
    """One aiosqlite connection per process, autocommit, WAL, FULL sync for durability."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    async def open(self) -> None:
        self._db = await sqlite.connect(self.path, synchronous="FULL", timeout=10.0, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        await self._db.executescript(_SCHEMA)

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

    async def create(self, booking: Booking, upcoming: UpcomingLimit | None = None) -> None:
        values = booking.as_dict()
        row = tuple(values[c] for c in _COLUMNS)
        columns, marks = ", ".join(_COLUMNS), ", ".join("?" * len(_COLUMNS))
        if upcoming is None or upcoming.amount <= 0:
            sql, params = f"INSERT INTO bookings ({columns}) VALUES ({marks})", row
        else:
            window = (upcoming.date, upcoming.date, upcoming.time)
            sql = (
                f"INSERT INTO bookings ({columns}) SELECT {marks}"
                f" WHERE ({_UPCOMING_BY_EMAIL}) < ? AND ({_UPCOMING_BY_PHONE}) < ?"
            )
            params = (
                *row,
                booking.patient_email,
                *window,
                upcoming.amount,
                phone_digits(booking.patient_phone),
                *window,
                upcoming.amount,
            )
        try:
            cursor = await self.db.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            if "bookings.start_time" in str(exc):  # the slot index, not the primary key
                raise SlotTaken from exc
            raise
        if cursor.rowcount == 0:
            raise TooManyUpcoming

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

    async def all(self) -> list[Booking]:
        async with self.db.execute("SELECT * FROM bookings ORDER BY created_at, rowid") as cursor:
            return [Booking(**dict(row)) async for row in cursor]


def make_store(database_url: str) -> BookingStore:
    """The store for a DATABASE_URL (only SQLite ships today)."""
    if database_url.startswith("sqlite:"):
        return SqliteBookingStore(sqlite_path(database_url))
    raise ValueError(f"unsupported DATABASE_URL scheme: {database_url.split(':', 1)[0]!r} (use sqlite:///path)")
