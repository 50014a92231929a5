"""Reading a patient's answer to "shall I book this?": only a clear yes counts as yes.

Used by the turn runner (which resolves a pending booking in code, whatever the model says)
and by the offline model.
"""

from __future__ import annotations

import functools
import re

# How LangChain's human-in-the-loop step records a "no" as the declined call's result.
REJECTED = re.compile(r"^User rejected the tool call for `(?P<tool>[\w-]+)`(?: with reason: (?P<reason>.*))?", re.S)
DECLINED_BY_BUTTON = "No, I'd like to change something."  # a "no" by button, as the model and the transcript read it
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


# "yes i want to cancel it", "yes we'd like to move it"
_WISH = r"(?:(?:i|we)\s+(?:want|wanna|need|would\s+like|'?d\s+like)\s+(?:to\s+)?|please\s+)?"


def _action_yes(tool: str) -> re.Pattern[str]:
    verb = _WISH + f"(?:{ACTION_WORDS[tool]})"
    return re.compile(rf"^(?:(?:{_LEAD}\s+)+(?:{verb})(?:\s+{_OBJECT})?|(?:{_LEAD}\s+)*(?:{verb})\s+{_OBJECT}){_TAIL}$")


_ACTION_YES = {tool: _action_yes(tool) for tool in ACTION_WORDS}
# The word that names each card's action: a yes naming another card's action is no yes here.
_NAMES = {"book_slot": r"\bbook", "reschedule_booking": r"\b(?:move|reschedule)", "cancel_booking": r"\bcancel"}
# A yes in everyday words, said any way round ("yes", "brilliant, yes", "yeah thats good", "go for
# it", "Yes, lovely, thank you", "yess"): every word is either one that agrees or one people add
# around agreeing, and at least one agrees. Any other word ("but", "not", a day, a time, "move")
# makes it no plain yes.
_AGREEING = re.compile(
    r"(?<![\w'])(?:y+e+s+|y+e+a+h*|yeh|yah?|y|y+e+p+|y+u+p+|ok+|okay+|kk?|sure(?: thing)?|alright|all right|right|"
    r"correct|confirm(?:ed)?|absolutely|definitely|certainly|of course|affirmative|please do|do it|go for it|"
    r"go ahead|book (?:it|that)|lovely|brilliant|great|perfect|excellent|awesome|cool|fab|fabulous|fantastic|"
    r"wonderful|super|ideal|fine|spot on|exactly|all good|deal|grand|sweet|champion|ace|bang on|nice one|smashing|"
    r"(?:that|this|it)(?:'?s| is| will| would)? (?:be )?(?:good|fine|great|perfect|right|correct|lovely|ok|okay|it|"
    r"ideal|brilliant|spot on|grand)|(?:sounds|looks) (?:good|great|fine|perfect|lovely|right|ok|okay|brilliant)|"
    r"(?:that|it|this) works|works for me|that'?ll do)(?![\w'])|👍"
)
_DIGIT = re.compile(r"\d")
_AROUND_AGREEING = re.compile(
    r"(?<![\w'])(?:please|pls|plz|thanks|thank you|thankyou|thx|ty|cheers|ta|now|then|so|much|very|really|oh|ah|"
    r"um+|well|and|x+|mate|for me|by me|nicely|that|thats|that's|all|just|haha|lol)(?![\w'])"
)


def _agreeing_only(norm: str) -> bool:
    """Only words of agreement and the words around them, with at least one that agrees."""
    if _DIGIT.search(norm):
        return False  # a time or a date: never a plain yes (and most messages end here)
    rest, agreed = _AGREEING.subn(" ", norm)
    return bool(agreed) and not _AROUND_AGREEING.sub(" ", rest).strip()


_NO = re.compile(r"^(no|nope|nah|n|cancel|stop|don'?t|do not|wait|not yet|never ?mind)\b")


_PUNCTUATION = re.compile(r"[!.,?;:]+")


@functools.lru_cache(maxsize=1024)
def _norm(text: str) -> str:
    """Cached: the yes and the no reader both read every message."""
    text = text.strip().lower()
    text = _PUNCTUATION.sub(" ", text)
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
    if _agreeing_only(norm):
        return True
    pattern = _ACTION_YES.get(tool or "")
    return bool(pattern and pattern.match(norm))


def is_negative(text: str) -> bool:
    """A plain no or a request to stop/wait."""
    return bool(_NO.match(_norm(text)))
