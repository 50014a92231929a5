"""HTTP routes of the mock Calendly service; thin: validate, call the rules, shape the answer.

`build_router(require_rules, notices)` binds the routes to one service's rules and notices. Its refusals (ServiceError)
and bad input are answered here, by the router's own route class, as `{"detail": ...}` with
a specific status, so the service answers the same wherever it is mounted.

No `from __future__ import annotations` here: the routes' dependencies are bound inside
`build_router`, and FastAPI reads string annotations in the module's globals only.
"""

import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from core import sqlite
from core.appointment_types import APPOINTMENT_TYPES, TYPE_KEYS
from core.errors import body_parse_message, validation_message
from core.logging import remember_patient_data
from scheduler.errors import ServiceError
from scheduler.models import (
    AppointmentTypeOut,
    AvailabilityOut,
    BookingDetails,
    BookingOut,
    BookingRequest,
    CancelRequest,
    ForgottenOut,
    Patient,
    iso_date,
    type_key,
)
from scheduler.notices import Notices
from scheduler.rules import Availability, BookingRules
from scheduler.store import Booking

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
            except HTTPException as exc:
                if (detail := body_parse_message(exc)) is None:
                    raise
                return JSONResponse({"detail": detail}, status_code=400)
            except sqlite3.OperationalError as exc:
                if not sqlite.is_busy(exc):
                    raise
                log.warning("database busy: %s answered 503", request.url.path)
                return JSONResponse(
                    {"detail": sqlite.BUSY_DETAIL},
                    status_code=503,
                    headers={"Retry-After": str(sqlite.BUSY_RETRY_AFTER_SECONDS)},
                )

        return route


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


def build_router(require_rules: RulesProvider, notices: Notices) -> APIRouter:
    """The service's routes under /api/calendly, bound to `service`."""
    router = APIRouter(prefix="/api/calendly", tags=["Calendly mock"], route_class=ServiceRoute)

    def rules_for(failure: str) -> Callable[[], Awaitable[BookingRules]]:
        async def dependency() -> BookingRules:
            return await require_rules(failure)

        return dependency

    booking_id_path = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$", description="The booking's id.")]
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

    @router.post(
        "/book",
        response_model=BookingOut,
        status_code=status.HTTP_201_CREATED,
        responses={
            **ERRORS,
            409: {"description": "The slot is taken; `alternatives` lists up to three free ones."},
            **BUSY,
        },
    )
    async def book(body: BookingRequest, rules: booking_rules) -> BookingOut:
        """Book a slot. Exactly one of any number of concurrent requests for a slot succeeds."""
        remember_patient_data(body.patient.email, body.patient.phone, body.reason, names=[body.patient.name])
        booking = await rules.book(body)
        log.info(
            "booking confirmed",
            extra={
                "booking_id": booking.booking_id,
                "type": booking.appointment_type,
                "date": booking.date,
                "start": booking.start_time,
            },
        )
        notices.confirm(booking)
        return _out(booking)

    @router.get("/bookings/{booking_id}", response_model=BookingOut, responses={**NOT_FOUND, **FORBIDDEN, **GONE})
    async def get_booking(
        booking_id: booking_id_path,
        rules: lookup_rules,
        confirmation_code: Annotated[str | None, Query(max_length=64)] = None,
    ) -> BookingOut:
        """A booking, for whoever holds its confirmation code."""
        return _out(await rules.authorised(booking_id, confirmation_code))

    @router.post(
        "/bookings/{booking_id}/cancel",
        response_model=BookingOut,
        responses={**NOT_FOUND, **FORBIDDEN, 409: {"description": "Already cancelled."}, **GONE, **BUSY},
    )
    async def cancel_booking(booking_id: booking_id_path, body: CancelRequest, rules: lookup_rules) -> BookingOut:
        """Cancel a booking; its slot is free again at once."""
        booking = await rules.cancel(booking_id, body.confirmation_code)
        log.info("booking cancelled", extra={"booking_id": booking.booking_id})
        return _out(booking)

    @router.post(
        "/bookings/{booking_id}/forget",
        response_model=ForgottenOut,
        responses={**NOT_FOUND, **FORBIDDEN, **GONE, **BUSY},
    )
    async def forget_booking(booking_id: booking_id_path, body: CancelRequest, rules: lookup_rules) -> ForgottenOut:
        """Erase the patient's name, e-mail, phone and reason from a booking (which cancels it
        and frees its slot), from the database files too; the slot record stays."""
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

    return router
