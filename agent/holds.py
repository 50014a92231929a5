"""The slot is held while the patient decides: placed when the confirmation is asked, used by the
booking, given back when the patient says no.

When the model's reply asks for a gated `book_slot` or `reschedule_booking`, a hold is placed on
the slot (tools/holds.py) before the confirmation step pauses the run, and its id is kept in the
reply's metadata (checkpointed with it, never shown to the model or in the call's arguments).
When the call runs after the patient's yes, the id goes with it (tools/context.py, never an
argument the model could set) and the service uses it up; when the patient said no, or the
call was refused (a bad e-mail), the hold is given back at once; so it is when the patient's
answer was an emergency (the safety guard ends that turn before any model call, so the hold is
given back as the run ends). A hold that could
not be placed changes nothing: the booking meets the slot as it is then.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from agent.confirmation import REJECTED
from agent.history import booking_changed_by
from agent.safety import is_safety_reply
from tools.context import call_context
from tools.holds import SlotHolds

HOLDS_KEY = "slot_holds"  # AIMessage.response_metadata: {tool call id: hold id}
HELD_TOOLS = ("book_slot", "reschedule_booking")


def _holds_of(message: BaseMessage) -> dict[str, str]:
    holds = message.response_metadata.get(HOLDS_KEY) if isinstance(message, AIMessage) else None
    return dict(holds) if isinstance(holds, dict) else {}


def _slot(call: dict[str, Any], messages: Sequence[BaseMessage]) -> tuple[str, str, str] | None:
    """(type, date, start) the call would take; a move keeps the found booking's type."""
    args = call.get("args") or {}
    kind = args.get("appointment_type")
    if call["name"] == "reschedule_booking":
        found = booking_changed_by(args, messages)
        kind = found.get("appointment_type") if found else None
    if not (kind and args.get("date") and args.get("start_time")):
        return None
    return str(kind), str(args["date"]), str(args["start_time"])


class SlotHoldMiddleware(AgentMiddleware[Any, Any]):
    """Holds the slot of every gated booking or move while its confirmation waits."""

    def __init__(self, holds: SlotHolds) -> None:
        super().__init__()
        self.holds = holds

    async def awrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], Awaitable[ModelResponse]]
    ) -> ModelResponse | AIMessage:
        await self._release_declined(request.messages)
        response = await handler(request)
        messages = response.result if isinstance(response, ModelResponse) else [response]
        reply = messages[-1] if messages else None
        if not isinstance(reply, AIMessage) or not any(c["name"] in HELD_TOOLS for c in reply.tool_calls):
            return response
        held = await self._hold(reply, request.messages)
        if not held:
            return response
        reply = reply.model_copy(update={"response_metadata": {**reply.response_metadata, HOLDS_KEY: held}})
        if isinstance(response, ModelResponse):
            return ModelResponse(result=[*messages[:-1], reply], structured_response=response.structured_response)
        return reply

    async def _hold(self, reply: AIMessage, messages: Sequence[BaseMessage]) -> dict[str, str]:
        held = {}
        for call in reply.tool_calls:
            if call["name"] in HELD_TOOLS and (slot := _slot(dict(call), messages)):
                if hold_id := await self.holds.place(*slot):
                    held[str(call["id"])] = hold_id
        return held

    async def _release_declined(self, messages: Sequence[BaseMessage]) -> None:
        """Give back the hold of a call the patient has just said no to."""
        last = messages[-1] if messages else None
        if not (isinstance(last, ToolMessage) and last.status == "error" and REJECTED.match(str(last.content))):
            return
        for message in reversed(messages):
            if isinstance(message, AIMessage) and message.tool_calls:  # the reply that asked
                if hold_id := _holds_of(message).get(last.tool_call_id):
                    await self.holds.release(hold_id)
                return

    async def aafter_agent(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        """An emergency typed at the card: the guard answered without a model call, so the
        declined call's hold is given back here, as the run ends."""
        messages = state.get("messages", []) if isinstance(state, dict) else []
        if len(messages) >= 2 and is_safety_reply(messages[-1]):
            await self._release_declined(messages[:-1])
        return None

    async def awrap_tool_call(self, request: Any, handler: Callable[[Any], Awaitable[Any]]) -> Any:
        call = request.tool_call
        if call["name"] not in HELD_TOOLS:
            return await handler(request)
        messages = request.state.get("messages", []) if isinstance(request.state, dict) else []
        for message in reversed(messages):
            if isinstance(message, AIMessage) and (hold_id := _holds_of(message).get(str(call["id"]))):
                with call_context(hold_id=hold_id):
                    result = await handler(request)
                if not _succeeded(result):  # refused (a bad e-mail...): the next try must not meet it
                    await self.holds.release(hold_id)
                return result
        return await handler(request)


def _succeeded(result: Any) -> bool:
    """Whether a tool's result says it did what it was asked (its JSON has `"ok": true`)."""
    content = result.content if isinstance(result, ToolMessage) else None
    try:
        data = json.loads(content) if isinstance(content, str) else None
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("ok") is True
