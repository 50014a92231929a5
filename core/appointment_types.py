"""The clinic's appointment types: shared vocabulary of the service, the tools and the prompt."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AppointmentType:
    key: str
    minutes: int
    description: str


APPOINTMENT_TYPES: dict[str, AppointmentType] = {
    t.key: t
    for t in (
        AppointmentType("consultation", 30, "A first visit with a general practitioner."),
        AppointmentType("followup", 15, "A short check-in about an ongoing treatment or test results."),
        AppointmentType("physical", 45, "A full physical examination, for example a yearly check-up."),
        AppointmentType("specialist", 60, "A longer visit with one of the clinic's specialists."),
    )
}

TYPE_KEYS: tuple[str, ...] = tuple(APPOINTMENT_TYPES)
