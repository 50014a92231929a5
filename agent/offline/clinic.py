"""Front-desk questions in the offline model: spot them, and answer from `clinic_info`'s result.

The offline model has no knowledge of its own: a question about the clinic (parking, hours,
insurance, what to bring, the cancellation policy, ...) becomes a `clinic_info` call, and the
reply is the start of the best section the tool returned, with its title as the source. A
question about *cancelling* ("is there a fee if I cancel late?") is a question, not a request
to cancel: the topic words below decide, before the rest of the policy reads the message.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from agent.offline.cues import Gated, cued, cues
from agent.offline.nlu import BOOKED, SEEN_EARLY, Utterance
from tools.clinic_info import NAME

CLINIC = NAME  # the tool's name, as the policy and the model call it

MAX_ANSWER = 320  # characters of the section read out; the rest is one question away

# the car said without "park" ("somewhere i can leave the car", "where do i put my car")
_CAR = r"(?:leave|put|stick)\s+(?:the|my|our|a)\s+car|(?:space|room)\s+for\s+(?:the|my|our|a)\s+car"
# insurers the clinic's file does not name ("do you take bupa?", "is anthem ok", "and bcbs?"): still
# the insurance topic, asked as its own question (the file has none of these words to find it by)
_OTHER_INSURERS = (
    r"bupa|anthem|kaiser|tricare|bcbs|blue\s*shield|ambetter|molina|wellcare|highmark|geha|carefirst|"
    r"premera|regence|optum|oscar\s+(?:health|plan|insurance)|"
    r"(?:take|accept|with|is|about|and|have)\s+united(?!\s*health)"  # "r u in network with united"
)
_TOPICS = re.compile(
    r"\b("
    r"parking|parked|park\s+(?:my|the|a|our)\b|where\s+(?:can|do|should)\s+(?:i|we)\s+park|" + _CAR + r"|"
    r"(?:anywhere|somewhere|place|where)\s+to\s+park|garage|address|located|location|directions?|where\s+(?:are|r)\s+(?:you|u)|"
    r"how\s+(?:do|can)\s+i\s+get\s+there|subway|bus(?:es)?|train|wheel\s?chair|accessib\w*|elevator|lift|"
    r"ramp|service\s+(?:dog|animal)s?|insur\w*|" + _OTHER_INSURERS + r"|"
    r"aetna|cigna|humana|medicare|medicaid|blue\s*cross|"
    r"united\s*health\w*|in[-\s]network|copay\w*|co-pay\w*|hsa|credit\s+cards?|pay(?:ment)?\s+(?:options|methods)|"
    r"how\s+much|cost|price|how\s+early(?!" + SEEN_EARLY + r")|arriv(?:e|al)\s+(?:early|before|ahead)|"
    r"what\s+(?:should|do)\s+i\s+(?:need\s+to\s+)?bring|bring\s+(?:with|to|anything)|"
    r"fast(?:ing)?\s+before|(?:need|have)\s+to\s+fast|prepar\w*|policy|policies|late\s+fee|no[-\s]show|"
    r"(?:cancel\w*|late)\s+fee|fee\s+(?:if|for)|opening\s+hours|(?:your|the|clinic)\s+hours|"
    # "what if i need to cancel last minute?", "what happens if we're late?"
    r"what\s+(?:happens\s+)?if\s+(?:i|we|he|she|they|my\s+\w+)\s+(?:\w+\s+){0,3}?(?:cancel\w*|miss\w*|(?:am|'m|im|are|'re|is|'s)\s+late)|"
    r"\bif\s+(?:i|we|he|she|they|my\s+\w+)\s+(?:\w+\s+){0,3}?cancel\w*(?=[^.!?]*\?)|"
    r"(?:what\s+time|when)\s+do\s+(?:you|u)\s+(?:open|close|shut)|close\s+for\s+lunch|(?:your|the\s+clinic'?s?)\s+lunch\s+(?:break|hour)|"
    r"^\W*open\s+(?:on\s+)?(?:weekends?|(?:mon|tues|wednes|thurs|fri|satur|sun)days?)|(?:are|r)\s+(?:you|u)\s+open|open\s+on|closed\s+on|"
    r"(?:your|the\s+clinic'?s?|clinic)\s+(?:phone(?:\s+number)?|number|e-?mail|fax)|"
    r"how\s+(?:do|can)\s+i\s+(?:contact|reach|call)\s+(?:you|u|the\s+clinic)"
    r")\b",
)
INSURER_CUES = cues(
    "ambetter", "anthem", "bcbs", "bupa", "carefirst", "geha", "highmark", "kaiser", "molina", "optum", "oscar",
    "premera", "regence", "shield", "tricare", "united", "wellcare",
)  # fmt: skip
# its prefilter: one of these is in every match (tests/agent/test_offline_prefilters.py), and in
# about one message in six, so most messages skip the long search
TOPIC_CUES = cues(
    "accessib", "address", "aetna", "arriv", "before", "bring", "bus", "call", "cancel", "car", "cigna", "clinic",
    "close", "co-pay", "contact", "copay", "cost", "credit", "cross", "direction", "early", "elevator", "fast", "fee",
    "garage", "hours", "hsa", "humana", "insur", "late", "lift", "located", "location", "lunch",
    "medicaid", "medicare", "methods", "miss", "much", "network", "open", "options", "park", "place", "policies",
    "policy", "prepar", "price", "ramp", "reach", "service", "show", "shut", "subway", "there", "train",
    "wheel", "where", "your",
    *INSURER_CUES,
)  # fmt: skip

# "my appointment", "my jan 4 physical", "my checkup on the 4th"
_OWN_BOOKING = re.compile(rf"\b(?:my|our|his|her)\s+(?:[a-z0-9]+\s+){{0,2}}?{BOOKED}\b")
_ASKED = re.compile(
    r"\?|^\W*(?:do|does|can|could|is|are|r|what|whats|where|when|how|will|which)\b|"
    r"\b(?:do|does|can|could|is|are|what|whats|where|when|how|will)\s+(?:you|u|i|we|the|there|it)\b",
)
_QUESTION = re.compile(r"\?\s*$|^\s*(?:do|does|can|could|is|are|what|where|how|who|which|will)\b")


# a visit asked for beside the question ("do you take blue cross? also need a follow up friday")
_VISIT_WANTED = re.compile(
    r"\b(?:book\w*|appointments?\s+(?:on|for|at)|slots?|availability|free\s+times?|come\s+in|"
    r"(?:need|want|like|get|have)\s+(?:a|an|to\s+(?:book|see|come|get|make))\b|"
    r"(?:can|could|may)\s+(?:i|we)\s+(?:come|get|see|have|do|book|make)|"
    # "might there be something on Thursday the 14th?", beside "since the holidays" said as context
    r"\b(?:any|some)thing\s+(?:free\s+|available\s+|left\s+)?(?:on|for)\b|"
    # a second choice of day: "are you open christmas eve? if not then the 23rd" wants a visit
    r"\bif\s+not\b|\botherwise\b|\bfailing\s+that\b|"
    # a pick beside the question: "is the copay still $20? 2pm would be good"
    r"\bwould\s+(?:be\s+)?(?:good|great|fine|best|better|ideal|perfect|work)\b|\b(?:works|suits)\s+(?:for\s+)?me\b)",
)


# a topic said without the clinic file's word for it: the question sent is the topic's own, as the
# patient's other words would find a section sharing a stray word ("leave" a message: Contact)
_UNNAMED_TOPICS = (
    (cues("car"), re.compile(rf"\b(?:{_CAR})\b"), "Where can I park?"),
    (INSURER_CUES, re.compile(rf"\b(?:{_OTHER_INSURERS})\b"), "Which insurance do you accept?"),
    # ... or said with a word another section has more of: "what should i bring to a physical?" is
    # what to bring, never the physical's preparation
    (
        cues("bring"),
        re.compile(r"\bwhat\s+(?:\w+\s+){0,4}?bring\b|\bbring\s+(?:anything|something)\b"),
        "What should I bring?",
    ),
    # "is it the building with the pharmacy?", "which building are you in": where the clinic is
    (
        cues("building"),
        re.compile(
            r"\b(?:(?:is|was)\s+(?:it|that|this|u|you)\s+(?:in\s+)?(?:the|a)|which|what)\s+building\b|"
            r"\bbuilding\s+(?:with|next\s+to|by|near|across|opposite|beside|above|over)\b"
        ),
        "Where are you located?",
    ),
    # "how long will it take?": the file has no visit lengths, so the phone is given, not a section
    # sharing a stray word ("the medications you take")
    (
        cues("long"),
        re.compile(r"\bhow\s+long\s+(?:does|will|would|is|do|should|are)\b(?![^.!?]*\b(?:get|walk|drive|from)\b)"),
        "How long is the visit?",
    ),
)


def question_for(u: Utterance) -> str:
    """The `question` sent to `clinic_info`: the patient's words, or the topic they paraphrase."""
    low = u.text.lower()
    for topic_cues, pattern, question in _UNNAMED_TOPICS:
        if cued(low, topic_cues) and pattern.search(low):
            return question
    return u.text[:500]


# "are you open on labor day? if so a follow up in the afternoon", "columbus day, are u open? checkup
# if so": a visit asked for on the condition the clinic is open (never "if so, what are your hours?")
_IF_OPEN = Gated(
    re.compile(
        r"\b(?:if|assuming|provided|providing)\s+(?:so|yes|open|(?:you|u|they|it)\s+(?:are|is|do)|you'?re|youre|ur|it'?s|its)\b(?:\s+open\b)?"
        r"(?![,\s]*(?:what|whats|when|how|do|does|is|are|r|will|which|where|till|until|from)\b)"
    )
)


def question_only(u: Utterance) -> bool:
    """A front-desk question and nothing else: its day, time and type are the question's ("what
    time do you open on saturday", "are you open on the 24th", "do i need to fast for my
    physical"), never the visit being booked."""
    if u.manage or u.code or u.cancel or not asks_about_clinic(u):
        return False
    if (u.type or u.window or u.times or u.generic_visit) and _IF_OPEN.search(u.text.lower()):
        return False  # the visit is asked for if the clinic is open: the day is the visit's
    return _asked_without_visit(u.text)


def asks_topic(u: Utterance) -> bool:
    """Whether the message asks about one of the clinic file's topics ("do you take cigna?")."""
    return not (u.injection or u.has_details) and _topic_asked(u.text)


def asks_about_clinic(u: Utterance) -> bool:
    """Whether the message asks one of the front desk's questions: a clinic topic, or any other
    question that is not about a visit (so "not in our information" is said, not "I didn't
    understand")."""
    if u.injection or u.has_details:
        return False  # a message giving name/e-mail/phone is the booking going on
    if u.about_details and not _topic_asked(u.text):
        return False  # ... and so is one about them, unless it asks a topic ("before i give my details, ...?")
    if not any(ch.isalnum() for ch in u.text):
        return False  # a bare "?" asks what was asked again, not the front desk (an aside: nlu.py)
    if u.manage == "look" and _OWN_BOOKING.search(u.text.lower()):
        return False  # "is my appointment on tuesday still happening with the holidays?": the booking
    if _names_a_topic(u.text):
        return True
    visit = u.has_slot_facts or u.generic_visit or u.wants_booking or u.medical
    social = u.yes or u.no or u.greeting or u.thanks or u.bye or u.help or u.cancel or u.retry or u.off_topic
    return not visit and not social and _is_question(u.text)


# the holidays as a topic only when asked about ("are you open over the holidays?", "what about the
# holidays"), never said as background ("he's staying with us over the holidays, ...")
_HOLIDAY_ASKED = re.compile(r"\bholidays?\b[^.!?\n]*\?|^\W*(?:what|how)\s+about\s+the\s+holidays?\b")


# The text-only parts of the tests above, cached: the model asks them of the same message twice
# per call (the state, then the policy) and again after each tool result.
@functools.lru_cache(maxsize=1024)
def _names_a_topic(text: str) -> bool:
    low = text.lower()  # lower case, not IGNORECASE: three times faster
    if cued(low, TOPIC_CUES) and _TOPICS.search(low) is not None:
        return True
    return "holiday" in low and _HOLIDAY_ASKED.search(low) is not None


@functools.lru_cache(maxsize=1024)
def _topic_asked(text: str) -> bool:
    return _names_a_topic(text) and _ASKED.search(text.lower()) is not None


@functools.lru_cache(maxsize=1024)
def _is_question(text: str) -> bool:
    return _QUESTION.search(text.lower()) is not None


@functools.lru_cache(maxsize=1024)
def _asked_without_visit(text: str) -> bool:
    low = text.lower()
    return _ASKED.search(low) is not None and _VISIT_WANTED.search(low) is None


def answer(result: dict[str, Any] | None, clock: Callable[[str], str] | None = None) -> str:
    """The reply for one `clinic_info` result: the section's opening, or where to ask instead.
    `clock` writes an "HH:MM" of the section as the clinic shows times ("08:30-17:00" becomes
    "8:30 AM–5:00 PM" with 12-hour times)."""
    result = result or {}
    sections = result.get("sections") or []
    if not result.get("found") or not sections:
        where = f" at {result['phone']}" if result.get("phone") else ""
        return (
            f"I don't have that in our clinic's information, so I won't guess: please call us{where}."
            " I can check free times and book an appointment for you."
        )
    best = sections[0]
    text = " ".join(str(best.get("text", "")).split())
    short = _first_sentences(text, MAX_ANSWER)
    if clock is not None:
        short = _CLOCKS.sub(lambda m: clock(_hh_mm(m[1])) + (f"–{clock(_hh_mm(m[2]))}" if m[2] else ""), short)
    return f"{short} (Source: {best.get('title', 'clinic information')})"


_CLOCK = r"(?<![\d:])(?:[01]?\d|2[0-3]):[0-5]\d(?![\d:])"
_CLOCKS = re.compile(rf"({_CLOCK})(?:\s*[-–]\s*({_CLOCK}))?")  # a time, or a range of two


def _hh_mm(text: str) -> str:
    return text.zfill(5)


def _first_sentences(text: str, limit: int) -> str:
    """Whole sentences from the start of `text`, at most `limit` characters (at least one)."""
    out = ""
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if out and len(out) + 1 + len(sentence) > limit:
            break
        out = f"{out} {sentence}".strip()
    return out
