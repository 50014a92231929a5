"""Reading a session's history: the one place that walks a checkpointed conversation.

The transcript (what patients and staff see), the conversation split into turns (what the
playground exports as a script), the bookings it made and the confirmation it waits for all
come from the same walk over the messages and the patient's confirmation answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agent import events
from agent.confirmation import DECLINED_BY_BUTTON

CHANGE_TOOLS = ("book_slot", "reschedule_booking", "cancel_booking")  # results that are a booking
FOUND_TOOLS = (*CHANGE_TOOLS, "find_booking")  # results that show a booking as it then was


def pending_confirmation(interrupts: Iterable[Any], messages: Sequence[BaseMessage]) -> events.Event | None:
    """The confirm event for a run paused by the human-in-the-loop step, if it is paused."""
    for interrupt in interrupts:
        for request in interrupt.value.get("action_requests", []):
            summary, args = request.get("description"), request["args"]
            current = booking_changed_by(args, messages)
            return events.confirm(_call_id(messages, request), request["name"], args, summary, current)
    return None


def booking_changed_by(args: dict[str, Any], messages: Sequence[BaseMessage]) -> dict[str, Any] | None:
    """The booking a move or cancellation with these arguments changes, as the conversation last
    saw it (None for a new booking, or one the conversation never found)."""
    return found_booking(messages, str(args["booking_id"])) if "booking_id" in args else None


def found_booking(messages: Sequence[BaseMessage], booking_id: str) -> dict[str, Any] | None:
    """The booking `booking_id` as the conversation last saw it (find_booking or a reschedule)."""
    for message in reversed(messages):
        found = _ok_result(message, FOUND_TOOLS)
        if found is not None and found.get("booking_id") == booking_id:
            return found
    return None


def _call_id(messages: Sequence[BaseMessage], request: dict[str, Any]) -> str:
    """The id of the model's tool call that a confirmation request stands for."""
    for message in reversed(messages):
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                if call["name"] == request["name"] and call["args"] == request["args"]:
                    return str(call["id"])
            break
    return ""


def _around_tool_call(messages: Sequence[BaseMessage]) -> bool:
    last = messages[-1] if messages else None
    return isinstance(last, ToolMessage) or (isinstance(last, AIMessage) and bool(last.tool_calls))


def booking_result(message: BaseMessage) -> dict[str, Any] | None:
    """The result of a successful `book_slot` call, if `message` is one."""
    return _ok_result(message, ("book_slot",))


def _ok_result(message: BaseMessage, names: Sequence[str]) -> dict[str, Any] | None:
    """The result of a successful call of one of the tools `names`, if `message` is one."""
    if not isinstance(message, ToolMessage) or message.name not in names or not isinstance(message.content, str):
        return None
    try:
        data = json.loads(message.content)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("ok") else None


def latest_booking(messages: Sequence[BaseMessage]) -> dict[str, Any] | None:
    """The booking the conversation last made, moved or cancelled, as it then was."""
    for message in reversed(messages):
        if (found := _ok_result(message, CHANGE_TOOLS)) is not None:
            return found
    return None


@dataclass
class ModelReply:
    """One model answer, and the booking the conversation had made before it (if any)."""

    text: str
    tool_calls: list[dict[str, Any]]
    booking_before: dict[str, Any] | None


@dataclass
class HistoryTurn:
    """From a patient message (or confirmation answer) to the next one."""

    input: dict[str, Any]  # {"user": text} or {"confirm": False} (declined by button)
    replies: list[ModelReply] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)  # {id, name, args}
    results: list[events.Event] = field(default_factory=list)  # tool_result events
    answered: set[str] = field(default_factory=set)  # tool call ids with a result


@dataclass
class SessionHistory:
    """A session's conversation as checkpointed, and the confirmation it waits for."""

    session_id: str
    messages: list[BaseMessage]
    answers: list[dict[str, Any]]  # the patient's confirmation answers, by tool call id
    pending: events.Event | None
    # The last run stopped around a tool call (its process died, or it was cut off): a tool ran
    # or was about to, and the model has not answered its result yet.
    cut: bool = False

    @classmethod
    def from_state(cls, session_id: str, state: Any) -> SessionHistory:
        messages = list(state.values.get("messages", []))
        return cls(
            session_id,
            messages,
            list(state.values.get("answers", [])),
            pending_confirmation(state.interrupts, messages),
            cut=bool(state.next) and not state.interrupts and _around_tool_call(messages),
        )

    def transcript(self) -> list[dict[str, Any]]:
        """The conversation as the patient and staff see it, tool calls and results included."""
        answers = {a["tool_call_id"]: a for a in self.answers}
        entries: list[dict[str, Any]] = []
        for msg in self.messages:
            if isinstance(msg, HumanMessage):
                entries.append({"role": "user", "text": msg.text})
            elif isinstance(msg, AIMessage):
                if msg.text:
                    entries.append({"role": "assistant", "text": msg.text})
                for call in msg.tool_calls:
                    entries.append({"role": "tool_call", "id": call["id"], "name": call["name"], "args": call["args"]})
            elif isinstance(msg, ToolMessage):
                if answer := answers.get(msg.tool_call_id):
                    entries.append({"role": "user", "text": answer["text"], "confirmation": answer["approved"]})
                result = events.tool_result(msg.tool_call_id, str(msg.name), msg.content, msg.status)
                entries.append({"role": "tool_result", **{k: v for k, v in result.items() if k != "type"}})
        return entries

    def turns(self) -> list[HistoryTurn]:
        """The conversation split at each patient message and each confirmation answer."""
        by_call = {a["tool_call_id"]: a for a in self.answers}
        turns: list[HistoryTurn] = []
        latest: dict[str, Any] | None = None
        for message in self.messages:
            if isinstance(message, HumanMessage):
                turns.append(HistoryTurn({"user": str(message.text)}))
            elif isinstance(message, ToolMessage) and message.tool_call_id in by_call:
                answer = by_call[message.tool_call_id]
                by_button = not answer["approved"] and answer["text"] == DECLINED_BY_BUTTON
                turns.append(HistoryTurn({"confirm": False} if by_button else {"user": str(answer["text"])}))
            if not turns:
                continue
            turn = turns[-1]
            if isinstance(message, AIMessage):
                calls = [{"id": c["id"], "name": c["name"], "args": dict(c["args"])} for c in message.tool_calls]
                turn.replies.append(ModelReply(str(message.text), calls, latest))
                turn.calls.extend(calls)
            elif isinstance(message, ToolMessage):
                turn.results.append(
                    events.tool_result(message.tool_call_id, str(message.name), message.content, message.status)
                )
                turn.answered.add(message.tool_call_id)
                latest = booking_result(message) or latest
        return turns

    def bookings(self) -> list[dict[str, Any]]:
        """The bookings the conversation made: date, start time, type and the patient's e-mail."""
        args = {str(c["id"]): c["args"] for m in self.messages if isinstance(m, AIMessage) for c in m.tool_calls}
        made = []
        for message in self.messages:
            if (result := booking_result(message)) is not None:
                made.append(
                    {
                        "date": result.get("date"),
                        "start_time": result.get("start_time"),
                        "appointment_type": result.get("appointment_type"),
                        "patient_email": args.get(str(getattr(message, "tool_call_id", "")), {}).get("patient_email"),
                    }
                )
        return made
