"""What the scheduling service needs from storage: the records, one change's transaction and
the store, whatever the database (SQLite: sqlite.py, PostgreSQL: postgres.py).

A partial unique index over (type, date, start time) of confirmed bookings, not a Python lock,
makes a double booking impossible, also across server processes sharing one database. Every
change (a booking, a reschedule, a cancellation) runs in one transaction together with its
history event, its notice and its idempotency record, so a crash never leaves half of one, and
writers (also in other processes) take turns. Reads see committed data only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from scheduler.sql import Db

COMPONENT = "scheduler"  # its rows in schema_migrations
MIGRATIONS = "scheduler.migrations"


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
    """What the service needs from storage, for SQLite and PostgreSQL alike."""

    applied: list[int]  # the schema versions `open` applied (empty: it was up to date)

    @abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema up to date (the migrations it lacks)."""

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

    @abstractmethod
    def reading(self) -> AbstractAsyncContextManager[Db]:
        """A connection for reads of committed data (the outbox's, the .ics endpoint's)."""

    @abstractmethod
    def bookkeeping(self) -> AbstractAsyncContextManager[Db]:
        """The connection for single statements that need no fsync (holds, the outbox sender's
        claims and "sent" marks), never inside another coroutine's transaction."""


def phone_digits(phone: str) -> str:
    """The digits of a phone number: how two spellings of one number compare."""
    return "".join(ch for ch in phone if ch.isdigit())


def sqlite_path(database_url: str) -> Path:
    """`sqlite:///abs/path.db` or `sqlite:///relative.db` -> a Path."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix):
        raise ValueError(f"DATABASE_URL must start with {prefix!r}, got {database_url!r}")
    return Path(database_url[len(prefix) :])
