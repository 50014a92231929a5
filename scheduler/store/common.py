"""The store's SQL, written once for both dialects (scheduler/sql.py translates placeholders),
and the transaction and reads built on it. sqlite.py and postgres.py add only how they
connect, take turns, tell a taken slot from another error, and erase traces."""

from __future__ import annotations

import json
from abc import abstractmethod
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import asdict
from datetime import date
from typing import Any

from scheduler.outbox import enqueue
from scheduler.sql import Db, Row
from scheduler.store.base import (
    Booking,
    BookingEvent,
    BookingStore,
    Hold,
    SlotTaken,
    StoredReply,
    Transaction,
)

_COLUMNS = tuple(Booking.__dataclass_fields__)


def _digits_sql(column: str) -> str:
    """SQL for the digits of a stored phone (models allow spaces, brackets, dots, dashes, a +)."""
    for char in " -().+":
        column = f"replace({column}, '{char}', '')"
    return column


_UPCOMING = (
    "SELECT COUNT(*) AS n FROM bookings WHERE status = 'confirmed' AND {match}"
    " AND (date > ? OR (date = ? AND start_time > ?))"
)
_UPCOMING_BY_EMAIL = _UPCOMING.format(match="lower(patient_email) = lower(?)")
_UPCOMING_BY_PHONE = _UPCOMING.format(match=f"{_digits_sql('patient_phone')} = ?")
# One statement, hence atomic: no hold on a booked slot, a live hold is kept, an expired one replaced.
PLACE_HOLD = """
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
_INSERT = f"INSERT INTO bookings ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_MOVE = (
    "UPDATE bookings SET appointment_type = ?, date = ?, start_time = ?, end_time = ?"
    " WHERE booking_id = ? AND status = 'confirmed'"
)
_FORGET = (
    "UPDATE bookings SET patient_name = '', patient_email = '', patient_phone = '', reason = NULL,"
    " status = 'cancelled', cancelled_at = COALESCE(cancelled_at, ?), forgotten_at = ?"
    " WHERE booking_id = ? AND forgotten_at IS NULL"
)
# The tables `forget` rewrites (PostgreSQL vacuums them afterwards).
ERASED_TABLES = ("bookings", "outbox", "idempotency_keys")


def _slot_text(slot: dict[str, str] | None) -> str | None:
    return json.dumps(slot, separators=(",", ":")) if slot is not None else None


def _hold(row: Row | None) -> Hold | None:
    return Hold(**row) if row else None


async def booked_times(
    db: Db, appointment_type: str, first: date, last: date, now_utc: str | None
) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    span = (appointment_type, first.isoformat(), last.isoformat())
    query, args = (_BOOKED, span) if now_utc is None else (_BOOKED + _HELD, (*span, *span, now_utc))
    for row in await db.fetchall(query, args):
        out.setdefault(row["date"], set()).add(row["start_time"])
    return out


async def get(db: Db, booking_id: str) -> Booking | None:
    row = await db.fetchone("SELECT * FROM bookings WHERE booking_id = ?", (booking_id,))
    return Booking(**row) if row else None


async def release_hold(db: Db, hold_id: str) -> Hold | None:
    return _hold(await db.fetchone("DELETE FROM holds WHERE hold_id = ? RETURNING *", (hold_id,)))


class SqlTransaction(Transaction):
    """One change's statements on `db`, a connection inside the dialect's transaction."""

    def __init__(self, db: Db) -> None:
        self.db = db

    @abstractmethod
    def _slot_taken(self, exc: Exception) -> bool:
        """Whether `exc` is the slot index refusing a second confirmed booking."""

    def _slot_write(self) -> AbstractAsyncContextManager[Any]:
        """Where a write the slot index may refuse runs; after a refusal the transaction must
        go on (PostgreSQL needs a savepoint for that, SQLite does not)."""
        return nullcontext()

    async def _write_slot(self, sql: str, params: tuple[Any, ...]) -> None:
        try:
            async with self._slot_write():
                await self.db.execute(sql, params)
        except Exception as exc:
            if self._slot_taken(exc):
                raise SlotTaken from exc
            raise

    async def get(self, booking_id: str) -> Booking | None:
        return await get(self.db, booking_id)

    async def create(self, booking: Booking) -> None:
        values = booking.as_dict()
        await self._write_slot(_INSERT, tuple(values[c] for c in _COLUMNS))

    async def upcoming(self, email: str, phone: str, date: str, time: str) -> tuple[int, int]:
        window = (date, date, time)
        by_email = await self.db.fetchone(_UPCOMING_BY_EMAIL, (email, *window))
        by_phone = await self.db.fetchone(_UPCOMING_BY_PHONE, (phone, *window))
        return int(by_email["n"] if by_email else 0), int(by_phone["n"] if by_phone else 0)

    async def move(self, booking: Booking) -> None:
        slot = (booking.appointment_type, booking.date, booking.start_time, booking.end_time)
        await self._write_slot(_MOVE, (*slot, booking.booking_id))

    async def cancel(self, booking_id: str, cancelled_at: str) -> bool:
        changed = await self.db.execute(
            "UPDATE bookings SET status = 'cancelled', cancelled_at = ? WHERE booking_id = ? AND status = 'confirmed'",
            (cancelled_at, booking_id),
        )
        return changed == 1

    async def add_event(self, booking_id: str, event: BookingEvent) -> None:
        await self.db.execute(
            "INSERT INTO booking_events (booking_id, event, at, from_slot, to_slot) VALUES (?, ?, ?, ?, ?)",
            (booking_id, event.event, event.at, _slot_text(event.from_slot), _slot_text(event.to_slot)),
        )
        await enqueue(self.db, booking_id, event.event)  # each event owes the patient a notice

    async def booked_times(
        self, appointment_type: str, first: date, last: date, now_utc: str | None
    ) -> dict[str, set[str]]:
        return await booked_times(self.db, appointment_type, first, last, now_utc)

    async def active_hold(self, appointment_type: str, day: str, start_time: str, now_utc: str) -> Hold | None:
        return _hold(
            await self.db.fetchone(
                "SELECT * FROM holds WHERE appointment_type = ? AND date = ? AND start_time = ? AND expires_at > ?",
                (appointment_type, day, start_time, now_utc),
            )
        )

    async def release_hold(self, hold_id: str) -> Hold | None:
        return await release_hold(self.db, hold_id)

    async def reply(self, key: str) -> StoredReply | None:
        row = await self.db.fetchone("SELECT fingerprint, status, body FROM idempotency_keys WHERE key = ?", (key,))
        return StoredReply(row["fingerprint"], row["status"], json.loads(row["body"])) if row else None

    async def purge_replies(self, created_before: str) -> None:
        await self.db.execute("DELETE FROM idempotency_keys WHERE created_at < ?", (created_before,))

    async def keep_reply(self, key: str, reply: StoredReply, created_at: str) -> None:
        await self.db.execute(
            "INSERT INTO idempotency_keys (key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?)",
            (key, reply.fingerprint, reply.status, json.dumps(reply.body, separators=(",", ":")), created_at),
        )

    async def erase(self, booking_id: str, forgotten_at: str) -> bool:
        """`forget`'s statements: False if there was nothing (left) to forget."""
        if await self.db.execute(_FORGET, (forgotten_at, forgotten_at, booking_id)) != 1:
            return False
        # The notices queued or sent for it carry the address and the details: gone too.
        await self.db.execute("DELETE FROM outbox WHERE booking_id = ?", (booking_id,))
        # A replayable answer to an Idempotency-Key repeats the patient's data: gone too.
        await self.db.execute(
            f"DELETE FROM idempotency_keys WHERE {self.db.words['find']}(body, ?) > 0",
            (json.dumps({"booking_id": booking_id}, separators=(",", ":"))[1:-1],),
        )
        return True


class SqlBookingStore(BookingStore):
    """The store's reads and hold statements, on whatever connections the dialect gives."""

    @abstractmethod
    def _transaction(self) -> AbstractAsyncContextManager[SqlTransaction]: ...

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        return self._transaction()

    def _holding(self) -> AbstractAsyncContextManager[Db]:
        """Where `place_hold` runs: the bookkeeping connection unless the dialect needs more."""
        return self.bookkeeping()

    @abstractmethod
    async def _erase_traces(self) -> None:
        """After `forget` committed: take the old versions of the rows out of the files."""

    async def forget(self, booking_id: str, forgotten_at: str) -> bool:
        async with self._transaction() as tx:
            erased = await tx.erase(booking_id, forgotten_at)
        if erased:
            await self._erase_traces()
        return erased

    async def place_hold(self, hold: Hold, now_utc: str) -> bool:
        async with self._holding() as db:
            return await db.execute(PLACE_HOLD, {**asdict(hold), "now": now_utc}) == 1

    async def release_hold(self, hold_id: str) -> Hold | None:
        async with self.bookkeeping() as db:
            return await release_hold(db, hold_id)

    async def purge_holds(self, now_utc: str) -> None:
        async with self.bookkeeping() as db:
            await db.execute("DELETE FROM holds WHERE expires_at <= ?", (now_utc,))

    async def booked_times(
        self, appointment_type: str, first: date, last: date, now_utc: str | None
    ) -> dict[str, set[str]]:
        async with self.reading() as db:
            return await booked_times(db, appointment_type, first, last, now_utc)

    async def get(self, booking_id: str) -> Booking | None:
        async with self.reading() as db:
            return await get(db, booking_id)

    async def with_code(self, confirmation_code: str) -> list[Booking]:
        async with self.reading() as db:
            rows = await db.fetchall("SELECT * FROM bookings WHERE confirmation_code = ?", (confirmation_code,))
        return [Booking(**row) for row in rows]

    async def history(self, booking_id: str) -> list[BookingEvent]:
        async with self.reading() as db:
            rows = await db.fetchall(
                "SELECT event, at, from_slot, to_slot FROM booking_events WHERE booking_id = ? ORDER BY event_id",
                (booking_id,),
            )
        return [
            BookingEvent(
                row["event"],
                row["at"],
                json.loads(row["from_slot"]) if row["from_slot"] else None,
                json.loads(row["to_slot"]) if row["to_slot"] else None,
            )
            for row in rows
        ]

    async def all(self) -> list[Booking]:
        async with self.reading() as db:
            rows = await db.fetchall(f"SELECT * FROM bookings ORDER BY created_at, {db.words['order']}")
        return [Booking(**row) for row in rows]
