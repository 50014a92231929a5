"""The outbox: one row per notice owed to a patient, written in the transaction of the change.

A booking, reschedule or cancellation and its notice commit together or not at all (the store
calls `enqueue` inside its write), so a crash can lose neither half. The sender (notices.py)
then claims due rows, delivers them and marks them sent; rows stay until sent.

A row keeps the booking as it was at the change (JSON): what the message and its calendar file
are rendered from, whenever they are sent. `sequence` counts the booking's changes (0 for the
booking, +1 for each later change): the iCalendar SEQUENCE.

`next_attempt_at` (Unix time) is both the retry schedule and the claim: a sender claims a row
by moving it to now + lease in one UPDATE that only one process can win; a sender that dies
mid-send leaves a claim that simply expires, and the row is due again. On PostgreSQL the
claim's inner SELECT also says FOR UPDATE SKIP LOCKED: senders of several instances claiming at
once each take rows the others did not, none waits, none re-claims a row another just took.
The table is made by the scheduler's migrations (scheduler/migrations/, 0002).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Literal

from scheduler.sql import Db, Row

NoticeKind = Literal["created", "rescheduled", "cancelled"]


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


async def enqueue(db: Db, booking_id: str, kind: str, now: float | None = None) -> None:
    """Owe the patient a notice of `kind` for the booking as it stands in this transaction.

    Call it inside the transaction that made the change, on its connection (the store's
    `add_event` does, for created, rescheduled and cancelled): it reads the booking row as that
    transaction left it. `kind` is one of NoticeKind (the table's CHECK refuses any other).
    """
    booking = await db.fetchone("SELECT * FROM bookings WHERE booking_id = ?", (booking_id,))
    if booking is None:
        raise LookupError(f"no booking {booking_id!r} to notify about")
    at = time.time() if now is None else now
    await db.execute(
        "INSERT INTO outbox (booking_id, kind, sequence, recipient, booking, created_at, next_attempt_at)"
        " VALUES (?, ?, (SELECT COALESCE(MAX(sequence) + 1, 0) FROM outbox WHERE booking_id = ?), ?, ?, ?, ?)",
        (booking_id, kind, booking_id, booking["patient_email"], json.dumps(booking), at, at),
    )


_NOTICE_COLUMNS = "notice_id, booking_id, kind, sequence, recipient, booking, attempts, created_at"


def _notice(row: Row) -> Notice:
    return Notice(**{**row, "booking": json.loads(row["booking"])})


async def latest(db: Db, booking_id: str) -> Notice | None:
    """The booking's newest notice (its calendar file is the booking's current one)."""
    row = await db.fetchone(
        f"SELECT {_NOTICE_COLUMNS} FROM outbox WHERE booking_id = ? ORDER BY sequence DESC LIMIT 1", (booking_id,)
    )
    return _notice(row) if row else None


async def claim_due(db: Db, now: float, lease: float, limit: int = 20) -> list[Notice]:
    """Claim up to `limit` due rows for `lease` seconds (one UPDATE: no other sender gets them;
    the outer WHERE repeats "due" for a row another sender claimed while this one waited)."""
    rows = await db.fetchall(
        f"UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?"
        f" WHERE notice_id IN (SELECT notice_id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ?"
        f" ORDER BY next_attempt_at LIMIT ?{db.words['skip_locked']})"
        f" AND sent_at IS NULL AND next_attempt_at <= ? RETURNING {_NOTICE_COLUMNS}",
        (now + lease, now, limit, now),
    )
    return sorted((_notice(row) for row in rows), key=lambda n: (n.booking_id, n.sequence))


async def mark_sent(db: Db, notice_id: int, now: float) -> None:
    await db.execute("UPDATE outbox SET sent_at = ?, last_error = NULL WHERE notice_id = ?", (now, notice_id))


async def retry_later(db: Db, notice_id: int, at: float, error: str) -> None:
    """Give the claim back, due again at `at`."""
    await db.execute(
        "UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE notice_id = ?", (at, error, notice_id)
    )


async def next_due(db: Db) -> float | None:
    """When the earliest unsent row is due (None: nothing pending)."""
    row = await db.fetchone("SELECT MIN(next_attempt_at) AS due FROM outbox WHERE sent_at IS NULL")
    return row["due"] if row else None


def backoff(attempts: int, base: float, cap: float = 3600.0) -> float:
    """Seconds before the next try after `attempts` failed ones: base, 2 base, 4 base ... cap."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))
