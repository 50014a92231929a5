"""The safety guard: a red-flag emergency in the patient's message ends the turn before any model call.

It is code, not a prompt instruction, so it holds for every provider: the middleware runs
before the model, and on a hit answers with the emergency guidance and jumps to the end, so
neither the model nor any scheduling tool runs in that turn. A message typed while a
confirmation card waits reaches the model as the declined call's result ("User rejected the
tool call ... with reason: <the message>"): that reason is checked the same way, so an
emergency at a card is never read as a "no" to answer (the runtime never approves one, and
agent/holds.py gives the held slot back). The list lives in
data/red_flags.json (patterns per category, the emergency number and the crisis line).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain.agents.middleware import AgentMiddleware, AgentState, hook_config
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.runtime import Runtime

from agent.confirmation import REJECTED
from core.settings import PROJECT_ROOT

RED_FLAGS_FILE = PROJECT_ROOT / "data" / "red_flags.json"
SAFETY_MARK = "safety"  # AIMessage.additional_kwargs key carrying the hit, for the event views

_NEGATION = re.compile(r"\b(no|not|without|never|denies|deny|don't have|dont have|isn't|nothing like|free of)\b")
_CLAUSE = re.compile(r"[.;!?,]|\b(but|and then|however|also)\b")
# Words the patterns rely on, so a typo ("chset", "breath") is read as the word meant.
_KEYWORDS = (
    "chest pain breathe breathing bleeding blood suicide suicidal myself overdose overdosed "
    "stroke drooping slurred numbness unconscious seizure choking swelling poisoned pains struggling "
    "collapsed fainted headache"
).split()


@dataclass(frozen=True)
class RedFlag:
    category: str
    phrase: str


@dataclass(frozen=True)
class RedFlagList:
    emergency_number: str
    crisis_line: str
    patterns: tuple[tuple[str, re.Pattern[str]], ...]

    def guidance(self, flag: RedFlag) -> str:
        text = (
            "This sounds like it may be an emergency. I can't help with this by booking an appointment. "
            f"Please call {self.emergency_number} now or go to the nearest emergency room."
        )
        if flag.category in {"self_harm", "overdose"}:
            text += f" You can also reach the crisis line at {self.crisis_line}, any time."
        return text


@lru_cache(maxsize=4)
def load_red_flags(path: Path = RED_FLAGS_FILE) -> RedFlagList:
    data = json.loads(path.read_text(encoding="utf-8"))
    patterns = tuple(
        (category, re.compile(rf"\b(?:{pattern})", re.IGNORECASE))
        for category, items in data["categories"].items()
        for pattern in items
    )
    return RedFlagList(str(data["emergency_number"]), str(data["crisis_line"]), patterns)


def _normalise(message: str) -> str:
    words = re.findall(r"[\w']+|[^\w\s]", message.lower().replace("’", "'"))
    fixed = []
    for word in words:
        if len(word) >= 5 and word.isalpha() and word not in _KEYWORDS:
            close = difflib.get_close_matches(word, _KEYWORDS, n=1, cutoff=0.8)
            word = close[0] if close else word
        fixed.append(word)
    return " ".join(fixed)


# "oh no", "no no no", "oh god no": alarm, not a denial
_EXCLAMATION = re.compile(
    r"\b(?:(?:oh|ah|uh|omg|god)\s+)+no\b|\bno(?:\s+no)+\b|^\s*no\s+(?=(?:he|she|they|my|his|her|someone|somebody)\b)"
)
# a new subject after the negation starts what the negation does not reach ("no idea, my son collapsed")
_SUBJECT = re.compile(r"\b(?:he|she|they|i|we|my|his|her|our|someone|somebody|mom|dad)\b")


def _negated(text: str, start: int, matched: str = "") -> bool:
    """A negation earlier in the same clause that reaches the symptom ("no chest pain", "not short
    of breath", "I don't have chest pain"); never an exclamation ("oh no he just collapsed") nor a
    negation followed by a new subject ("no no no my son isnt breathing")."""
    clause = _EXCLAMATION.sub(" ", _CLAUSE.split(text[:start])[-1])
    negations = list(_NEGATION.finditer(clause))
    if not negations:
        return False
    between = clause[negations[-1].end() :] + " " + matched.split(" ", 1)[0]
    return not _SUBJECT.search(between)


def detect(message: str, flags: RedFlagList | None = None) -> RedFlag | None:
    """The first red flag in the message that is not negated, or None."""
    flags = flags or load_red_flags()
    text = _normalise(message)
    for category, pattern in flags.patterns:
        for match in pattern.finditer(text):
            if not _negated(text, match.start(), match.group(0)):
                return RedFlag(category, match.group(0))
    return None


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
