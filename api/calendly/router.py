"""HTTP routes of the mock Calendly service; thin: validate, call the service, shape the answer."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response, status

from api.calendly.deps import get_service, require_service
from api.calendly.models import (
    AppointmentTypeOut,
    AvailabilityOut,
    BookingDetails,
    BookingOut,
    BookingRequest,
    CancelRequest,
    Patient,
    iso_date,
    type_key,
)
from api.calendly.service import Availability, SchedulingService, ServiceError
from api.calendly.store import Booking
from core.appointment_types import APPOINTMENT_TYPES, TYPE_KEYS
from core.logging import mask_email

log = logging.getLogger("api.calendly")
router = APIRouter(prefix="/api/calendly", tags=["Calendly mock"])

BookingService = Annotated[SchedulingService, Depends(get_service("Failed to book the appointment"))]
LookupService = Annotated[SchedulingService, Depends(get_service("Failed to look up the booking"))]

ERRORS = {
    400: {"description": "A field is missing or malformed; `detail` names it."},
    404: {"description": "No such schedule, slot or booking."},
    500: {"description": "The slot data is empty or corrupt."},
}


def _out(booking: Booking) -> BookingOut:
    return BookingOut(
        booking_id=booking.booking_id,
        status=booking.status,
        confirmation_code=booking.confirmation_code,
        details=BookingDetails(
            appointment_type=booking.appointment_type,
            date=booking.date,
            start_time=booking.start_time,
            end_time=booking.end_time,
            patient=Patient.model_construct(
                name=booking.patient_name, email=booking.patient_email, phone=booking.patient_phone
            ),
            reason=booking.reason,
        ),
    )


async def _send_confirmation(request: Request, booking: Booking) -> None:
    """Stand-in for the external confirmation (e-mail/SMS) a real Calendly would send.

    Runs as a detached asyncio task, so neither the response nor an in-process (ASGI) caller
    waits for it, and no worker thread is parked.
    """

    async def deliver() -> None:
        await asyncio.sleep(request.app.state.confirmation_delay)
        log.info(
            "confirmation notice sent",
            extra={"booking_id": booking.booking_id, "to": mask_email(booking.patient_email)},
        )

    tasks: set[asyncio.Task[None]] = request.app.state.background
    task = asyncio.create_task(deliver())
    tasks.add(task)
    task.add_done_callback(tasks.discard)


@router.get("/appointment-types", response_model=list[AppointmentTypeOut])
async def appointment_types() -> list[AppointmentTypeOut]:
    """The appointment types with their duration in minutes."""
    return [AppointmentTypeOut(key=t.key, minutes=t.minutes, description=t.description) for t in APPOINTMENT_TYPES.values()]


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
        {"name": "date", "in": "query", "required": True, "schema": {"type": "string", "format": "date"},
         "description": "Date in YYYY-MM-DD format (clinic-local)."},
        {"name": "appointment_type", "in": "query", "required": True,
         "schema": {"type": "string", "enum": list(TYPE_KEYS)}, "description": "The appointment type key."},
    ]
}


@router.get("/availability", response_model=AvailabilityOut, responses=ERRORS, openapi_extra=_AVAILABILITY_PARAMS)
async def availability(request: Request) -> Response:
    """Free slots of a type on a date, in time order, and the next later date with a free slot.

    The hottest route, so it skips FastAPI's parameter machinery (~50 µs a request): the two
    query parameters (documented above) go through the models' own validators, and the answer
    is written as JSON directly.
    """
    date = request.query_params.get("date")
    appointment_type = request.query_params.get("appointment_type")
    problems, day, kind = [], None, None
    for name, value, parse in (("date", date, iso_date), ("appointment_type", appointment_type, type_key)):
        try:
            parsed = _query(name, value, parse)
        except ServiceError as exc:
            problems.append(exc.detail)
            continue
        day, kind = (parsed, kind) if name == "date" else (day, parsed)
    if problems:
        raise ServiceError(400, "; ".join(problems))
    service = await require_service(request, "Failed to fetch availability")
    result = await service.availability(day, kind)
    return Response(_availability_json(result), media_type="application/json")


_bodies: dict[int, tuple[Availability, bytes]] = {}


def _availability_json(result: Availability) -> bytes:
    """The JSON of an answer, serialised once per cached answer (the service reuses them)."""
    memo = _bodies.get(id(result))
    if memo is not None and memo[0] is result:
        return memo[1]
    body = json.dumps({
        "date": result.date.isoformat(),
        "appointment_type": result.appointment_type,
        "available_slots": [{"start_time": s.start_time, "end_time": s.end_time, "available": True} for s in result.slots],
        "next_available": result.next_available.isoformat() if result.next_available else None,
    }, separators=(",", ":")).encode()
    if len(_bodies) > 1000:
        _bodies.clear()
    _bodies[id(result)] = (result, body)
    return body


@router.post(
    "/book",
    response_model=BookingOut,
    status_code=status.HTTP_201_CREATED,
    responses={**ERRORS, 409: {"description": "The slot is taken; `alternatives` lists up to three free ones."}},
)
async def book(body: BookingRequest, request: Request, background: BackgroundTasks, service: BookingService) -> BookingOut:
    """Book a slot. Exactly one of any number of concurrent requests for a slot succeeds."""
    booking = await service.book(body)
    log.info(
        "booking confirmed",
        extra={"booking_id": booking.booking_id, "type": booking.appointment_type, "date": booking.date, "start": booking.start_time},
    )
    background.add_task(_send_confirmation, request, booking)
    return _out(booking)


@router.get("/bookings/{booking_id}", response_model=BookingOut, responses={403: {"description": "Wrong or missing code."}})
async def get_booking(
    booking_id: str,
    service: LookupService,
    confirmation_code: Annotated[str | None, Query(max_length=64)] = None,
) -> BookingOut:
    """A booking, for whoever holds its confirmation code."""
    return _out(await service.authorised(booking_id, confirmation_code))


@router.post(
    "/bookings/{booking_id}/cancel",
    response_model=BookingOut,
    responses={403: {"description": "Wrong or missing code."}, 409: {"description": "Already cancelled."}},
)
async def cancel_booking(booking_id: str, body: CancelRequest, service: LookupService) -> BookingOut:
    """Cancel a booking; its slot is free again at once."""
    booking = await service.cancel(booking_id, body.confirmation_code)
    log.info("booking cancelled", extra={"booking_id": booking.booking_id})
    return _out(booking)
