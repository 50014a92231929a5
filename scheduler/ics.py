"""The booking as an iCalendar file (RFC 5545, built with `icalendar`), for the patient's calendar.

One UID per booking for its whole life, so a calendar updates the same entry; SEQUENCE is the
outbox's count of changes (0 booked, +1 each reschedule or cancellation), so the newest file
wins; a cancellation is METHOD:CANCEL with STATUS:CANCELLED, which removes the entry.
Times are the clinic's wall time with its TZID (and VTIMEZONE), as the schedule defines them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from core.appointment_types import type_label

PRODID = "-//scheduling-agent//clinic bookings//EN"


@dataclass(frozen=True)
class Clinic:
    """What a notice says about the clinic."""

    name: str
    timezone: ZoneInfo
    uid_domain: str = "scheduling-agent.invalid"


def type_words(appointment_type: str) -> str:
    """`followup` -> "Follow-up": the type as a patient reads it, capitalised for a title."""
    label = type_label(appointment_type)
    return label[:1].upper() + label[1:]


def booking_times(booking: dict[str, Any], tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The booking's start and end, aware, in the clinic's time zone."""
    day = booking["date"]
    return (
        datetime.fromisoformat(f"{day}T{booking['start_time']}").replace(tzinfo=tz),
        datetime.fromisoformat(f"{day}T{booking['end_time']}").replace(tzinfo=tz),
    )


def uid(booking_id: str, clinic: Clinic) -> str:
    return f"{booking_id}@{clinic.uid_domain}"


def calendar(booking: dict[str, Any], sequence: int, cancelled: bool, stamp: float, clinic: Clinic) -> bytes:
    """The .ics bytes for the booking as it was at change number `sequence`, made at `stamp`
    (Unix time): the same inputs give the same bytes, in the e-mail and from the endpoint."""
    start, end = booking_times(booking, clinic.timezone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid(booking["booking_id"], clinic))
    event.add("sequence", sequence)
    event.add("dtstamp", datetime.fromtimestamp(int(stamp), UTC))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", f"{type_words(booking['appointment_type'])} at {clinic.name}")
    event.add("location", clinic.name)
    event.add("description", f"Confirmation code: {booking['confirmation_code']}")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
