"""The sender: delivers the outbox's notices (e-mail + .ics) in the background, with retries.

Each process runs one sender task. It reads on the store's read connection and writes (single
statements) on the store's bookkeeping connection, the one holds use (SQLite: no fsync; on
PostgreSQL a pool connection, autocommit), never inside a booking's transaction. It claims
due rows (outbox.claim_due: one UPDATE, so two workers, also of several instances on one
PostgreSQL, never take the same row), renders and
delivers each, then marks it sent; a failed delivery is due again after an exponential backoff
(OUTBOX_RETRY_SECONDS, doubling, at most an hour), for as long as it takes: rows stay until sent.

Delivery guarantee: at least once, with one narrow window. A crash before the claim, during
the delivery, or a failure of any kind leaves the row unsent and it is delivered later
(another worker, or this one after a restart, once the claim's lease has run out). Only a crash
in the instant after the mail server accepted the message and before `mark_sent` committed
(one single-row write) sends it a second time; that copy has the same Message-ID and the same
iCalendar UID and SEQUENCE, so mail and calendar clients treat it as the same notice. At most
once would instead lose the notice on any crash during delivery, which is worse for a patient.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime

from core.logging import mask_email
from scheduler import outbox
from scheduler.mailer import Delivery, MessageStyle, notice_ics, render
from scheduler.outbox import Notice, NoticeKind
from scheduler.store import Booking, BookingStore

log = logging.getLogger("scheduler.notices")


class NoticeSender:
    """Delivers pending outbox rows; `wake()` after a change in this process sends at once."""

    def __init__(
        self,
        store: BookingStore,
        delivery: Delivery,
        style: MessageStyle,
        *,
        retry_seconds: float = 30.0,
        lease_seconds: float = 120.0,
        poll_seconds: float = 1.0,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.delivery = delivery
        self.style = style
        self.retry_seconds = retry_seconds
        self.lease_seconds = lease_seconds  # longer than any delivery (the SMTP timeout is 30 s)
        self.poll_seconds = poll_seconds  # how soon another process's rows are seen
        self.now = now
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def start(self) -> None:
        """Start the task (after the store opened, which creates the outbox table)."""
        self._task = asyncio.create_task(self._run(), name="notice-sender")

    def wake(self) -> None:
        """A notice was just committed: look now rather than at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop the task; what is not sent stays in the outbox for the next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def calendar_file(self, booking: Booking) -> bytes:
        """The booking's current .ics: the attachment of its newest notice (a booking older than
        the outbox has none: then the booking as it stands, sequence 0)."""
        async with self.store.reading() as db:
            notice = await outbox.latest(db, booking.booking_id)
        if notice is None:
            kind: NoticeKind = "cancelled" if booking.status == "cancelled" else "created"
            stamp = datetime.fromisoformat(booking.cancelled_at or booking.created_at).timestamp()
            notice = Notice(0, booking.booking_id, kind, 0, booking.patient_email, booking.as_dict(), 0, stamp)
        return notice_ics(notice, self.style.clinic)

    async def send_due(self) -> int:
        """Claim and deliver what is due now; the number sent."""
        sent = 0
        async with self.store.bookkeeping() as db:  # no fsync: a claim lost to a power cut is only due again
            claimed = await outbox.claim_due(db, self.now(), self.lease_seconds)
        for notice in claimed:
            sent += await self._send(notice)
        return sent

    async def _send(self, notice: Notice) -> int:
        fields = {"booking_id": notice.booking_id, "kind": notice.kind, "sequence": notice.sequence}
        try:
            await self.delivery.deliver(notice, render(notice, self.style))
        except Exception as exc:  # any failure: keep the row and try again later
            delay = outbox.backoff(notice.attempts, self.retry_seconds)
            async with self.store.bookkeeping() as db:
                await outbox.retry_later(db, notice.notice_id, self.now() + delay, type(exc).__name__)
            log.warning(
                "notice delivery failed, retrying",
                extra={**fields, "attempts": notice.attempts, "retry_in_s": round(delay, 3), "error": str(exc)},
            )
            return 0
        async with self.store.bookkeeping() as db:  # a "sent" lost to a power cut: sent again (the window)
            await outbox.mark_sent(db, notice.notice_id, self.now())
        log.info("notice sent", extra={**fields, "to": mask_email(notice.recipient), "attempts": notice.attempts})
        return 1

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.send_due()
                async with self.store.reading() as db:
                    due = await outbox.next_due(db)
            except Exception:  # the database is busy or broken: log, and look again later
                log.exception("notice sender pass failed")
                due = None
            wait = self.poll_seconds if due is None else min(self.poll_seconds, max(0.0, due - self.now()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
