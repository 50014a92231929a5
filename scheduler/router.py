"""HTTP routes of the mock Calendly service; thin: validate, call the rules, shape the answer.

`build_router(require_rules, notices)` binds the routes to one service's rules and notices. Its refusals (ServiceError)
and bad input are answered here, by the router's own route class, as `{"detail": ...}` with
a specific status, so the service answers the same wherever it is mounted.

No `from __future__ import annotations` here: the routes' dependencies are bound inside
`build_router`, and FastAPI reads string annotations in the module's globals only.
"""

import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from core import busy
from core.appointment_types import APPOINTMENT_TYPES, TYPE_KEYS
from core.errors import body_parse_message, validation_message
from core.logging import remember_patient_data
from core.ratelimit import RateLimited
from scheduler.calendar_route import add_calendar_route
from scheduler.errors import ServiceError
from scheduler.models import (
    AppointmentTypeOut,
    AvailabilityOut,
    BookingDetails,
    BookingEventOut,
    BookingOut,
    BookingRequest,
    BookingWithHistoryOut,
    CancelRequest,
    ForgottenOut,
    HoldOut,
    HoldRequest,
    LookupRequest,
    Patient,
    RescheduleRequest,
    SlotRef,
    iso_date,
    type_key,
)
from scheduler.notices import NoticeSender
from scheduler.rules import Action, Availability, BookingRules, IdempotencyKey
from scheduler.store import Booking, BookingEvent

log = logging.getLogger("scheduler")

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A field is missing or malformed; `detail` names it."},
    404: {"description": "No such schedule, slot or booking."},
    500: {"description": "The slot data is empty or corrupt."},
}
BUSY: dict[int | str, dict[str, Any]] = {
    503: {
        "description": "The database stayed locked past `DATABASE_BUSY_SECONDS`; retry after `Retry-After`.",
        "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    }
}
GONE: dict[int | str, dict[str, Any]] = {410: {"description": "The booking was erased at the patient's request."}}
FORBIDDEN: dict[int | str, dict[str, Any]] = {403: {"description": "Wrong or missing code."}}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such booking."}}


class ServiceRoute(APIRoute):
    """Answers a ServiceError as `{"detail", ...extra}` with its status, and bad input as 400."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except ServiceError as exc:
                if exc.status >= 500:
                    log.error("request failed: %s", exc.detail)
                return JSONResponse({"detail": exc.detail, **exc.extra}, status_code=exc.status)
            except RequestValidationError as exc:
                return JSONResponse({"detail": validation_message(list(exc.errors()))}, status_code=400)
            except RateLimited as exc:
                headers = {"Retry-After": str(exc.retry_after)}
                return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=headers)
            except HTTPException as exc:
                if (detail := body_parse_message(exc)) is None:
                    raise
                return JSONResponse({"detail": detail}, status_code=400)
            except busy.BUSY_ERRORS as exc:
                if not busy.is_busy(exc):
                    raise
                log.warning("database busy: %s answered 503", request.url.path)
                return JSONResponse(
                    {"detail": busy.BUSY_DETAIL},
                    status_code=503,
                    headers={"Retry-After": str(busy.BUSY_RETRY_AFTER_SECONDS)},
                )

        return route


_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_KEYED_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    422: {"description": "The Idempotency-Key was already used for a different request."},
    **BUSY,
}
_CHANGE_ERRORS: dict[int | str, dict[str, Any]] = {**_KEYED_ERRORS, **FORBIDDEN, **GONE}
_TAKEN = "The slot is taken or held; `alternatives` lists up to three free ones."


def _idempotency_key(
    idempotency_key: Annotated[
        str | None,
        Header(
            description="Any unique string (e.g. a UUID): a repeat with the same key and body gets the first"
            " answer again, without a second effect; keys are kept at least 24 hours."
        ),
    ] = None,
) -> str | None:
    if idempotency_key is not None and not _KEY.match(idempotency_key):
        raise ServiceError(400, "Idempotency-Key: must be 1 to 255 visible ASCII characters")
    return idempotency_key


def _fingerprint(request: Request, body: Any) -> str:
    """What makes two requests "the same": method, path and the validated body."""
    payload = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.url.path}\n{payload}".encode()).hexdigest()


def _slot_ref(slot: dict[str, str] | None) -> SlotRef | None:
    return SlotRef.model_validate(slot) if slot is not None else None


def _event_out(event: BookingEvent) -> BookingEventOut:
    return BookingEventOut(
        event=event.event,  # the table's CHECK admits only the three
        at=event.at,  # ISO text; pydantic parses it
        from_slot=_slot_ref(event.from_slot),
        to_slot=_slot_ref(event.to_slot),
    )


def _render(booking: Booking) -> dict[str, Any]:
    return _out(booking).model_dump(mode="json")


def _out(booking: Booking) -> BookingOut:
    return BookingOut(
        booking_id=booking.booking_id,
        status=booking.status,
        confirmation_code=booking.confirmation_code,
        details=BookingDetails(
            appointment_type=booking.appointment_type,
            date=booking.date,  # ISO text; pydantic parses it
            start_time=booking.start_time,
            end_time=booking.end_time,
            patient=Patient.model_construct(
                name=booking.patient_name, email=booking.patient_email, phone=booking.patient_phone
            ),
            reason=booking.reason,
        ),
    )


def _query(name: str, value: str | None, parse: Callable[[object], Any]) -> Any:
    """One query parameter through the same validators as the models, as a 400 naming it."""
    if value is None or not value.strip():
        raise ServiceError(400, f"{name}: is required")
    try:
        return parse(value)
    except ValueError as exc:
        raise ServiceError(400, f"{name}: {exc}") from None


_AVAILABILITY_PARAMS = {
    "parameters": [
        {
            "name": "date",
            "in": "query",
            "required": True,
            "schema": {"type": "string", "format": "date"},
            "description": "Date in YYYY-MM-DD format (clinic-local).",
        },
        {
            "name": "appointment_type",
            "in": "query",
            "required": True,
            "schema": {"type": "string", "enum": list(TYPE_KEYS)},
            "description": "The appointment type key.",
        },
    ]
}

_bodies: dict[int, tuple[Availability, bytes]] = {}


def _availability_json(result: Availability) -> bytes:
    """The JSON of an answer, serialised once per cached answer (the rules reuse them)."""
    memo = _bodies.get(id(result))
    if memo is not None and memo[0] is result:
        return memo[1]
    body = json.dumps(
        {
            "date": result.date.isoformat(),
            "appointment_type": result.appointment_type,
            "available_slots": [
                {"start_time": s.start_time, "end_time": s.end_time, "available": True} for s in result.slots
            ],
            "next_available": result.next_available.isoformat() if result.next_available else None,
        },
        separators=(",", ":"),
    ).encode()
    if len(_bodies) > 1000:
        _bodies.clear()
    _bodies[id(result)] = (result, body)
    return body


RulesProvider = Callable[[str], Awaitable[BookingRules]]
"""The rules, or a ServiceError 500 with the given message while the slot data is unusable."""
Admission = Callable[[Request], Awaitable[None]]
"""Counts a request to a booking endpoint from its client, or raises RateLimited (429)."""

LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many booking requests from this client (`Retry-After`: seconds)."}
}
UPCOMING = "the patient's e-mail or phone already holds the most upcoming bookings allowed (`reason`: `upcoming_limit`)"


def build_router(require_rules: RulesProvider, notices: NoticeSender, admit: Admission) -> APIRouter:
    """The service's routes under /api/calendly, bound to `service`; `admit` counts the requests
    that book, change, hold or look up a booking, per client (README "Limits")."""
    router = APIRouter(prefix="/api/calendly", tags=["Calendly mock"], route_class=ServiceRoute)
    limited = [Depends(admit)]

    def rules_for(failure: str) -> Callable[[], Awaitable[BookingRules]]:
        async def dependency() -> BookingRules:
            return await require_rules(failure)

        return dependency

    booking_rules = Annotated[BookingRules, Depends(rules_for("Failed to book the appointment"))]
    lookup_rules = Annotated[BookingRules, Depends(rules_for("Failed to look up the booking"))]

    @router.get("/appointment-types", response_model=list[AppointmentTypeOut])
    async def appointment_types() -> list[AppointmentTypeOut]:
        """The appointment types with their duration in minutes."""
        return [
            AppointmentTypeOut(key=t.key, minutes=t.minutes, description=t.description)
            for t in APPOINTMENT_TYPES.values()
        ]

    @router.get("/availability", response_model=AvailabilityOut, responses=ERRORS, openapi_extra=_AVAILABILITY_PARAMS)
    async def availability(request: Request) -> Response:
        """Free slots of a type on a date, in time order, and the next later date with a free slot.

        The hottest route, so it skips FastAPI's parameter machinery (~50 µs a request): the two
        query parameters (documented above) go through the models' own validators, and the answer
        is written as JSON directly.
        """
        problems, day, kind = [], None, None
        for name, parse in (("date", iso_date), ("appointment_type", type_key)):
            try:
                parsed = _query(name, request.query_params.get(name), parse)
            except ServiceError as exc:
                problems.append(exc.detail)
                continue
            day, kind = (parsed, kind) if name == "date" else (day, parsed)
        if problems:
            raise ServiceError(400, "; ".join(problems))
        rules = await require_rules("Failed to fetch availability")
        result = await rules.availability(day, kind)  # type: ignore[arg-type]  # both parsed above
        return Response(_availability_json(result), media_type="application/json")

    async def change(
        request: Request, rules: BookingRules, body: Any, key: str | None, action: Action, done: str
    ) -> Response:
        """Run one change (idempotently with a key) and answer it; log and notify only a new effect.
        `done` says what happened: confirmed (a new booking: 201), rescheduled or cancelled."""
        created = done == "confirmed"
        idempotency = IdempotencyKey(key, _fingerprint(request, body)) if key is not None else None
        outcome = await rules.change(action, _render, 201 if created else 200, idempotency)
        if outcome.booking is not None:
            booking = outcome.booking
            log.info(
                f"booking {done}",
                extra={
                    "booking_id": booking.booking_id,
                    "type": booking.appointment_type,
                    "date": booking.date,
                    "start": booking.start_time,
                },
            )
            notices.wake()  # its notice is in the outbox, committed with the change
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
        return JSONResponse(outcome.body, status_code=outcome.status, headers=headers)

    idempotency_key = Annotated[str | None, Depends(_idempotency_key)]
    booking_id_path = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$", description="The booking's id.")]

    @router.post(
        "/book",
        response_model=BookingOut,
        status_code=status.HTTP_201_CREATED,
        responses={**_KEYED_ERRORS, **LIMITED, 409: {"description": f"{_TAKEN} Or: {UPCOMING}."}},
        dependencies=limited,
    )
    async def book(request: Request, body: BookingRequest, rules: booking_rules, key: idempotency_key) -> Response:
        """Book a slot. Exactly one of any number of concurrent requests for a slot succeeds.

        A held slot is booked only with its `hold_id` (the hold is then used up)."""
        remember_patient_data(body.patient.email, body.patient.phone, body.reason, names=[body.patient.name])
        return await change(request, rules, body, key, lambda tx: rules.book(tx, body), "confirmed")

    add_calendar_route(router, rules_for("Failed to look up the booking"), notices)  # before /bookings/{id}

    @router.get(
        "/bookings/{booking_id}",
        response_model=BookingWithHistoryOut,
        responses={**NOT_FOUND, **FORBIDDEN, **GONE},
    )
    async def get_booking(
        booking_id: booking_id_path,
        rules: lookup_rules,
        confirmation_code: Annotated[str | None, Query(max_length=64)] = None,
    ) -> BookingWithHistoryOut:
        """A booking and its history (created, rescheduled, cancelled), for whoever holds its code."""
        return _with_history(*await rules.authorised(booking_id, confirmation_code))

    def _with_history(booking: Booking, history: list[BookingEvent]) -> BookingWithHistoryOut:
        return BookingWithHistoryOut(**dict(_out(booking)), history=[_event_out(e) for e in history])

    @router.post(
        "/bookings/lookup",
        response_model=BookingWithHistoryOut,
        responses={
            **ERRORS,
            **LIMITED,
            404: {"description": "No booking matches that code and e-mail (either may be wrong)."},
        },
        dependencies=limited,
    )
    async def lookup_booking(body: LookupRequest, rules: lookup_rules) -> BookingWithHistoryOut:
        """A booking and its history by confirmation code and the e-mail it was made with, for a
        patient who has no booking id. A POST, so the e-mail stays out of URLs and access logs."""
        return _with_history(*await rules.find(body.confirmation_code, body.email))

    @router.post(
        "/bookings/{booking_id}/reschedule",
        response_model=BookingOut,
        responses={**_CHANGE_ERRORS, **LIMITED, 409: {"description": f"The booking is cancelled, or: {_TAKEN}"}},
        dependencies=limited,
    )
    async def reschedule_booking(
        request: Request,
        booking_id: booking_id_path,
        body: RescheduleRequest,
        rules: booking_rules,
        key: idempotency_key,
    ) -> Response:
        """Move a booking to another slot, keeping its id and code; its old slot is free at once.

        The move is one transaction: if the new slot is taken (409) the booking stays as it was."""
        return await change(request, rules, body, key, lambda tx: rules.reschedule(tx, booking_id, body), "rescheduled")

    @router.post(
        "/bookings/{booking_id}/cancel",
        response_model=BookingOut,
        responses={**_CHANGE_ERRORS, **LIMITED, 409: {"description": "Already cancelled."}},
        dependencies=limited,
    )
    async def cancel_booking(
        request: Request, booking_id: booking_id_path, body: CancelRequest, rules: lookup_rules, key: idempotency_key
    ) -> Response:
        """Cancel a booking; its slot is free again at once."""
        return await change(
            request, rules, body, key, lambda tx: rules.cancel(tx, booking_id, body.confirmation_code), "cancelled"
        )

    @router.post(
        "/bookings/{booking_id}/forget",
        response_model=ForgottenOut,
        responses={**NOT_FOUND, **FORBIDDEN, **GONE, **BUSY},
    )
    async def forget_booking(booking_id: booking_id_path, body: CancelRequest, rules: lookup_rules) -> ForgottenOut:
        """Erase the patient's name, e-mail, phone and reason from a booking (which cancels it
        and frees its slot), from the database files too; the slot record and its history stay."""
        booking = await rules.forget(booking_id, body.confirmation_code)
        log.info("booking forgotten", extra={"booking_id": booking.booking_id})
        return ForgottenOut(
            booking_id=booking.booking_id,
            status=booking.status,
            appointment_type=booking.appointment_type,
            date=booking.date,  # ISO text; pydantic parses it
            start_time=booking.start_time,
            end_time=booking.end_time,
            forgotten_at=booking.forgotten_at or "",
        )

    @router.post(
        "/holds",
        response_model=HoldOut,
        status_code=status.HTTP_201_CREATED,
        responses={**ERRORS, **LIMITED, 409: {"description": _TAKEN}},
        dependencies=limited,
    )
    async def hold_slot(body: HoldRequest, rules: booking_rules) -> HoldOut:
        """Keep a free slot for a few minutes (HOLD_MINUTES) while a patient decides: nobody else
        is offered it or can book it; send `hold_id` with the booking to use it."""
        hold = await rules.hold(body)
        return HoldOut(
            hold_id=hold.hold_id,
            expires_at=datetime.fromisoformat(hold.expires_at).astimezone(rules.clock.tz),
            appointment_type=hold.appointment_type,
            date=hold.date,  # ISO text; pydantic parses it
            start_time=hold.start_time,
        )

    @router.delete(
        "/holds/{hold_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        responses={404: {"description": "No live hold with that id."}},
    )
    async def release_hold(hold_id: str, rules: booking_rules) -> Response:
        """Give a held slot back at once."""
        await rules.release(hold_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
