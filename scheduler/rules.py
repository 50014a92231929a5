"""The scheduling rules: what is free, what may be booked, who may see or cancel a booking.

Pure async logic over a SlotSource, a BookingStore and the Clock; the router only maps
its results and ServiceErrors to HTTP.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import date as Date

from core.clock import Clock
from core.formats import day_label, minutes
from scheduler.errors import ServiceError
from scheduler.models import BookingRequest
from scheduler.slots import Slot, SlotSource, is_past
from scheduler.store import Booking, BookingStore, SlotTaken

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


@dataclass(frozen=True)
class Availability:
    date: Date
    appointment_type: str
    slots: list[Slot]
    next_available: Date | None


@dataclass(frozen=True)
class DayPlan:
    """Every slot of one day and type as the schedule has it, and the start times booked."""

    slots: tuple[Slot, ...]
    booked: frozenset[str]


def _day(d: Date) -> str:
    return day_label(d, year=True)


class BookingRules:
    """Availability and bookings over slot data, a store and the clinic clock.

    Availability answers are cached for `cache_seconds` (and per clock minute, since past
    slots drop out as time goes on). This process's bookings and cancellations clear the cache
    at once; another process's show within `cache_seconds`. A booking itself is always decided
    by the database, so a stale read can offer a taken slot but never book it twice.
    """

    def __init__(self, source: SlotSource, store: BookingStore, clock: Clock, cache_seconds: float = 1.0) -> None:
        self.source = source
        self.store = store
        self.clock = clock
        self.cache_seconds = cache_seconds
        self._cache: dict[tuple[Date, str, datetime], tuple[float, Availability | ServiceError]] = {}

    def _free(self, slots: tuple[Slot, ...], day: Date, booked: set[str], now: datetime) -> list[Slot]:
        if day != now.date():
            return [s for s in slots if s.available and s.start_time not in booked]
        return [s for s in slots if s.available and s.start_time not in booked and not is_past(day, s.start_time, now)]

    def _first_free_day(
        self, appointment_type: str, days: list[Date], booked: dict[str, set[str]], now: datetime
    ) -> Date | None:
        for day in days:
            slots = self.source.slots_for(day, appointment_type, now.date())
            if slots and self._free(slots, day, booked.get(day.isoformat(), set()), now):
                return day
        return None

    async def availability(self, day: Date, appointment_type: str) -> Availability:
        """Free slots in time order, or ServiceError 404 (carrying next_available)."""
        now = self.clock.now()
        key = (day, appointment_type, now.replace(second=0, microsecond=0))
        cached = self._cache.get(key)
        if cached is None or cached[0] < time.monotonic():
            try:
                result: Availability | ServiceError = await self._availability(day, appointment_type, now)
            except ServiceError as exc:
                result = exc
            if len(self._cache) > 10_000:
                self._cache.clear()
            cached = self._cache[key] = (time.monotonic() + self.cache_seconds, result)
        if isinstance(cached[1], ServiceError):
            refusal = cached[1]
            raise ServiceError(refusal.status, refusal.detail, **refusal.extra)  # a fresh one: no traceback build-up
        return cached[1]

    async def _availability(self, day: Date, appointment_type: str, now: datetime) -> Availability:
        today = now.date()
        slots = self.source.slots_for(day, appointment_type, today)
        later = self.source.days_after(day, today)
        span = ([day] if slots is not None else []) + later  # one query for the day and what follows
        booked = await self.store.booked_times(appointment_type, span[0], span[-1]) if span else {}
        nxt = self._first_free_day(appointment_type, later, booked, now)
        if slots is None:
            reason = "is in the past" if day < today else "has no schedule"
            raise ServiceError(
                404,
                f"No availability for '{appointment_type}' on {_day(day)}: the date {reason}."
                + (f" The next date with free '{appointment_type}' slots is {_day(nxt)}." if nxt else ""),
                next_available=nxt.isoformat() if nxt else None,
            )
        free = self._free(slots, day, booked.get(day.isoformat(), set()), now)
        return Availability(day, appointment_type, free, nxt)

    async def day_plan(self, day: Date, appointment_type: str) -> DayPlan | None:
        """The day's slots (taken ones included) and its bookings; None: no schedule that day."""
        slots = self.source.slots_for(day, appointment_type, self.clock.today())
        if slots is None:
            return None
        booked = await self.store.booked_times(appointment_type, day, day)
        return DayPlan(slots, frozenset(booked.get(day.isoformat(), set())))

    def forget_cached(self) -> None:
        """Drop cached availability (after this process changed a booking)."""
        self._cache.clear()

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
            finally:
                self.forget_cached()
        booked = await self.store.booked_times(type_key, day, day)
        free = self._free(slots, day, booked.get(day.isoformat(), set()), now)
        wanted = minutes(start)
        nearest = sorted(free, key=lambda s: abs(minutes(s.start_time) - wanted))[:3]
        alternatives = sorted(nearest, key=lambda s: s.start_time)
        raise ServiceError(
            409,
            f"The '{type_key}' slot at {start} on {_day(day)} is already taken."
            + (
                " Free alternatives that day: " + ", ".join(s.start_time for s in alternatives) + "."
                if alternatives
                else " No other slots are free that day."
            ),
            alternatives=[
                {"start_time": s.start_time, "end_time": s.end_time, "available": True} for s in alternatives
            ],
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
        if booking.forgotten_at:
            raise ServiceError(410, f"Booking {booking_id} was erased at the patient's request.")
        return booking

    async def cancel(self, booking_id: str, confirmation_code: str | None) -> Booking:
        """Cancel a confirmed booking, which frees its slot; 409 if already cancelled."""
        booking = await self.authorised(booking_id, confirmation_code)
        cancelled_at = datetime.now(UTC).isoformat(timespec="seconds")
        if not await self.store.cancel(booking_id, cancelled_at):
            raise ServiceError(409, f"Booking {booking_id} is already cancelled.")
        self.forget_cached()
        booking.status, booking.cancelled_at = "cancelled", cancelled_at
        return booking

    async def forget(self, booking_id: str, confirmation_code: str | None) -> Booking:
        """Erase the patient's data from a booking (cancelling it, which frees its slot): the
        right to be forgotten. 404 unknown, 403 wrong code, 410 already forgotten."""
        await self.authorised(booking_id, confirmation_code)
        forgotten_at = datetime.now(UTC).isoformat(timespec="seconds")
        if not await self.store.forget(booking_id, forgotten_at):
            raise ServiceError(410, f"Booking {booking_id} was erased at the patient's request.")
        self.forget_cached()
        forgotten = await self.store.get(booking_id)
        if forgotten is None:  # the row stays, only its personal data goes: never expected
            raise ServiceError(404, f"No booking with id {booking_id!r}.")
        return forgotten
