"""The safety guard: a red-flag emergency in the patient's message ends the turn before any model call.

It is code, not a prompt instruction, so it holds for every provider: the middleware runs
before the model, and on a hit answers with the emergency guidance and jumps to the end, so
neither the model nor any scheduling tool runs in that turn. A message typed while a
confirmation card waits reaches the model as the declined call's result ("User rejected the
tool call ... with reason: <the message>"): that reason is checked the same way, so an
emergency at a card is never read as a "no" to answer (the runtime never approves one, and
agent/holds.py gives the held slot back). Right after the guidance, a message that insists on a
visit soon ("just book him the first slot today") or refuses hospital gets the guidance again. Reading a message
for red flags is agent/red_flags.py; the list lives in data/red_flags.json.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from langchain.agents.middleware import AgentMiddleware, AgentState, hook_config
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.runtime import Runtime

from agent.confirmation import REJECTED
from agent.red_flags import RedFlag, RedFlagList, detect, load_red_flags

SAFETY_MARK = "safety"  # AIMessage.additional_kwargs key carrying the hit, for the event views

# After the guidance, insisting on a visit soon, or that the patient won't go to hospital, is still
# the emergency ("he doesn't want to go to hospital, just book him the first slot today").
_VISIT = re.compile(
    r"\b(?:book\w*|appointment|appt|slot|see\s+(?:someone|a\s+doctor|the\s+doctor|a\s+gp)|come\s+in|"
    r"(?:get|fit)\s+(?:him|her|them|me|us)\s+in)\b"
)
_SOON = re.compile(
    r"\b(?:today|tonight|right\s+now|right\s+away|straight\s+away|now\s+please|asap|as\s+soon\s+as|immediately|"
    r"first\s+(?:slot|available|appointment|one)|earliest|soonest|anyway|just\s+(?:book|get|see|fit))\b"
)
_NO_HOSPITAL = re.compile(
    r"\b(?:doesn'?t|does\s+not|won'?t|will\s+not|don'?t|do\s+not|refuses?|refusing|rather\s+not|can'?t|cannot|not)"
    r"\s+(?:\w+\s+){0,4}?(?:hospital|the\s+er|a\s*&\s*e|emergency\s+room|ambulance|911|paramedics)\b"
)


def still_urgent(message: str) -> bool:
    """Said right after the emergency guidance: a visit asked for soon, or no hospital, keeps it one."""
    text = message.lower().replace("’", "'")
    return bool(_NO_HOSPITAL.search(text) or (_VISIT.search(text) and _SOON.search(text)))


def _open_emergency(messages: Sequence[BaseMessage]) -> RedFlag | None:
    """The emergency the assistant's last reply was guidance for, if it was."""
    previous = next((m for m in reversed(messages[:-1]) if isinstance(m, AIMessage)), None)
    if previous is None or not is_safety_reply(previous):
        return None
    hit = previous.additional_kwargs[SAFETY_MARK]
    return RedFlag(str(hit.get("category", "other")), str(hit.get("matched", "")))


def patient_text(message: BaseMessage) -> str | None:
    """What the patient typed, if this message carries it: their message, or their answer to a
    confirmation card (the reason of a declined call). None for anything else."""
    if isinstance(message, HumanMessage):
        return str(message.text)
    if isinstance(message, ToolMessage) and message.status == "error":
        rejected = REJECTED.match(str(message.content))
        if rejected:
            return rejected.group("reason") or ""
    return None


def is_safety_reply(message: BaseMessage) -> bool:
    """Whether this is the guard's emergency guidance."""
    return isinstance(message, AIMessage) and SAFETY_MARK in message.additional_kwargs


class SafetyGuardMiddleware(AgentMiddleware[AgentState[Any], Any]):
    """Before every model call: a red flag in the latest patient message ends the turn."""

    def __init__(self, flags: RedFlagList | None = None) -> None:
        super().__init__()
        self.flags = flags or load_red_flags()

    @hook_config(can_jump_to=["end"])
    def before_model(self, state: AgentState[Any], runtime: Runtime[Any]) -> dict[str, Any] | None:
        messages = state["messages"]
        text = patient_text(messages[-1]) if messages else None
        if text is None:
            return None  # mid-turn (after a tool result): the patient's message was already checked
        flag = detect(text, self.flags)
        if flag is None and (open_flag := _open_emergency(messages)) is not None and still_urgent(text):
            flag = open_flag  # insisting right after the guidance (cheap test first: rarely any)
        if flag is None:
            return None
        reply = AIMessage(
            content=self.flags.guidance(flag),
            additional_kwargs={SAFETY_MARK: {"category": flag.category, "matched": flag.phrase}},
        )
        return {"messages": [reply], "jump_to": "end"}

    @hook_config(can_jump_to=["end"])
    async def abefore_model(self, state: AgentState[Any], runtime: Runtime[Any]) -> dict[str, Any] | None:
        return self.before_model(state, runtime)
