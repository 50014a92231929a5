"""The one event format every view of a conversation consumes (terminal, SSE, scripts, widget).

`session` {session_id, time_format} · `token` {text} · `tool_call` {id, name, args} ·
`tool_result` {id, name, ok, data, ms} · `confirm` {id, name, args, summary, current?} ·
`done` {reply, booking | null, pending, usage} · `error` {message, retryable} ·
`safety` {category, message} (a red-flag emergency: the turn ends with this guidance, no model call).
Every turn ends with exactly one `done` or `error`.
"""

from __future__ import annotations

import json
from typing import Any

from core.appointment_types import type_label
from core.formats import TimeFormat, clock_label, day_label, is_hhmm

Event = dict[str, Any]
TERMINAL = ("done", "error")

MODEL_UNAVAILABLE = "Sorry, the assistant is unavailable right now. Please try again in a moment."


def session(session_id: str, time_format: TimeFormat = "12h") -> Event:
    """`time_format` tells the views how the clinic shows times (the widget's buttons and cards)."""
    return {"type": "session", "session_id": session_id, "time_format": time_format}


def token(text: str) -> Event:
    return {"type": "token", "text": text}


def tool_call(call_id: str, name: str, args: dict[str, Any]) -> Event:
    return {"type": "tool_call", "id": call_id, "name": name, "args": args}


def tool_result(call_id: str, name: str, content: Any, status: str | None = None) -> Event:
    """Parse a tool's JSON result; a non-JSON result (an argument error) is a failure."""
    try:
        data = json.loads(content) if isinstance(content, str) else content
    except ValueError:
        data = None
    if not isinstance(data, dict):
        data = {"message": str(content)}
        ok = False
    else:
        ok = bool(data.get("ok", status != "error"))
    return {"type": "tool_result", "id": call_id, "name": name, "ok": ok, "data": data}


def confirm(
    call_id: str, name: str, args: dict[str, Any], summary: str | None = None, current: dict[str, Any] | None = None
) -> Event:
    """`summary`: the confirmation step's own description of the call (agent/graph.py), if any;
    `current`: for a reschedule or cancellation, the booking as it is now (the card's "from")."""
    event = {"type": "confirm", "id": call_id, "name": name, "args": args}
    event["summary"] = summary or change_summary(name, args, current)
    if current is not None:
        event["current"] = current
    return event


def done(
    reply: str, booking: dict[str, Any] | None, pending: Event | None = None, usage: dict[str, int] | None = None
) -> Event:
    """`pending` is the confirm event the session now waits for; `usage` the model's tokens this turn."""
    return {"type": "done", "reply": reply, "booking": booking, "pending": pending, "usage": usage}


def safety(category: str, message: str) -> Event:
    """The safety guard's emergency guidance (agent/safety.py); the views show it prominently."""
    return {"type": "safety", "category": category, "message": message}


def error(message: str, retryable: bool) -> Event:
    return {"type": "error", "message": message, "retryable": retryable}


def booking_summary(args: dict[str, Any], time_format: TimeFormat = "12h") -> str:
    """What the patient is asked to confirm, in words: the type's name, the weekday, the time as
    the clinic shows times ("Book a follow-up on Tuesday, December 1 at 9:00 AM for ...?")."""
    who = ", ".join(str(args[k]) for k in ("patient_name", "patient_email", "patient_phone") if args.get(k))
    return f"Book {a_type_phrase(str(args.get('appointment_type')))} on {_when(args, time_format)} for {who}?"


def _when(booking: dict[str, Any], time_format: TimeFormat) -> str:
    try:
        day = day_label(str(booking.get("date")))
    except ValueError:
        day = str(booking.get("date"))
    start = str(booking.get("start_time"))
    return f"{day} at {clock_label(start, time_format) if is_hhmm(start) else start}"


def change_summary(
    name: str, args: dict[str, Any], current: dict[str, Any] | None, time_format: TimeFormat = "12h"
) -> str:
    """What the patient confirms for a gated call: a booking, a move (from -> to), a cancellation.
    `current` is the booking being changed, as find_booking returned it (None if not known)."""
    if name == "book_slot":
        return booking_summary(args, time_format)
    what = f"your {type_label(str(current['appointment_type']))}" if current else "your booking"
    code = args.get("confirmation_code", "")
    if name == "reschedule_booking":
        was = f" from {_when(current, time_format)}" if current else ""
        return f"Move {what} (code {code}){was} to {_when(args, time_format)}?"
    on = f" on {_when(current, time_format)}" if current else ""
    return f"Cancel {what}{on} (code {code})?"


def a_type_phrase(type_key: str) -> str:
    """'a follow-up', 'a specialist visit', 'an annual ...': the type in words, with its article."""
    label = type_label(type_key)
    return f"{'an' if label[:1].lower() in 'aeiou' else 'a'} {label}"
