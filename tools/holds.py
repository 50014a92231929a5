"""Slot holds over the scheduling service: a slot kept for a patient while they decide.

The agent places a hold when it asks the patient to confirm a booking or a move, and gives it
back when the patient says no; the booking itself sends the hold's id (the service books a
held slot only with it). A hold that cannot be placed is no hold: the booking then meets the
slot as it is, and a slot taken meanwhile is answered with alternatives as always.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from tools.http import SchedulerHttpClient

log = logging.getLogger("tools.holds")


class SlotHolds:
    """Place and release holds through one scheduling-service client."""

    def __init__(self, client: SchedulerHttpClient) -> None:
        self.client = client

    async def place(self, appointment_type: str, date: str, start_time: str) -> str | None:
        """The hold's id, or None if the slot could not be held (taken, held, or no service)."""
        payload = {"appointment_type": appointment_type, "date": date, "start_time": start_time}
        # not retried after a timeout: a second hold of the same slot would be refused by the first
        reply = await self.client.request_json("POST", "/api/calendly/holds", idempotent=False, json=payload)
        if reply.ok:
            return str(reply.body["hold_id"])
        log.info("slot not held", extra={"status": reply.status, "date": date, "start": start_time})
        return None

    async def release(self, hold_id: str) -> None:
        """Give the slot back; a hold already gone (expired, used) is fine."""
        await self.client.request_json("DELETE", f"/api/calendly/holds/{quote(hold_id, safe='')}", idempotent=True)
