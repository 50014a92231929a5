"""The scheduling rules: what is free, what may be booked, who may see or cancel a booking.

Pure async logic over a SlotSource, a BookingStore and the Clock; the router only maps
its results and ServiceErrors to HTTP.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone

from api.calendly.models import BookingRequest
from api.calendly.schedule import Slot, SlotSource, is_past
from api.calendly.store import Booking, BookingStore, SlotTaken
from core.clock import Clock

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


class ServiceError(Exception):
    """A refusal with an HTTP status, a message for people, and extra fields for programs."""

    def __init__(self, status: int, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra


@dataclass(frozen=True)
class Availability:
    date: date
    appointment_type: str
    slots: list[Slot]
    next_available: date | None


def _day(d: date) -> str:
    return d.strftime("%A, %B %-d, %Y")


class SchedulingService:
    """Availability and bookings over slot data, a store and the clinic clock."""

    def __init__(self, source: SlotSource, store: BookingStore, clock: Clock) -> None:
        self.source = source
        self.store = store
        self.clock = clock

    def _free(self, slots: tuple[Slot, ...], day: date, booked: set[str], now: datetime) -> list[Slot]:
        return [s for s in slots if s.available and s.start_time not in booked and not is_past(day, s.start_time, now)]

    async def _next_available(self, appointment_type: str, after: date, now: datetime) -> date | None:
        today = now.date()
        days = self.source.days_after(after, today)
        if not days:
            return None
        booked = await self.store.booked_times(appointment_type, days[0], days[-1])
        for day in days:
            slots = self.source.slots_for(day, appointment_type, today)
            if slots and self._free(slots, day, booked.get(day.isoformat(), set()), now):
                return day
        return None

    async def availability(self, day: date, appointment_type: str) -> Availability:
        """Free slots in time order, or ServiceError 404 (carrying next_available)."""
        now = self.clock.now()
        slots = self.source.slots_for(day, appointment_type, now.date())
        if slots is None:
            nxt = await self._next_available(appointment_type, day, now)
            reason = "is in the past" if day < now.date() else "has no schedule"
            raise ServiceError(
                404,
                f"No availability for '{appointment_type}' on {_day(day)}: the date {reason}."
                + (f" The next date with free '{appointment_type}' slots is {_day(nxt)}." if nxt else ""),
                next_available=nxt.isoformat() if nxt else None,
            )
        booked = await self.store.booked_times(appointment_type, day, day)
        free = self._free(slots, day, booked.get(day.isoformat(), set()), now)
        return Availability(day, appointment_type, free, await self._next_available(appointment_type, day, now))

    async def book(self, request: BookingRequest) -> Booking:
        """Book a free slot: 404 no such slot, 400 past, 409 taken (with alternatives)."""
        now = self.clock.now()
        day, type_key, start = request.date, request.appointment_type, request.start_time
        slots = self.source.slots_for(day, type_key, now.date()) or ()
        slot = next((s for s in slots if s.start_time == start), None)
        if is_past(day, start, now):
            raise ServiceError(400, f"start_time: {start} on {_day(day)} is in the past; choose a future slot.")
        if slot is None:
            raise ServiceError(404, f"There is no '{type_key}' slot at {start} on {_day(day)}.")
        if slot.available:
            booking = Booking(
                booking_id=f"APPT-{day:%Y%m%d}-{secrets.token_hex(4).upper()}",
                confirmation_code="".join(secrets.choice(_CODE_ALPHABET) for _ in range(8)),
                appointment_type=type_key,
                date=day.isoformat(),
                start_time=slot.start_time,
                end_time=slot.end_time,
                patient_name=request.patient.name,
                patient_email=request.patient.email,
                patient_phone=request.patient.phone,
                reason=request.reason,
            )
            try:
                await self.store.create(booking)
                return booking
            except SlotTaken:
                pass
        booked = await self.store.booked_times(type_key, day, day)
        free = self._free(slots, day, booked.get(day.isoformat(), set()), now)
        wanted = int(start[:2]) * 60 + int(start[3:])
        nearest = sorted(free, key=lambda s: abs(int(s.start_time[:2]) * 60 + int(s.start_time[3:]) - wanted))[:3]
        alternatives = sorted(nearest, key=lambda s: s.start_time)
        raise ServiceError(
            409,
            f"The '{type_key}' slot at {start} on {_day(day)} is already taken."
            + (" Free alternatives that day: " + ", ".join(s.start_time for s in alternatives) + "."
               if alternatives else " No other slots are free that day."),
            alternatives=[{"start_time": s.start_time, "end_time": s.end_time, "available": True} for s in alternatives],
        )

    async def authorised(self, booking_id: str, confirmation_code: str | None) -> Booking:
        """The booking, if the code matches: 404 unknown id, 403 missing or wrong code."""
        booking = await self.store.get(booking_id)
        if booking is None:
            raise ServiceError(404, f"No booking with id {booking_id!r}.")
        if not confirmation_code or not secrets.compare_digest(
            confirmation_code.strip().upper().encode(), booking.confirmation_code.encode()
        ):
            raise ServiceError(403, "The confirmation code does not match this booking.")
        return booking

    async def cancel(self, booking_id: str, confirmation_code: str | None) -> Booking:
        """Cancel a confirmed booking, which frees its slot; 409 if already cancelled."""
        booking = await self.authorised(booking_id, confirmation_code)
        cancelled_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        if not await self.store.cancel(booking_id, cancelled_at):
            raise ServiceError(409, f"Booking {booking_id} is already cancelled.")
        booking.status, booking.cancelled_at = "cancelled", cancelled_at
        return booking
