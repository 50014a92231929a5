"""The scheduling rules: what is free, what may be booked, who may see or cancel a booking.

Pure async logic over a SlotSource, a BookingStore and the Clock; the router only maps
its results and ServiceErrors to HTTP.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import date as Date
from typing import Any

from core.appointment_types import TYPE_KEYS
from core.clock import Clock
from core.formats import day_label, minutes
from scheduler.errors import ServiceError
from scheduler.models import BookingRequest, HoldRequest, RescheduleRequest
from scheduler.slots import Slot, SlotSource, is_past
from scheduler.store import Booking, BookingEvent, BookingStore, Hold, SlotTaken, StoredReply, Transaction, phone_digits

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


def new_confirmation_code() -> str:
    """8 characters with at least one letter and one digit: a code of letters only (1 in 10
    otherwise) reads like a word, and patients' messages (and the offline model) tell a code
    from words by its mix. Drawn again until mixed, so every mixed code is equally likely."""
    while True:
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
        if any(c.isdigit() for c in code) and any(c.isalpha() for c in code):
            return code


@dataclass(frozen=True)
class Availability:
    date: Date
    appointment_type: str
    slots: list[Slot]
    next_available: Date | None


KEY_LIFETIME = timedelta(hours=24)
"""How long an Idempotency-Key is remembered at least (older ones are purged as new ones come)."""
PURGE_EVERY = timedelta(minutes=10)
"""How often (by the clinic clock) one process purges old keys and expired holds: not each time."""


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's key for one request, and the fingerprint of that request (method, path, body)."""

    key: str
    fingerprint: str


@dataclass(frozen=True)
class Outcome:
    """The answer to a change: `booking` is set only when this very request made the change."""

    status: int
    body: dict[str, Any]
    booking: Booking | None = None
    replayed: bool = False


Action = Callable[[Transaction], Awaitable[Booking]]


@dataclass(frozen=True)
class DayPlan:
    """Every slot of one day and type as the schedule has it, and the start times booked."""

    slots: tuple[Slot, ...]
    booked: frozenset[str]


def _day(d: Date) -> str:
    return day_label(d, year=True)


def _utc(moment: datetime) -> str:
    """How the store writes a moment: UTC ISO to the second, so that text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _slot_out(slot: Slot) -> dict[str, object]:
    return {"start_time": slot.start_time, "end_time": slot.end_time, "available": True}


class BookingRules:
    """Availability and bookings over slot data, a store and the clinic clock.

    Held slots count as taken for everyone but the hold's owner, until they expire by the
    clinic clock. Availability answers are cached for `cache_seconds` (and per clock minute,
    since past slots drop out as time goes on). This process's changes (bookings, reschedules,
    cancellations, holds) clear the cache at once; another process's show within `cache_seconds`
    (`AVAILABILITY_CACHE_SECONDS`; 0: no cache, so they show on the next request). A booking
    itself is always decided by the database, so a stale read can offer a taken slot but never
    book it twice.
    """

    def __init__(
        self,
        source: SlotSource,
        store: BookingStore,
        clock: Clock,
        cache_seconds: float = 1.0,
        hold_minutes: float = 5,
        max_upcoming: int = 0,
    ) -> None:
        self.source = source
        self.store = store
        self.clock = clock
        self.cache_seconds = cache_seconds
        self.max_upcoming = max_upcoming  # per e-mail and per phone; 0: no limit
        self.hold_lifetime = timedelta(minutes=hold_minutes)
        self._keys_purged_at: datetime | None = None
        self._holds_purged_at: datetime | None = None
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
        if self.cache_seconds <= 0:  # every answer read from the database: other processes' changes show at once
            return await self._availability(day, appointment_type, now)
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
        booked = await self.store.booked_times(appointment_type, span[0], span[-1], _utc(now)) if span else {}
        nxt = self._first_free_day(appointment_type, later, booked, now)
        if slots is None:
            closed = self._clinic_closed(day, today)
            reason = (
                "is in the past" if day < today else "has no schedule" + (" (the clinic is closed)" if closed else "")
            )
            extra: dict[str, Any] = {"next_available": nxt.isoformat() if nxt else None}
            if closed:
                extra["clinic_closed"] = True
            raise ServiceError(
                404,
                f"No availability for '{appointment_type}' on {_day(day)}: the date {reason}."
                + (f" The next date with free '{appointment_type}' slots is {_day(nxt)}." if nxt else ""),
                **extra,
            )
        free = self._free(slots, day, booked.get(day.isoformat(), set()), now)
        return Availability(day, appointment_type, free, nxt)

    def _clinic_closed(self, day: Date, today: Date) -> bool:
        """A day within the calendar's horizon on which no appointment type has a schedule."""
        if day < today or day > self.source.last_day(today):
            return False
        return all(self.source.slots_for(day, kind, today) is None for kind in TYPE_KEYS)

    async def day_plan(self, day: Date, appointment_type: str) -> DayPlan | None:
        """The day's slots (taken ones included) and its bookings; None: no schedule that day."""
        slots = self.source.slots_for(day, appointment_type, self.clock.today())
        if slots is None:
            return None
        booked = await self.store.booked_times(appointment_type, day, day, None)
        return DayPlan(slots, frozenset(booked.get(day.isoformat(), set())))

    def forget_cached(self) -> None:
        """Drop cached availability (after this process changed a booking)."""
        self._cache.clear()

    # --- changes: each one transaction, with its history event and its idempotency record ---

    async def change(
        self, action: Action, render: Callable[[Booking], dict[str, Any]], status: int, key: IdempotencyKey | None
    ) -> Outcome:
        """Run `action` in one transaction; with a key, answer a repeat from the database.

        The stored answer is written in the same transaction as the change, and writers take
        turns (also across processes), so two requests with one key never both take effect.
        A refusal (ServiceError) is stored too: the same request gets the same answer.
        """
        try:
            async with self.store.transaction() as tx:
                if key is not None:
                    stored = await tx.reply(key.key)
                    if stored is not None:
                        if stored.fingerprint != key.fingerprint:
                            raise ServiceError(
                                422,
                                "Idempotency-Key: this key was already used for a different request;"
                                " send a new key with a new request.",
                            )
                        return Outcome(stored.status, stored.body, replayed=True)
                scope: AbstractAsyncContextManager[object] = tx.savepoint() if key is not None else nullcontext()
                try:
                    async with scope:
                        booking = await action(tx)
                    outcome = Outcome(status, render(booking), booking)
                except ServiceError as exc:
                    if key is None:
                        raise
                    outcome = Outcome(exc.status, {"detail": exc.detail, **exc.extra})
                if key is not None:
                    now = self.clock.now()
                    if self._keys_purged_at is None or now - self._keys_purged_at >= PURGE_EVERY:
                        await tx.purge_replies(_utc(now - KEY_LIFETIME))
                        self._keys_purged_at = now
                    await tx.keep_reply(key.key, StoredReply(key.fingerprint, outcome.status, outcome.body), _utc(now))
        finally:
            self.forget_cached()  # after the commit: a read in between must not cache the old state
        return outcome

    def _slot(self, day: Date, type_key: str, start: str, now: datetime) -> tuple[tuple[Slot, ...], Slot]:
        """The day's slots and the one asked for: 400 past, 404 no such slot."""
        slots = self.source.slots_for(day, type_key, now.date()) or ()
        slot = next((s for s in slots if s.start_time == start), None)
        if is_past(day, start, now):
            raise ServiceError(400, f"start_time: {start} on {_day(day)} is in the past; choose a future slot.")
        if slot is None:
            raise ServiceError(404, f"There is no '{type_key}' slot at {start} on {_day(day)}.")
        return slots, slot

    async def _unheld(self, tx: Transaction, type_key: str, day: Date, start: str, hold_id: str | None) -> Hold | None:
        """The live hold on the slot if `hold_id` is its id; a 409 if someone else holds it."""
        hold = await tx.active_hold(type_key, day.isoformat(), start, _utc(self.clock.now()))
        if hold is None:
            return None
        if hold_id is not None and secrets.compare_digest(hold_id.encode(), hold.hold_id.encode()):
            return hold
        raise await self._taken(tx, type_key, day, start, "is held for another patient for a few minutes")

    async def _taken(
        self, tx: Transaction | BookingStore, type_key: str, day: Date, start: str, why: str
    ) -> ServiceError:
        """The 409 for a slot that cannot be had, with up to three free alternatives that day."""
        now = self.clock.now()
        slots = self.source.slots_for(day, type_key, now.date()) or ()
        booked = await tx.booked_times(type_key, day, day, _utc(now))
        free = self._free(slots, day, booked.get(day.isoformat(), set()), now)
        wanted = minutes(start)
        nearest = sorted(free, key=lambda s: abs(minutes(s.start_time) - wanted))[:3]
        alternatives = sorted(nearest, key=lambda s: s.start_time)
        return ServiceError(
            409,
            f"The '{type_key}' slot at {start} on {_day(day)} {why}."
            + (
                " Free alternatives that day: " + ", ".join(s.start_time for s in alternatives) + "."
                if alternatives
                else " No other slots are free that day."
            ),
            alternatives=[_slot_out(s) for s in alternatives],
        )

    async def book(self, tx: Transaction, request: BookingRequest) -> Booking:
        """Book a free slot: 404 no such slot, 400 past, 409 taken or held (with alternatives)."""
        now = self.clock.now()
        day, type_key, start = request.date, request.appointment_type, request.start_time
        _, slot = self._slot(day, type_key, start, now)
        if slot.available:
            hold = await self._unheld(tx, type_key, day, start, request.hold_id)
            await self._under_upcoming_limit(tx, request, now)
            booking = Booking(
                booking_id=f"APPT-{day:%Y%m%d}-{secrets.token_hex(4).upper()}",
                confirmation_code=new_confirmation_code(),
                appointment_type=type_key,
                date=day.isoformat(),
                start_time=slot.start_time,
                end_time=slot.end_time,
                patient_name=request.patient.name,
                patient_email=request.patient.email,
                patient_phone=request.patient.phone,
                reason=request.reason,
                created_at=_utc(now),
            )
            try:
                await tx.create(booking)
            except SlotTaken:
                pass
            else:
                await self._used(tx, hold)
                await tx.add_event(booking.booking_id, BookingEvent("created", _utc(now), None, booking.slot()))
                return booking
        raise await self._taken(tx, type_key, day, start, "is already taken")

    async def _under_upcoming_limit(self, tx: Transaction, request: BookingRequest, now: datetime) -> None:
        """409 if the patient's e-mail or phone already holds `max_upcoming` upcoming bookings.
        Counted inside the booking's transaction (the writer's lock), so concurrent bookings of
        one patient, also from other processes, cannot both slip under the limit."""
        if self.max_upcoming <= 0:
            return
        by_email, by_phone = await tx.upcoming(
            request.patient.email, phone_digits(request.patient.phone), now.date().isoformat(), now.strftime("%H:%M")
        )
        if max(by_email, by_phone) >= self.max_upcoming:
            n = self.max_upcoming
            raise ServiceError(
                409,
                f"This e-mail address or phone number already has {n} upcoming booking{'s' if n != 1 else ''}, "
                "the most one patient may hold. Cancel one first (with its confirmation code), or call the clinic.",
                reason="upcoming_limit",
                limit=n,
            )

    async def _used(self, tx: Transaction, hold: Hold | None) -> None:
        if hold is not None:
            await tx.release_hold(hold.hold_id)

    async def reschedule(self, tx: Transaction, booking_id: str, request: RescheduleRequest) -> Booking:
        """Move a confirmed booking (same id and code) to a free slot in one step: the unique
        slot index decides, so a taken slot (409) leaves the booking where it was."""
        booking = await self._authorised(await tx.get(booking_id), booking_id, request.confirmation_code)
        if booking.status != "confirmed":
            raise ServiceError(409, f"Booking {booking_id} is cancelled; book a new appointment instead.")
        now = self.clock.now()
        day, start = request.date, request.start_time
        type_key = request.appointment_type or booking.appointment_type
        _, slot = self._slot(day, type_key, start, now)
        if (type_key, day.isoformat(), start) == (booking.appointment_type, booking.date, booking.start_time):
            return booking  # already there: nothing to change, nothing to record
        if slot.available:
            hold = await self._unheld(tx, type_key, day, start, request.hold_id)
            before = booking.slot()
            booking.appointment_type, booking.date = type_key, day.isoformat()
            booking.start_time, booking.end_time = slot.start_time, slot.end_time
            try:
                await tx.move(booking)
            except SlotTaken:
                pass
            else:
                await self._used(tx, hold)
                await tx.add_event(booking_id, BookingEvent("rescheduled", _utc(now), before, booking.slot()))
                return booking
        raise await self._taken(tx, type_key, day, start, "is already taken")

    async def cancel(self, tx: Transaction, booking_id: str, confirmation_code: str | None) -> Booking:
        """Cancel a confirmed booking, which frees its slot; 409 if already cancelled."""
        booking = await self._authorised(await tx.get(booking_id), booking_id, confirmation_code)
        cancelled_at = _utc(self.clock.now())
        if not await tx.cancel(booking_id, cancelled_at):
            raise ServiceError(409, f"Booking {booking_id} is already cancelled.")
        await tx.add_event(booking_id, BookingEvent("cancelled", cancelled_at, booking.slot(), None))
        booking.status, booking.cancelled_at = "cancelled", cancelled_at
        return booking

    # --- holds ---------------------------------------------------------------------------

    async def hold(self, request: HoldRequest) -> Hold:
        """Keep a free slot out of availability for `hold_minutes`: 400 past, 404 no such slot,
        409 taken or already held. One statement decides, also against other processes."""
        now = self.clock.now()
        day, type_key, start = request.date, request.appointment_type, request.start_time
        _, slot = self._slot(day, type_key, start, now)
        if not slot.available:
            raise await self._taken(self.store, type_key, day, start, "is already taken")
        if self._holds_purged_at is None or now - self._holds_purged_at >= PURGE_EVERY:
            await self.store.purge_holds(_utc(now))
            self._holds_purged_at = now
        hold = Hold(
            hold_id=f"HOLD-{secrets.token_hex(12).upper()}",
            appointment_type=type_key,
            date=day.isoformat(),
            start_time=start,
            expires_at=_utc(now + self.hold_lifetime),
        )
        try:
            placed = await self.store.place_hold(hold, _utc(now))
        finally:
            self.forget_cached()
        if placed:
            return hold
        held = start in (await self.store.booked_times(type_key, day, day, _utc(now))).get(day.isoformat(), set())
        booked = start in (await self.store.booked_times(type_key, day, day, None)).get(day.isoformat(), set())
        why = "is held for another patient for a few minutes" if held and not booked else "is already taken"
        raise await self._taken(self.store, type_key, day, start, why)

    async def release(self, hold_id: str) -> None:
        """Give a held slot back at once; 404 if no live hold has that id."""
        try:
            hold = await self.store.release_hold(hold_id)
        finally:
            self.forget_cached()
        if hold is None or hold.expires_at <= _utc(self.clock.now()):
            raise ServiceError(404, f"No active hold with id {hold_id!r} (it may have expired or been used).")

    # --- lookups --------------------------------------------------------------------------

    async def _authorised(self, booking: Booking | None, booking_id: str, confirmation_code: str | None) -> Booking:
        """The booking, if the code matches: 404 unknown id, 403 missing or wrong code."""
        if booking is None:
            raise ServiceError(404, f"No booking with id {booking_id!r}.")
        if not confirmation_code or not secrets.compare_digest(
            confirmation_code.strip().upper().encode(), booking.confirmation_code.encode()
        ):
            raise ServiceError(403, "The confirmation code does not match this booking.")
        if booking.forgotten_at:
            raise ServiceError(410, f"Booking {booking_id} was erased at the patient's request.")
        return booking

    async def find(self, confirmation_code: str, email: str) -> tuple[Booking, list[BookingEvent]]:
        """The booking with this code *and* e-mail, and its history; one 404 for any mismatch, so
        the answer never tells whether a code exists."""
        code, address = confirmation_code.strip().upper(), email.strip().lower()
        for booking in await self.store.with_code(code):
            if secrets.compare_digest(booking.patient_email.strip().lower().encode(), address.encode()):
                return booking, await self.store.history(booking.booking_id)
        raise ServiceError(404, "No booking matches that confirmation code and e-mail.")

    async def authorised(self, booking_id: str, confirmation_code: str | None) -> tuple[Booking, list[BookingEvent]]:
        """The booking and its history, for whoever holds its code (404 unknown id, 403 wrong code)."""
        booking = await self._authorised(await self.store.get(booking_id), booking_id, confirmation_code)
        return booking, await self.store.history(booking_id)

    async def forget(self, booking_id: str, confirmation_code: str | None) -> Booking:
        """Erase the patient's data from a booking (cancelling it, which frees its slot): the
        right to be forgotten. 404 unknown, 403 wrong code, 410 already forgotten."""
        await self._authorised(await self.store.get(booking_id), booking_id, confirmation_code)
        if not await self.store.forget(booking_id, _utc(self.clock.now())):
            raise ServiceError(410, f"Booking {booking_id} was erased at the patient's request.")
        self.forget_cached()
        forgotten = await self.store.get(booking_id)
        if forgotten is None:  # the row stays, only its personal data goes: never expected
            raise ServiceError(404, f"No booking with id {booking_id!r}.")
        return forgotten
