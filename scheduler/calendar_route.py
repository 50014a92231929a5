"""`GET /api/calendly/bookings/{id}.ics`: the booking's calendar file, for whoever holds its code.

The same bytes as the attachment of the booking's newest notice (scheduler/mailer.py), so
"Add to calendar" and the e-mail agree on UID and SEQUENCE.

No `from __future__ import annotations`: FastAPI reads these annotations at definition time.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from scheduler.notices import NoticeSender
from scheduler.rules import BookingRules

ICS_MEDIA_TYPE = "text/calendar"


def add_calendar_route(router: APIRouter, lookup: Callable[[], Awaitable[BookingRules]], notices: NoticeSender) -> None:
    """Add the route to `router`; call it before `/bookings/{booking_id}`, which would match first."""

    @router.get(
        "/bookings/{booking_id}.ics",
        response_class=Response,
        responses={
            200: {"content": {ICS_MEDIA_TYPE: {}}, "description": "The booking as an iCalendar file."},
            403: {"description": "Wrong or missing code."},
            404: {"description": "No such booking."},
        },
    )
    async def booking_calendar(
        booking_id: str,
        rules: Annotated[BookingRules, Depends(lookup)],
        confirmation_code: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Response:
        """The booking's .ics (a cancelled booking's is its METHOD:CANCEL), to add to a calendar."""
        booking, _ = await rules.authorised(booking_id, confirmation_code)
        return Response(
            await notices.calendar_file(booking),
            media_type=ICS_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{booking.booking_id}.ics"'},
        )
