"""The outbox: one row per notice owed to a patient, written in the transaction of the change.

A booking, reschedule or cancellation and its notice commit together or not at all (the store
calls `enqueue` inside its write), so a crash can lose neither half. The sender (notices.py)
then claims due rows, delivers them and marks them sent; rows stay until sent.

A row keeps the booking as it was at the change (JSON): what the message and its calendar file
are rendered from, whenever they are sent. `sequence` counts the booking's changes (0 for the
booking, +1 for each later change): the iCalendar SEQUENCE.

`next_attempt_at` (Unix time) is both the retry schedule and the claim: a sender claims a row
by moving it to now + lease in one UPDATE that only one process can win; a sender that dies
mid-send leaves a claim that simply expires, and the row is due again.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Literal

import aiosqlite

NoticeKind = Literal["created", "rescheduled", "cancelled"]

OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    notice_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_id      TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('created', 'rescheduled', 'cancelled')),
    sequence        INTEGER NOT NULL,
    recipient       TEXT NOT NULL,
    booking         TEXT NOT NULL,
    created_at      REAL NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    sent_at         REAL,
    last_error      TEXT,
    UNIQUE (booking_id, sequence)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;
"""


@dataclass(frozen=True)
class Notice:
    """One outbox row, as the sender and the .ics endpoint read it."""

    notice_id: int
    booking_id: str
    kind: NoticeKind
    sequence: int
    recipient: str
    booking: dict[str, Any]
    attempts: int
    created_at: float  # Unix time of the change (the iCalendar DTSTAMP)


async def enqueue(db: aiosqlite.Connection, booking_id: str, kind: str, now: float | None = None) -> None:
    """Owe the patient a notice of `kind` for the booking as it stands in this transaction.

    Call it inside the transaction that made the change, on its connection (the store's
    `add_event` does, for created, rescheduled and cancelled): it reads the booking row as that
    transaction left it. `kind` is one of NoticeKind (the table's CHECK refuses any other).
    """
    async with db.execute("SELECT * FROM bookings WHERE booking_id = ?", (booking_id,)) as cursor:
        row = await cursor.fetchone()
        names = [column[0] for column in cursor.description]
    if row is None:
        raise LookupError(f"no booking {booking_id!r} to notify about")
    booking = dict(zip(names, row, strict=True))
    at = time.time() if now is None else now
    await db.execute(
        "INSERT INTO outbox (booking_id, kind, sequence, recipient, booking, created_at, next_attempt_at)"
        " VALUES (?, ?, (SELECT COALESCE(MAX(sequence) + 1, 0) FROM outbox WHERE booking_id = ?), ?, ?, ?, ?)",
        (booking_id, kind, booking_id, booking["patient_email"], json.dumps(booking), at, at),
    )


_NOTICE_COLUMNS = "notice_id, booking_id, kind, sequence, recipient, booking, attempts, created_at"


def _notice(row: Any) -> Notice:
    notice_id, booking_id, kind, sequence, recipient, booking, attempts, created_at = row
    return Notice(notice_id, booking_id, kind, sequence, recipient, json.loads(booking), attempts, created_at)


async def latest(db: aiosqlite.Connection, booking_id: str) -> Notice | None:
    """The booking's newest notice (its calendar file is the booking's current one)."""
    async with db.execute(
        f"SELECT {_NOTICE_COLUMNS} FROM outbox WHERE booking_id = ? ORDER BY sequence DESC LIMIT 1", (booking_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return _notice(row) if row else None


async def claim_due(db: aiosqlite.Connection, now: float, lease: float, limit: int = 20) -> list[Notice]:
    """Claim up to `limit` due rows for `lease` seconds (one UPDATE: no other sender gets them)."""
    async with db.execute(
        f"UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?"
        f" WHERE notice_id IN (SELECT notice_id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ?"
        f" ORDER BY next_attempt_at LIMIT ?) RETURNING {_NOTICE_COLUMNS}",
        (now + lease, now, limit),
    ) as cursor:
        rows = await cursor.fetchall()
    return sorted((_notice(row) for row in rows), key=lambda n: (n.booking_id, n.sequence))


async def mark_sent(db: aiosqlite.Connection, notice_id: int, now: float) -> None:
    await db.execute("UPDATE outbox SET sent_at = ?, last_error = NULL WHERE notice_id = ?", (now, notice_id))


async def retry_later(db: aiosqlite.Connection, notice_id: int, at: float, error: str) -> None:
    """Give the claim back, due again at `at`."""
    await db.execute(
        "UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE notice_id = ?", (at, error, notice_id)
    )


async def next_due(db: aiosqlite.Connection) -> float | None:
    """When the earliest unsent row is due (None: nothing pending)."""
    async with db.execute("SELECT MIN(next_attempt_at) FROM outbox WHERE sent_at IS NULL") as cursor:
        row = await cursor.fetchone()
    return row[0] if row else None


def backoff(attempts: int, base: float, cap: float = 3600.0) -> float:
    """Seconds before the next try after `attempts` failed ones: base, 2 base, 4 base ... cap."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))
