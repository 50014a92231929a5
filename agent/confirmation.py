"""Reading a patient's answer to "shall I book this?": only a clear yes counts as yes.

Used by the turn runner (which resolves a pending booking in code, whatever the model says)
and by the offline model.
"""

from __future__ import annotations

import re

# How LangChain's human-in-the-loop step records a "no" as the declined call's result.
REJECTED = re.compile(r"^User rejected the tool call for `(?P<tool>[\w-]+)`(?: with reason: (?P<reason>.*))?", re.S)
DECLINED_BY_BUTTON = "No, I'd like to change something."  # a "no" by button, as the model and the transcript read it
_YES = re.compile(
    r"^(yes|yeah|yep|yup|ya|sure thing|sure|ok|okay|k|confirm|confirmed|correct|right|affirmative|absolutely|"
    r"definitely|please do|do it|go ahead|book it|book that|sounds good|that works|perfect|great|y)"
    r"(\s+(please|thanks|thank you|go ahead|book it|do it|that's right|that is right|confirm|sounds good|"
    r"that works|perfect|great))*$"
)
_NO = re.compile(r"^(no|nope|nah|n|cancel|stop|don'?t|do not|wait|not yet|never ?mind)\b")


def _norm(text: str) -> str:
    text = text.strip().lower()
    text = re.sub(r"[!.,?;:]+", " ", text)
    return " ".join(text.split())


def is_affirmative(text: str) -> bool:
    """True only for a plain yes ("yes", "yes please", "ok, book it"), not "yes but at 10"."""
    norm = _norm(text)
    return bool(norm) and bool(_YES.match(norm))


def is_negative(text: str) -> bool:
    """A plain no or a request to stop/wait."""
    return bool(_NO.match(_norm(text)))
