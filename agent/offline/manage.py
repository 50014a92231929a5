"""An existing booking in the offline model: look it up, move it, cancel it, or keep it.

The patient gives the confirmation code and the e-mail the booking was made with (or means the
booking made earlier in this conversation); `find_booking` looks it up. A cancellation is then
one gated `cancel_booking` call; a move goes through the ordinary search (a day, the offer, a
pick: see policy.py), whose pick becomes a gated `reschedule_booking` instead of `book_slot`.
"Cancel my appointment" is this flow, never a "no"; a "no" at the confirmation keeps the booking.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from agent.offline.replies import Replies
from agent.offline.state import CANCEL, FIND, MOVE, Event, PatientTurn, State
from core.appointment_types import type_label
from core.formats import day_label

MANAGE_TOOLS = (FIND, MOVE, CANCEL)


def _when(say: Replies, booking: dict[str, Any]) -> str:
    return f"{day_label(date.fromisoformat(str(booking['date'])))} at {say.clock(str(booking['start_time']))}"


def _what(booking: dict[str, Any]) -> str:
    return f"your {type_label(str(booking.get('appointment_type')))}"


def find_call(state: State) -> tuple[str, dict[str, Any]] | None:
    """The lookup, once the code and the e-mail are both known."""
    if state.code and state.email:
        return FIND, {"confirmation_code": state.code, "patient_email": state.email}
    return None


def cancel_call(found: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return CANCEL, {"booking_id": found["booking_id"], "confirmation_code": found["confirmation_code"]}


def move_call(found: dict[str, Any], day: date, start: str) -> tuple[str, dict[str, Any]]:
    args = {"booking_id": found["booking_id"], "confirmation_code": found["confirmation_code"]}
    return MOVE, {**args, "date": day.isoformat(), "start_time": start}


def on_patient(state: State, turn: PatientTurn, say: Replies) -> tuple[str, dict[str, Any]] | str | None:
    """The step for a patient message about an existing booking: a tool call, a reply, or None
    (not about one, or a move that goes on through the ordinary search)."""
    u = turn.utterance
    if turn.rejected and turn.rejected_tool in (MOVE, CANCEL) and state.manage is None:
        return kept(say, state.found)
    if u.manage == "keep" and (state.found or u.cancel):
        return kept(say, state.found)
    if state.manage is None:
        return None
    if state.found is None:
        return find_call(state) or ask_code_and_email(state, say)
    if state.manage == "cancel":
        return cancel_call(state.found)
    if state.manage == "look":
        return f"That is {_what(state.found)} on {_when(say, state.found)}. Would you like to move it, or cancel it?"
    if state.day is None:
        if not (u.manage or u.code or u.has_slot_facts or u.same_day):
            # asked already, and this message gives nothing to search: say what to send, or how to stop
            return (
                f"{_what(state.found).capitalize()} stays on {_when(say, state.found)} for now. To move it, tell me "
                'the new day, or just a time for the same day (for example "4 PM the same day"); '
                'or say "keep it" to leave it as it is.'
            )
        return f"I found {_what(state.found)} on {_when(say, state.found)}. Which day would you like instead?"
    return None


def after(state: State, event: Event, say: Replies) -> tuple[str, dict[str, Any]] | str | None:
    """The step after a find/move/cancel result; None: the ordinary search goes on (a move's day)."""
    res = event.result or {}
    if event.name == FIND:
        if not res.get("ok"):
            if res.get("error") == "not_found":
                return (
                    "I couldn't find a booking with that confirmation code and e-mail address. "
                    "Could you check both and send them again?"
                )
            return say.service_down()
        if res.get("status") == "cancelled":
            return f"That booking ({_what(res)} on {_when(say, res)}) is already cancelled. Shall I book a new one?"
        if state.manage == "cancel":
            return cancel_call(res)
        if state.manage == "look":
            return f"I found {_what(res)} on {_when(say, res)}. Would you like to move it to another day, or cancel it?"
        if state.day is None:
            return f"I found {_what(res)} on {_when(say, res)}. Which day would you like instead?"
        return None
    if res.get("ok") and event.name == CANCEL:
        return f"Done: {_what(res)} on {_when(say, res)} is cancelled. Is there anything else I can help with?"
    if res.get("ok"):
        return (
            f"Done: {_what(res)} is now on {_when(say, res)}–{say.clock(str(res['end_time']))}. "
            f"Your confirmation code stays {res['confirmation_code']}. Is there anything else I can help with?"
        )
    if res.get("error") == "cancelled":
        return "That booking is already cancelled, so there is nothing to change. Shall I book a new appointment?"
    if res.get("error") == "service_unavailable":
        return say.service_down()
    if event.name == MOVE and res.get("error") == "slot_taken":
        return None  # the ordinary search looks at that day again
    return f"Sorry, the booking system refused that: {res.get('message') or 'unknown error'}"


def ask_code_and_email(state: State, say: Replies, lead: str | None = None) -> str:
    verb = {"cancel": "cancel", "move": "move"}.get(state.manage or "", "look up")
    if lead is None:
        lead = "I couldn't find that booking. " if state.not_found else f"I can {verb} your booking. "
    if state.code and not state.email:
        return lead + "What e-mail address did you book with?"
    if state.email and not state.code:
        return lead + "What is your confirmation code? It is in your booking confirmation (8 letters and digits)."
    return (
        lead + "Please send me your confirmation code (8 letters and digits, in your booking confirmation) "
        "and the e-mail address you booked with."
    )


def kept(say: Replies, found: dict[str, Any] | None) -> str:
    if found:
        return f"OK, I've left {_what(found)} on {_when(say, found)} as it is. Is there anything else I can help with?"
    return "OK, nothing is changed. Is there anything else I can help with?"
