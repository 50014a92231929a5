"""Argument schemas of the tools: the field descriptions are what teaches the model the formats."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, Field

from core.appointment_types import APPOINTMENT_TYPES
from core.formats import DATE_PATTERN, HHMM_PATTERN, TIME_OF_DAY_PATTERN

TypeKey = Literal["consultation", "followup", "physical", "specialist"]
assert set(get_args(TypeKey)) == set(APPOINTMENT_TYPES)

_TYPES = "; ".join(f"{t.key} ({t.minutes} min): {t.description}" for t in APPOINTMENT_TYPES.values())


class CheckAvailabilityArgs(BaseModel):
    """Find free appointment slots on one day."""

    date: str = Field(
        description="The day to check, as an ISO date YYYY-MM-DD in the clinic's time zone "
        "(resolve words like 'next Tuesday' against today's date first).",
        pattern=DATE_PATTERN,
    )
    appointment_type: TypeKey = Field(description=f"One of the four appointment type keys: {_TYPES}.")
    time_of_day: str | None = Field(
        default=None,
        description="Optional narrowing: 'morning' (before 12:00), 'afternoon' (12:00-17:00), "
        "'evening' (from 17:00), 'after HH:MM', 'before HH:MM', or a range 'HH:MM-HH:MM' (24-hour).",
        pattern=TIME_OF_DAY_PATTERN,
    )


class BookSlotArgs(BaseModel):
    """Book one slot that check_availability returned, after the patient confirmed it."""

    date: str = Field(description="The slot's day, ISO date YYYY-MM-DD.", pattern=DATE_PATTERN)
    start_time: str = Field(
        description="The slot's start time exactly as check_availability returned it, 24-hour HH:MM (e.g. 14:30).",
        pattern=f"^{HHMM_PATTERN}$",
    )
    appointment_type: TypeKey = Field(description="The appointment type key the slot was checked for.")
    patient_name: str = Field(description="The patient's full name as they gave it.", min_length=1, max_length=120)
    patient_email: str = Field(
        description="The patient's e-mail address, e.g. jane@example.com.", min_length=3, max_length=254
    )
    patient_phone: str = Field(
        description="The patient's phone number as they gave it (7 to 15 digits).", min_length=7, max_length=32
    )
    reason: str | None = Field(
        default=None, description="Optional short reason for the visit, in the patient's words.", max_length=500
    )


class FindBookingArgs(BaseModel):
    """Look up a patient's booking by its confirmation code and the e-mail it was made with."""

    confirmation_code: str = Field(description="The code the patient gives, e.g. K7Q2XD.", min_length=4, max_length=64)
    patient_email: str = Field(description="The e-mail the booking was made with.", min_length=3, max_length=254)


class _FoundBooking(BaseModel):
    booking_id: str = Field(description="From find_booking.", min_length=1, max_length=64)
    confirmation_code: str = Field(description="From find_booking.", min_length=4, max_length=64)


class RescheduleBookingArgs(_FoundBooking):
    """Move a booking that find_booking returned to a free slot, after the patient confirmed it."""

    date: str = Field(description="New day, YYYY-MM-DD.", pattern=DATE_PATTERN)
    start_time: str = Field(
        description="New start, HH:MM as check_availability returned it.", pattern=f"^{HHMM_PATTERN}$"
    )


class CancelBookingArgs(_FoundBooking):
    """Cancel a booking that find_booking returned, after the patient confirmed it."""
