"""Request and response models of the scheduling API: validation happens here, at the boundary."""

from __future__ import annotations

import re
from datetime import date as Date
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from core.appointment_types import TYPE_KEYS
from core.formats import DATE_PATTERN, is_email, is_hhmm
from core.text import check_characters

_DATE = re.compile(DATE_PATTERN)
_PHONE_CHARS = re.compile(r"^\+?[\d\s().-]+$")


def iso_date(value: object) -> Date:
    if isinstance(value, Date):
        return value
    text = str(value).strip()
    if _DATE.match(text):
        try:
            return Date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"must be a real calendar date in YYYY-MM-DD format, got {value!r}")


def type_key(value: object) -> str:
    text = str(value).strip().lower()
    if text not in TYPE_KEYS:
        raise ValueError(f"must be one of {', '.join(TYPE_KEYS)}; got {value!r}")
    return text


def _start_time(value: object) -> str:
    text = str(value).strip()
    if not is_hhmm(text):
        raise ValueError(f"must be a 24-hour time HH:MM, got {value!r}")
    return text


def _email(value: str) -> str:
    text = value.strip()
    if not is_email(text):
        raise ValueError(f"must be a valid e-mail address like name@example.com, got {value!r}")
    return text


def _phone(value: str) -> str:
    text = value.strip()
    digits = sum(ch.isdigit() for ch in text)
    if not _PHONE_CHARS.match(text) or not 7 <= digits <= 15:
        raise ValueError("must be a phone number of 7 to 15 digits (spaces, dashes, brackets and a leading + allowed)")
    return text


def _name(value: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise ValueError("must not be empty")
    return text


def _one_line(value: str) -> str:
    return check_characters(value)


def _lines(value: str) -> str:
    return check_characters(value, multiline=True)


def _optional_lines(value: str | None) -> str | None:
    return None if value is None else _lines(value)


IsoDate = Annotated[Date, BeforeValidator(iso_date)]
TypeKey = Annotated[str, BeforeValidator(type_key)]
HHMM = Annotated[str, BeforeValidator(_start_time)]
HoldId = Annotated[str, Field(min_length=1, max_length=64, description="The hold that keeps this slot for you.")]


class SlotOut(BaseModel):
    start_time: str
    end_time: str
    available: bool = True


class AvailabilityOut(BaseModel):
    date: Date
    appointment_type: str
    available_slots: list[SlotOut]
    next_available: Date | None


class Patient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_one_line), AfterValidator(_name)]
    email: Annotated[str, Field(min_length=1), AfterValidator(_one_line), AfterValidator(_email)]
    phone: Annotated[str, Field(min_length=1, max_length=32), AfterValidator(_one_line), AfterValidator(_phone)]


class BookingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    appointment_type: TypeKey
    date: IsoDate
    start_time: HHMM
    patient: Patient
    reason: Annotated[str | None, Field(max_length=500), AfterValidator(_optional_lines)] = None
    hold_id: HoldId | None = None


class BookingDetails(BaseModel):
    appointment_type: str
    date: Date
    start_time: str
    end_time: str
    patient: Patient
    reason: str | None = None


class BookingOut(BaseModel):
    booking_id: str
    status: str
    confirmation_code: str
    details: BookingDetails


class CancelRequest(BaseModel):
    confirmation_code: str = Field(min_length=1, max_length=64)


class LookupRequest(BaseModel):
    """Find a booking without its id: the code and the e-mail it was made with, both required."""

    model_config = ConfigDict(extra="forbid")

    confirmation_code: str = Field(min_length=1, max_length=64)
    email: str = Field(min_length=1, max_length=254)


class RescheduleRequest(BaseModel):
    """Move a booking to another slot; `appointment_type` unset keeps the booking's type."""

    model_config = ConfigDict(extra="forbid")

    confirmation_code: str = Field(min_length=1, max_length=64)
    date: IsoDate
    start_time: HHMM
    appointment_type: TypeKey | None = None
    hold_id: HoldId | None = None


class SlotRef(BaseModel):
    appointment_type: str
    date: Date
    start_time: str
    end_time: str


class BookingEventOut(BaseModel):
    """One change of a booking: `created` (to_slot), `rescheduled` (from_slot -> to_slot) or
    `cancelled` (from_slot), at the service clock's time (UTC)."""

    event: Literal["created", "rescheduled", "cancelled"]
    at: datetime
    from_slot: SlotRef | None = None
    to_slot: SlotRef | None = None


class BookingWithHistoryOut(BookingOut):
    history: list[BookingEventOut] = Field(description="The booking's changes, oldest first.")


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    appointment_type: TypeKey
    date: IsoDate
    start_time: HHMM


class HoldOut(BaseModel):
    """A slot kept out of availability until `expires_at`; book it by sending `hold_id`."""

    hold_id: str
    expires_at: datetime
    appointment_type: str
    date: Date
    start_time: str


class AppointmentTypeOut(BaseModel):
    key: str
    minutes: int
    description: str


class ForgottenOut(BaseModel):
    """What is left of a booking after its personal data was erased: the slot record."""

    booking_id: str
    status: str
    appointment_type: str
    date: Date
    start_time: str
    end_time: str
    forgotten_at: str
