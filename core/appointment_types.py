"""The clinic's appointment types: shared vocabulary of the service, the tools and the prompt."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AppointmentType:
    key: str  # what the tools and the API use
    minutes: int
    description: str
    label: str  # what patients read ("follow-up", never "followup")


APPOINTMENT_TYPES: dict[str, AppointmentType] = {
    t.key: t
    for t in (
        AppointmentType("consultation", 30, "A first visit with a general practitioner.", "consultation"),
        AppointmentType("followup", 15, "A short check-in about an ongoing treatment or test results.", "follow-up"),
        AppointmentType("physical", 45, "A full physical examination, for example a yearly check-up.", "physical"),
        AppointmentType("specialist", 60, "A longer visit with one of the clinic's specialists.", "specialist visit"),
    )
}

TYPE_KEYS: tuple[str, ...] = tuple(APPOINTMENT_TYPES)


def type_label(key: str) -> str:
    """The type's name in words; an unknown key is shown as given."""
    found = APPOINTMENT_TYPES.get(key)
    return found.label if found else key
