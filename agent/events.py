"""The one event format every view of a conversation consumes (terminal, SSE, scripts, widget).

`session` {session_id} · `token` {text} · `tool_call` {id, name, args} ·
`tool_result` {id, name, ok, data, ms} · `confirm` {id, name, args, summary} ·
`done` {reply, booking | null, pending, usage} · `error` {message, retryable}.
Every turn ends with exactly one `done` or `error`.
"""

from __future__ import annotations

import json
from typing import Any

from core.formats import day_label

Event = dict[str, Any]
TERMINAL = ("done", "error")

MODEL_UNAVAILABLE = "Sorry, the assistant is unavailable right now. Please try again in a moment."


def session(session_id: str) -> Event:
    return {"type": "session", "session_id": session_id}


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


def confirm(call_id: str, name: str, args: dict[str, Any]) -> Event:
    return {"type": "confirm", "id": call_id, "name": name, "args": args, "summary": booking_summary(args)}


def done(
    reply: str, booking: dict[str, Any] | None, pending: Event | None = None, usage: dict[str, int] | None = None
) -> Event:
    """`pending` is the confirm event the session now waits for; `usage` the model's tokens this turn."""
    return {"type": "done", "reply": reply, "booking": booking, "pending": pending, "usage": usage}


def error(message: str, retryable: bool) -> Event:
    return {"type": "error", "message": message, "retryable": retryable}


def booking_summary(args: dict[str, Any]) -> str:
    """What the patient is asked to confirm, in words."""
    try:
        day = day_label(str(args.get("date")))
    except ValueError:
        day = str(args.get("date"))
    who = ", ".join(str(args[k]) for k in ("patient_name", "patient_email", "patient_phone") if args.get(k))
    return f"Book a {args.get('appointment_type')} appointment on {day} at {args.get('start_time')} for {who}?"
