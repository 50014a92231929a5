"""Reading a patient's answer to "shall I book this?": only a clear yes counts as yes.

Used by the turn runner (which resolves a pending booking in code, whatever the model says)
and by the offline model.
"""

from __future__ import annotations

import re

# How LangChain's human-in-the-loop step records a "no" as the declined call's result.
REJECTED = re.compile(r"^User rejected the tool call for `(?P<tool>[\w-]+)`(?: with reason: (?P<reason>.*))?", re.S)
DECLINED_BY_BUTTON = "No, I'd like to change something."  # a "no" by button, as the model and the transcript read it
# a plain yes, and the words people add to one ("yes thats right", "yep, looks good")
_AGREE = (
    r"that'?s right|that is right|that'?s correct|that is correct|that'?s it|that'?s fine|that'?s perfect|"
    r"looks (?:good|right|fine|great)|all good|spot on|exactly|sounds good|that works|perfect|great"
)
_YES = re.compile(
    r"^(yes|yeah|yep|yup|ya|sure thing|sure|ok|okay|k|confirm|confirmed|correct|right|affirmative|absolutely|"
    rf"definitely|please do|do it|go ahead|book it|book that|{_AGREE}|y)"
    rf"(\s+(please|thanks|thank you|go ahead|book it|do it|confirm|{_AGREE}))*$"
)
# A yes that names the card's own action ("yes cancel it", "Yes, move it": the buttons' labels
# typed out; "ok go ahead and cancel"). Only the waiting call's action counts: "yes cancel it"
# at a booking card is not a yes.
ACTION_WORDS = {
    "book_slot": r"book(?: me in| me)?|confirm|take",
    "reschedule_booking": r"move|reschedule|change|switch",
    "cancel_booking": r"cancel",
}
_LEAD = (
    r"(?:yes|yeah|yep|yup|ya|sure|ok|okay|k|alright|all right|fine|please|confirmed|correct|definitely|"
    r"absolutely|go ahead(?: and)?|you can|you may|please do|do it|that's fine|thats fine|sounds good|"
    r"that works|perfect|great)"
)
_OBJECT = r"(?:it|that|this|them|my appointment|the appointment|my booking|the booking|my visit|the visit)"
_TAIL = r"(?:\s+(?:please|thanks|thank you|now|then|for me))*"


def _action_yes(tool: str) -> re.Pattern[str]:
    verb = ACTION_WORDS[tool]
    return re.compile(rf"^(?:(?:{_LEAD}\s+)+(?:{verb})(?:\s+{_OBJECT})?|(?:{_LEAD}\s+)*(?:{verb})\s+{_OBJECT}){_TAIL}$")


_ACTION_YES = {tool: _action_yes(tool) for tool in ACTION_WORDS}
# The word that names each card's action: a yes naming another card's action is no yes here.
_NAMES = {"book_slot": r"\bbook", "reschedule_booking": r"\b(?:move|reschedule)", "cancel_booking": r"\bcancel"}
_NO = re.compile(r"^(no|nope|nah|n|cancel|stop|don'?t|do not|wait|not yet|never ?mind)\b")


def _norm(text: str) -> str:
    text = text.strip().lower()
    text = re.sub(r"[!.,?;:]+", " ", text)
    return " ".join(text.split())


def is_affirmative(text: str, tool: str | None = None) -> bool:
    """True only for a plain yes ("yes", "yes please", "ok, book it"), not "yes but at 10".

    `tool`: the call the card waits for; then a yes naming that call's action ("yes cancel it"
    at a cancel card, "yep, move it" at a move card) is a yes too."""
    norm = _norm(text)
    if not norm:
        return False
    if tool in _NAMES and any(re.search(w, norm) for t, w in _NAMES.items() if t != tool):
        return False  # "yes book it" at a cancel card
    if _YES.match(norm):
        return True
    pattern = _ACTION_YES.get(tool or "")
    return bool(pattern and pattern.match(norm))


def is_negative(text: str) -> bool:
    """A plain no or a request to stop/wait."""
    return bool(_NO.match(_norm(text)))
