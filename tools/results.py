"""The shape of every tool result: compact JSON that says what happened and what to try next."""

from __future__ import annotations

import json
from typing import Any

from core.formats import day_label
from tools.http import ServiceReply

_ERRORS = {400: "invalid_request", 403: "forbidden", 404: "no_schedule", 409: "slot_taken"}


def dump(result: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in result.items() if v is not None}, separators=(",", ":"))


def failure(reply: ServiceReply, hint: str) -> dict[str, Any]:
    """A refusal or outage as a result the model can act on."""
    if reply.status == 0:
        return {
            "ok": False,
            "error": "service_unavailable",
            "message": reply.body.get("detail"),
            "hint": "Apologise, say the booking system is not reachable right now, and offer to try again shortly.",
        }
    error = _ERRORS.get(reply.status, "service_error")
    return {"ok": False, "error": error, "message": reply.body.get("detail"), "hint": hint}


def booking_view(body: dict[str, Any]) -> dict[str, Any]:
    """A booking as the service answered it (BookingOut), as the model and the views read it."""
    details = body["details"]
    return {
        "ok": True,
        "booking_id": body["booking_id"],
        "confirmation_code": body["confirmation_code"],
        "status": body.get("status", "confirmed"),
        "appointment_type": details["appointment_type"],
        "date": details["date"],
        "day": day_label(details["date"]),
        "start_time": details["start_time"],
        "end_time": details["end_time"],
    }


def alternatives(reply: ServiceReply) -> list[str]:
    """The free start times a 409 offers instead of the slot that was taken."""
    return [a["start_time"] for a in reply.body.get("alternatives", [])]
