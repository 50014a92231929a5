"""Bookings storage behind a small interface; SQLite (WAL) by default.

A partial unique index over (type, date, start time) of confirmed bookings, not a Python lock,
makes a double booking impossible, also across server processes sharing one database file.
Every change (a booking, a reschedule, a cancellation, a hold) runs in one transaction
(`BEGIN IMMEDIATE` on a connection of its own) together with its history event and its
idempotency record, so a crash never leaves half of one, and writers in other processes wait
their turn. Reads use a second connection and so see committed data only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from core import sqlite
from scheduler.outbox import OUTBOX_SCHEMA, enqueue

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
    created_at: str  # ISO, from the service's clock
    reason: str | None = None
    status: str = "confirmed"  # confirmed | cancelled
    cancelled_at: str | None = None
    forgotten_at: str | None = None  # the patient's personal data erased at their request

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def slot(self) -> dict[str, str]:
        """Where the booking sits, as history events record it."""
        return {
            "appointment_type": self.appointment_type,
            "date": self.date,
            "start_time": self.start_time,
            "end_time": self.end_time,
        }


@dataclass(frozen=True)
class BookingEvent:
    """One line of a booking's history: created (to), rescheduled (from -> to), cancelled (from)."""

    event: str
    at: str
    from_slot: dict[str, str] | None
    to_slot: dict[str, str] | None


@dataclass(frozen=True)
class Hold:
    hold_id: str
    appointment_type: str
    date: str
    start_time: str
    expires_at: str  # ISO UTC: compared as text, so always written the same way


@dataclass(frozen=True)
class StoredReply:
    """The first answer given to an idempotency key, and what it answered."""

    fingerprint: str
    status: int
    body: dict[str, Any]


class Transaction(ABC):
    """The writes of one change and the reads they depend on, committed together or not at all."""

    @abstractmethod
    async def get(self, booking_id: str) -> Booking | None: ...

    @abstractmethod
    async def create(self, booking: Booking) -> None:
        """Insert a confirmed booking; raises SlotTaken if the slot is booked."""

    @abstractmethod
    async def upcoming(self, email: str, phone: str, date: str, time: str) -> tuple[int, int]:
        """Confirmed bookings starting after `date` `time` with this e-mail (in any case), and
        with this phone (`phone`: its digits, see `phone_digits`)."""

    @abstractmethod
    async def move(self, booking: Booking) -> None:
        """Write the booking's new slot; raises SlotTaken if that slot is booked (nothing changes)."""

    @abstractmethod
    async def cancel(self, booking_id: str, cancelled_at: str) -> bool:
        """Mark a confirmed booking cancelled; False if it was not confirmed."""

    @abstractmethod
    async def add_event(self, booking_id: str, event: BookingEvent) -> None: ...

    @abstractmethod
    async def booked_times(
        self, appointment_type: str, first: date, last: date, now_utc: str | None
    ) -> dict[str, set[str]]:
        """As BookingStore.booked_times, inside this transaction."""

    @abstractmethod
    async def active_hold(self, appointment_type: str, day: str, start_time: str, now_utc: str) -> Hold | None: ...

    @abstractmethod
    async def release_hold(self, hold_id: str) -> Hold | None:
        """Delete a hold; the hold deleted, or None if there was none."""

    @abstractmethod
    async def reply(self, key: str) -> StoredReply | None: ...

    @abstractmethod
    async def keep_reply(self, key: str, reply: StoredReply, created_at: str) -> None:
        """Store the first answer to `key`."""

    @abstractmethod
    async def purge_replies(self, created_before: str) -> None:
        """Drop the keys created before `created_before`."""

    @abstractmethod
    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A nested scope whose writes are undone if it raises (the transaction goes on)."""


class BookingStore(ABC):
    """What the service needs from storage; a PostgreSQL store implements the same."""

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """One change: committed when the block ends, rolled back if it raises."""

    @abstractmethod
    async def place_hold(self, hold: Hold, now_utc: str) -> bool:
        """Insert a hold unless the slot is booked or held (an expired hold there is replaced);
        False if it was not placed. Holds last minutes and are asked for again, so they are
        committed without waiting for the disk: they survive a process crash, not a machine's."""

    @abstractmethod
    async def release_hold(self, hold_id: str) -> Hold | None:
        """Delete a hold; the hold deleted, or None if there was none."""

    @abstractmethod
    async def purge_holds(self, now_utc: str) -> None:
        """Delete the holds expired at `now_utc` (they already count for nothing)."""

    @abstractmethod
    async def booked_times(
        self, appointment_type: str, first: date, last: date, now_utc: str | None
    ) -> dict[str, set[str]]:
        """Start times of confirmed bookings, and of holds alive at `now_utc` unless it is None,
        per date (ISO) in [first, last]."""

    @abstractmethod
    async def get(self, booking_id: str) -> Booking | None: ...

    @abstractmethod
    async def with_code(self, confirmation_code: str) -> list[Booking]:
        """The bookings with that confirmation code (codes are random, so almost always 0 or 1)."""

    @abstractmethod
    async def history(self, booking_id: str) -> list[BookingEvent]:
        """The booking's events, oldest first."""

    @abstractmethod
    async def forget(self, booking_id: str, forgotten_at: str) -> bool:
        """Erase a booking's personal data (name, e-mail, phone, reason; the idempotency replies
        that repeat them) and cancel it if it was confirmed; the slot record and its history stay.
        False if it was forgotten already (or is unknown)."""

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
CREATE INDEX IF NOT EXISTS bookings_by_code ON bookings (confirmation_code);
CREATE TABLE IF NOT EXISTS booking_events (
    event_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_id TEXT NOT NULL REFERENCES bookings (booking_id),
    event      TEXT NOT NULL CHECK (event IN ('created', 'rescheduled', 'cancelled')),
    at         TEXT NOT NULL,
    from_slot  TEXT,
    to_slot    TEXT
);
CREATE INDEX IF NOT EXISTS booking_events_by_booking ON booking_events (booking_id, event_id);
CREATE TABLE IF NOT EXISTS holds (
    hold_id          TEXT PRIMARY KEY,
    appointment_type TEXT NOT NULL,
    date             TEXT NOT NULL,
    start_time       TEXT NOT NULL,
    expires_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS one_hold_per_slot ON holds (appointment_type, date, start_time);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key         TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status      INTEGER NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON idempotency_keys (created_at);
"""

_COLUMNS = tuple(Booking.__dataclass_fields__)


def phone_digits(phone: str) -> str:
    """The digits of a phone number: how two spellings of one number compare."""
    return "".join(ch for ch in phone if ch.isdigit())


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
# One statement, hence atomic: no hold on a booked slot, a live hold is kept, an expired one replaced.
_PLACE_HOLD = """
INSERT INTO holds (hold_id, appointment_type, date, start_time, expires_at)
SELECT :hold_id, :appointment_type, :date, :start_time, :expires_at
WHERE NOT EXISTS (
    SELECT 1 FROM bookings WHERE status = 'confirmed'
    AND appointment_type = :appointment_type AND date = :date AND start_time = :start_time
)
ON CONFLICT (appointment_type, date, start_time) DO UPDATE
    SET hold_id = excluded.hold_id, expires_at = excluded.expires_at WHERE holds.expires_at <= :now
"""
_BOOKED = (
    "SELECT date, start_time FROM bookings WHERE status = 'confirmed' AND appointment_type = ? AND date BETWEEN ? AND ?"
)
_HELD = (
    " UNION ALL SELECT date, start_time FROM holds"
    " WHERE appointment_type = ? AND date BETWEEN ? AND ? AND expires_at > ?"
)


def sqlite_path(database_url: str) -> Path:
    """`sqlite:///abs/path.db` or `sqlite:///relative.db` -> a Path."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix):
        raise ValueError(f"DATABASE_URL must start with {prefix!r}, got {database_url!r}")
    return Path(database_url[len(prefix) :])


def _slot_text(slot: dict[str, str] | None) -> str | None:
    return json.dumps(slot, separators=(",", ":")) if slot is not None else None


async def _booked_times(
    db: aiosqlite.Connection, appointment_type: str, first: date, last: date, now_utc: str | None
) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    span = (appointment_type, first.isoformat(), last.isoformat())
    query, args = (_BOOKED, span) if now_utc is None else (_BOOKED + _HELD, (*span, *span, now_utc))
    async with db.execute(query, args) as cursor:
        async for row in cursor:
            out.setdefault(row[0], set()).add(row[1])
    return out


async def _get(db: aiosqlite.Connection, booking_id: str) -> Booking | None:
    async with db.execute("SELECT * FROM bookings WHERE booking_id = ?", (booking_id,)) as cursor:
        row = await cursor.fetchone()
    return Booking(**dict(row)) if row else None


async def _release_hold(db: aiosqlite.Connection, hold_id: str) -> Hold | None:
    async with db.execute("DELETE FROM holds WHERE hold_id = ? RETURNING *", (hold_id,)) as cursor:
        row = await cursor.fetchone()
    return Hold(**dict(row)) if row else None


def _slot_taken(exc: sqlite3.IntegrityError) -> bool:
    return "bookings.start_time" in str(exc)  # the slot index, not the primary key


class SqliteTransaction(Transaction):
    """The writer connection inside `BEGIN IMMEDIATE`."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db
        self._savepoints = 0

    async def get(self, booking_id: str) -> Booking | None:
        return await _get(self.db, booking_id)

    async def create(self, booking: Booking) -> None:
        values = booking.as_dict()
        try:
            await self.db.execute(
                f"INSERT INTO bookings ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                tuple(values[c] for c in _COLUMNS),
            )
        except sqlite3.IntegrityError as exc:
            if _slot_taken(exc):
                raise SlotTaken from exc
            raise

    async def upcoming(self, email: str, phone: str, date: str, time: str) -> tuple[int, int]:
        window = (date, date, time)
        async with self.db.execute(_UPCOMING_BY_EMAIL, (email, *window)) as cursor:
            by_email = (await cursor.fetchone() or (0,))[0]
        async with self.db.execute(_UPCOMING_BY_PHONE, (phone, *window)) as cursor:
            by_phone = (await cursor.fetchone() or (0,))[0]
        return int(by_email), int(by_phone)

    async def move(self, booking: Booking) -> None:
        try:
            await self.db.execute(
                "UPDATE bookings SET appointment_type = ?, date = ?, start_time = ?, end_time = ?"
                " WHERE booking_id = ? AND status = 'confirmed'",
                (booking.appointment_type, booking.date, booking.start_time, booking.end_time, booking.booking_id),
            )
        except sqlite3.IntegrityError as exc:
            if _slot_taken(exc):
                raise SlotTaken from exc
            raise

    async def cancel(self, booking_id: str, cancelled_at: str) -> bool:
        cursor = await self.db.execute(
            "UPDATE bookings SET status = 'cancelled', cancelled_at = ? WHERE booking_id = ? AND status = 'confirmed'",
            (cancelled_at, booking_id),
        )
        return cursor.rowcount == 1

    async def add_event(self, booking_id: str, event: BookingEvent) -> None:
        await self.db.execute(
            "INSERT INTO booking_events (booking_id, event, at, from_slot, to_slot) VALUES (?, ?, ?, ?, ?)",
            (booking_id, event.event, event.at, _slot_text(event.from_slot), _slot_text(event.to_slot)),
        )
        await enqueue(self.db, booking_id, event.event)  # each event owes the patient a notice

    async def booked_times(
        self, appointment_type: str, first: date, last: date, now_utc: str | None
    ) -> dict[str, set[str]]:
        return await _booked_times(self.db, appointment_type, first, last, now_utc)

    async def active_hold(self, appointment_type: str, day: str, start_time: str, now_utc: str) -> Hold | None:
        async with self.db.execute(
            "SELECT * FROM holds WHERE appointment_type = ? AND date = ? AND start_time = ? AND expires_at > ?",
            (appointment_type, day, start_time, now_utc),
        ) as cursor:
            row = await cursor.fetchone()
        return Hold(**dict(row)) if row else None

    async def release_hold(self, hold_id: str) -> Hold | None:
        return await _release_hold(self.db, hold_id)

    async def reply(self, key: str) -> StoredReply | None:
        async with self.db.execute(
            "SELECT fingerprint, status, body FROM idempotency_keys WHERE key = ?", (key,)
        ) as cursor:
            row = await cursor.fetchone()
        return StoredReply(row[0], row[1], json.loads(row[2])) if row else None

    async def purge_replies(self, created_before: str) -> None:
        await self.db.execute("DELETE FROM idempotency_keys WHERE created_at < ?", (created_before,))

    async def keep_reply(self, key: str, reply: StoredReply, created_at: str) -> None:
        await self.db.execute(
            "INSERT INTO idempotency_keys (key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?)",
            (key, reply.fingerprint, reply.status, json.dumps(reply.body, separators=(",", ":")), created_at),
        )

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[None]:
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        await self.db.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            await self.db.execute(f"ROLLBACK TO {name}")
            raise
        finally:
            await self.db.execute(f"RELEASE {name}")

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        return self._savepoint()


class SqliteBookingStore(BookingStore):
    """Three aiosqlite connections per process, WAL: one for reads (autocommit), one for the
    transactions (FULL sync), which take turns through an asyncio lock, and one for holds
    (single statements, NORMAL sync). An in-memory database (`sqlite:///:memory:`, for tests)
    has the one connection only, and its holds take their turn with the transactions."""

    def __init__(self, path: Path, busy_seconds: float = 10.0) -> None:
        self.path = path
        self.busy_seconds = busy_seconds  # a write waits this long for another writer's lock
        self._db: aiosqlite.Connection | None = None
        self._writer: aiosqlite.Connection | None = None
        self._holder: aiosqlite.Connection | None = None
        self._turn = asyncio.Lock()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    async def _connect(self, synchronous: Literal["NORMAL", "FULL"]) -> aiosqlite.Connection:
        return await sqlite.connect(self.path, synchronous=synchronous, timeout=self.busy_seconds, isolation_level=None)

    async def open(self) -> None:
        self._writer = await sqlite.connect(
            self.path, synchronous="FULL", timeout=self.busy_seconds, isolation_level=None
        )
        self._writer.row_factory = sqlite3.Row
        await self._writer.executescript(_SCHEMA + OUTBOX_SCHEMA)
        columns = {row[1] for row in await self._writer.execute_fetchall("PRAGMA table_info(bookings)")}
        if "forgotten_at" not in columns:  # a database made before erasure existed
            await self._writer.execute("ALTER TABLE bookings ADD COLUMN forgotten_at TEXT")
        if str(self.path) == ":memory:":  # a second connection would open a second, empty database
            self._db = self._holder = self._writer
            return
        self._db = await self._connect("FULL")
        self._db.row_factory = sqlite3.Row
        self._holder = await sqlite.connect(
            self.path, synchronous="NORMAL", timeout=self.busy_seconds, isolation_level=None
        )
        self._holder.row_factory = sqlite3.Row

    async def close(self) -> None:
        for db in {self._db, self._writer, self._holder}:
            if db is not None:
                await db.close()
        self._db = self._writer = self._holder = None

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Transaction]:
        if self._writer is None:
            raise RuntimeError("store is not open")
        async with self._turn:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteTransaction(self._writer)
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        return self._transaction()

    async def forget(self, booking_id: str, forgotten_at: str) -> bool:
        async with self._transaction():
            assert self._writer is not None  # open: the transaction checked
            cursor = await self._writer.execute(
                "UPDATE bookings SET patient_name = '', patient_email = '', patient_phone = '', reason = NULL,"
                " status = 'cancelled', cancelled_at = COALESCE(cancelled_at, ?), forgotten_at = ?"
                " WHERE booking_id = ? AND forgotten_at IS NULL",
                (forgotten_at, forgotten_at, booking_id),
            )
            if cursor.rowcount != 1:
                return False
            # The notices queued or sent for it carry the address and the details: gone too.
            await self._writer.execute("DELETE FROM outbox WHERE booking_id = ?", (booking_id,))
            # A replayable answer to an Idempotency-Key repeats the patient's data: gone too.
            await self._writer.execute(
                "DELETE FROM idempotency_keys WHERE instr(body, ?) > 0",
                (json.dumps({"booking_id": booking_id}, separators=(",", ":"))[1:-1],),
            )
        # The old rows were zeroed (secure_delete); the checkpoint takes their old versions out of the WAL.
        if not await sqlite.erase_traces(self._writer):
            log.warning("booking forgotten; a reader kept old WAL frames until the next checkpoint")
        return True

    @asynccontextmanager
    async def _holds(self) -> AsyncIterator[aiosqlite.Connection]:
        if self._holder is None:
            raise RuntimeError("store is not open")
        if self._holder is self._writer:  # in memory: not inside another coroutine's transaction
            async with self._turn:
                yield self._holder
        else:
            yield self._holder

    def bookkeeping(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        """The connection for single statements that need no fsync (holds, the outbox sender's
        claims and "sent" marks), never inside another coroutine's transaction."""
        return self._holds()

    async def place_hold(self, hold: Hold, now_utc: str) -> bool:
        async with self._holds() as db:
            cursor = await db.execute(_PLACE_HOLD, {**asdict(hold), "now": now_utc})
        return cursor.rowcount == 1

    async def release_hold(self, hold_id: str) -> Hold | None:
        async with self._holds() as db:
            return await _release_hold(db, hold_id)

    async def purge_holds(self, now_utc: str) -> None:
        async with self._holds() as db:
            await db.execute("DELETE FROM holds WHERE expires_at <= ?", (now_utc,))

    async def booked_times(
        self, appointment_type: str, first: date, last: date, now_utc: str | None
    ) -> dict[str, set[str]]:
        return await _booked_times(self.db, appointment_type, first, last, now_utc)

    async def get(self, booking_id: str) -> Booking | None:
        return await _get(self.db, booking_id)

    async def with_code(self, confirmation_code: str) -> list[Booking]:
        async with self.db.execute(
            "SELECT * FROM bookings WHERE confirmation_code = ?", (confirmation_code,)
        ) as cursor:
            return [Booking(**dict(row)) async for row in cursor]

    async def history(self, booking_id: str) -> list[BookingEvent]:
        async with self.db.execute(
            "SELECT event, at, from_slot, to_slot FROM booking_events WHERE booking_id = ? ORDER BY event_id",
            (booking_id,),
        ) as cursor:
            return [
                BookingEvent(
                    row[0], row[1], json.loads(row[2]) if row[2] else None, json.loads(row[3]) if row[3] else None
                )
                async for row in cursor
            ]

    async def all(self) -> list[Booking]:
        async with self.db.execute("SELECT * FROM bookings ORDER BY created_at, rowid") as cursor:
            return [Booking(**dict(row)) async for row in cursor]


def make_store(database_url: str, busy_seconds: float = 10.0) -> BookingStore:
    """The store for a DATABASE_URL (only SQLite ships today)."""
    if database_url.startswith("sqlite:"):
        return SqliteBookingStore(sqlite_path(database_url), busy_seconds)
    raise ValueError(f"unsupported DATABASE_URL scheme: {database_url.split(':', 1)[0]!r} (use sqlite:///path)")
