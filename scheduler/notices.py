"""The notice a patient gets after a booking: the service's own background work.

A stand-in for the e-mail or SMS a real Calendly would send. Each notice runs as a detached
asyncio task, so neither the response nor an in-process (ASGI) caller waits for it and no
worker thread is parked; stopping the service cancels what is still pending.
"""

from __future__ import annotations

import asyncio
import logging

from core.logging import mask_email
from scheduler.store import Booking

log = logging.getLogger("scheduler.notices")


class Notices:
    """Sends booking confirmations `delay` seconds after the booking, in the background."""

    def __init__(self, delay: float = 0.2) -> None:
        self.delay = delay
        self._tasks: set[asyncio.Task[None]] = set()

    def confirm(self, booking: Booking) -> None:
        """Queue the confirmation notice of a new booking."""
        task = asyncio.create_task(self._deliver(booking))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, booking: Booking) -> None:
        await asyncio.sleep(self.delay)
        log.info(
            "confirmation notice sent",
            extra={"booking_id": booking.booking_id, "to": mask_email(booking.patient_email)},
        )

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def stop(self) -> None:
        """Cancel the notices not sent yet."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
