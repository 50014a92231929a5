"""Reading a patient's message for red-flag emergencies: the patterns of data/red_flags.json, and
what keeps a match from counting (a denial, a past event, a figure of speech, a topic of admin talk).

The list is data (patterns per category, the emergency number, the crisis line); this module is
how it is read: a forgiving spelling of the key words, the clause each match sits in, and the few
signs that are told by a number (a young baby's fever, a blood sugar far out of range). The
safety guard (agent/safety.py) calls `detect` on every patient message.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.english import english_words
from core.settings import PROJECT_ROOT

RED_FLAGS_FILE = PROJECT_ROOT / "data" / "red_flags.json"

_NEGATION = re.compile(
    r"\b(no|not|without|never|denies|deny|don't have|dont have|isn't|nothing like|free of|"
    r"haven't|havent|hasn't|hasnt|have not|has not|hadn't|had not|isnt|wasnt|wasn't|aren't|arent|doesnt|doesn't|"
    # "i don't want to hurt myself": the denial of a wish or plan reaches the act ("don't want to keep
    # hurting myself" still tells of it)
    r"(?:don't|dont|do not)(?= (?:want|wanna|plan|intend|mean|wish)\b(?! to (?:keep|continue|stop)\b)))\b"
)
_GAP = r"(?:(?!(?:no|not|never|without)\b)[\w']+ ){0,5}?"  # '{gap}' in the list: a few words, none a denial
_SPAN = r"(?:(?!\b(?:no|not|never|without)\b)[^.!?]){0,60}?"  # '{span}': the rest of the sentence, no denial
_CLAUSE = re.compile(r"[.;!?,]|\b(but|and then|however|also)\b")
# A symptom placed in the past ("had a stroke in 2019", "history of seizures") is no emergency, unless
# its clause also says it is happening now; nor is a figure of speech ("gave me a heart attack lol").
_PAST = re.compile(
    r"\b(?:years?|yrs?|months?) (?:ago|back)\b|\blast (?:year|month|spring|summer|autumn|fall|winter|christmas)\b|"
    r"\b(?:19|20)\d\d\b|\bused to\b|\bhistory of\b|\bas a (?:kid|child|baby|toddler|teen\w*)\b|\bback in\b|"
    r"\bsurvivor\b|\bdischarged\b|\brecover\w* from\b|\bin the past\b|\bwell controlled\b|\bprevious\b|"
    r"\bafter (?:my|his|her|their|an?) (?:\w+ ){0,2}?(?:heart attack|stroke|seizure|overdose)|"
    r"\bwhen (?:he|she|i|they|we) (?:was|were) (?:a |little|young|small|\d+|in)|\b\d+ years (?:clean|sober)\b|"
    r"\bwas in (?:hospital|a&e|the er)\b|"
    r"\bhad\b[^.!?,;]{0,40}\blast (?:week|night|weekend)\b|\bsaid it was\b|\bat (?:the )?age (?:of )?\w+\b|"
    r"\baged \w+\b|\bturned out\b|\ball clear\b|\bcame back (?:fine|normal|clear)|"
    # "the scan showed an old stroke"
    r"\b(?<!year )(?<!years )(?<!yr )old (?:(?:small|tiny|little|silent|minor|mini|healed) )?strokes?\b|"
    r"\bages ago\b|\ba long time ago\b|\blong ago\b|"
    # a relative's event told as a reason for a check: "died of a stroke", "family history", "had a
    # heart attack at 45 / young / in his 50s", "grandpa had seizures", "... so i want a heart check"
    r"\bdied (?:of|from)\b|\bfamily history\b|\bruns in (?:the|my|our) family\b|"
    r"\b(?:had|died of|died from|suffered|survived) (?:a |an |his |her |their )?(?:heart attack|stroke|seizure|fit)s? "
    r"(?:young|(?:at|in (?:his|her|their)) (?:\d\d(?! ?(?:am|pm|:|\.\d))\b|young|\d0'?s|thirties|forties|fifties|"
    r"sixties|seventies|an early age))|"
    r"\b(?<!'s )(?<!has )(?<!have )had (?:seizures|fits|strokes)\b|"
    r"\b(?:grand\w*|gran|nan|nana|mum|mom|mother|dad|father|brother|sister|uncle|aunt\w*|cousin|parents?)\b"
    r"[^.!?]{0,40}?\b(?:had|died|passed)\b[^.!?]{0,40}?\bso (?:i|we|i'm|im|i'd)\b(?: [\w']+){0,4}? (?:check\w*|test\w*|"
    r"screen\w*|risk|worried about (?:my|me|our)|bp|blood pressure|cholesterol|health check|check ?-? ?up)"
)
_NOW = re.compile(
    r"\b(?<!well )(?<!fine )(?<!great )(?<!better )(?<!ok )(?<!okay )(?<!good )(?<!stable )"  # "doing well now" is past
    r"(?:now|today|tonight|right now|this (?:morning|afternoon|evening)|again|still|currently|just|"
    r"minutes? ago|an? hour ago|hours? ago|keeps? (?:on )?(?:happening|having|getting)|happening|"
    r"(?:is|are|has come|came|coming) back|worse)\b"
)
_FIGURE = re.compile(
    r"\b(?:lol|lmao|rofl|haha\w*|hehe\w*|jk|kidding)\b|\b(?:giv\w*|gave|given) (?:me|him|her|us|them) an?\b|"
    r"\b(?:will|would|'ll|gonna|going to) have an? (?:heart attack|stroke|fit)\b(?= (?:if|when)\b)|"
    r"\b(?:nearly|almost) had an? (?:heart attack|stroke|fit)\b|"
    r"\b(?:total|complete|real|massive|serious) overdose of\b|"
    r"\bseizing (?:the|this|an?) (?:chance|moment|opportunity|day)\b|"
    r"\b(?:total|complete|absolute|such a|bit of a) car crash\b|"
    r"\bchoking on (?:all )?(?:this|these|the|my|so much|so many) (?:paperwork|work|admin|e-?mails?|forms|stress)\b"
)
# A condition named as a topic of admin or teaching, not as something happening ("the suicide
# prevention group", "my seizure medication", "a first aid course, cpr and choking"): a one-word
# match ("seizure", "suicid...") followed by such a noun, or a clause about a course.
_TOPIC_AFTER = re.compile(
    r"\w*(?: -)? (?:\w+ )?(?:prevention|training|course|courses|awareness|service|services|group|team|medication|meds|"
    r"medicine|tablets|prescription|action plan|plan|risk|hazards?|talk|leaflet|letter|research|charity|"
    r"bill|bills|invoice|charges?|claim|fees?)\b"
)
_TOPIC_CLAUSE = re.compile(
    r"\b(?:first aid|cpr|course|workshop|awareness)\b|\b(?:form|questionnaire|survey) (?:asks|asked|asking)\b|"
    r"\b(?:bill|invoice|receipt) for\b"
)
# a burning in the chest told with what brings on heartburn ("after spicy food", "when i lie down"),
# with no sign of the heart beside it
_INDIGESTION = re.compile(
    r"\b(?:heartburn|reflux|indigestion|acid\w*|after (?:\w+ ){0,3}?(?:meals?|eating|food|spicy|curry|coffee|eat|ate|"
    r"dinner|lunch|breakfast|tea|pizza)|when i (?:lie|lay) (?:down|flat))\b"
)
_HEART_SIGN = re.compile(r"\b(?:arm|jaw|neck|sweat\w*|clammy|breath\w*|faint\w*|dizzy|crushing|spreading|grey|gray)\b")
# the symptom asked as a question and denied at once: "suicidal thoughts? no, never"
_DENIED_AFTER = re.compile(r"[\w' ]{0,40}?\? (?:no|nope|never|not|nah)\b(?! (?:idea|sure|clue|certain|no)\b)")
_SPELLINGS = {"hart": "heart", "atack": "attack", "attak": "attack", "brethe": "breathe", "breth": "breath"}
# Words the patterns rely on, so a typo ("chset", "strugling") is read as the word meant; a word
# of the English dictionary is never changed ("checking" stays checking, not choking).
_KEYWORDS = (
    "chest pain breath breathe breathing bleeding blood suicide suicidal myself overdose overdosed "
    "stroke drooping slurred numbness unconscious seizure choking swelling poisoned pains struggling "
    "collapsed fainted headache attack seizures convulsing swallowed suffocating wheezing"
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
    # every pattern in one alternation: a single pass tells whether any of them matches at all (in
    # about one message in 200), so most messages skip the per-pattern searches
    any_pattern: re.Pattern[str]

    def guidance(self, flag: RedFlag) -> str:
        text = (
            "This sounds like it may be an emergency. I can't help with this by booking an appointment. "
            f"Please call {self.emergency_number} now or go to the nearest emergency room."
        )
        if flag.category in {"self_harm", "overdose", "harm_to_others"}:
            text += f" You can also reach the crisis line at {self.crisis_line}, any time."
        return text


@lru_cache(maxsize=4)
def load_red_flags(path: Path = RED_FLAGS_FILE) -> RedFlagList:
    """The list, each pattern compiled as written: lower case, as `_normalise` makes the message (no
    IGNORECASE, which made every search about 1.4x slower; tests/agent/test_safety.py holds the
    patterns to lower case)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    sources = [
        (category, r"\b(?:" + pattern.replace("{gap}", _GAP).replace("{span}", _SPAN) + ")")
        for category, items in data["categories"].items()
        for pattern in items
    ]
    patterns = tuple((category, re.compile(source)) for category, source in sources)
    any_pattern = re.compile("|".join(f"(?:{source})" for _, source in sources))
    return RedFlagList(str(data["emergency_number"]), str(data["crisis_line"]), patterns, any_pattern)


def _normalise(message: str) -> str:
    words = re.findall(r"[\w']+|[^\w\s]", message.lower().replace("’", "'"))
    fixed = []
    for word in words:
        word = _SPELLINGS.get(word, word)
        if len(word) >= 5 and word.isalpha() and word not in _KEYWORDS and word not in english_words():
            close = difflib.get_close_matches(word, _KEYWORDS, n=1, cutoff=0.8)
            word = close[0] if close else word
        fixed.append(word)
    return " ".join(fixed)


# "oh no", "no no no", "oh god no": alarm, not a denial
_EXCLAMATION = re.compile(
    r"\b(?:(?:oh|ah|uh|omg|god)\s+)+no\b|\bno(?:\s+no)+\b|^\s*no\s+(?=(?:he|she|they|my|his|her|someone|somebody)\b)"
)
# a new subject after the negation starts what the negation does not reach ("no idea, my son collapsed")
_SUBJECT = re.compile(r"\b(?:he|she|they|i|we|my|his|her|our|someone|somebody|mom|dad|just|suddenly)\b")


def _negated(before: str, matched: str) -> bool:
    """A negation earlier in the same clause (`before`: the clause up to the match) that reaches the
    symptom ("no chest pain", "not short of breath", "I don't have chest pain"); never an
    exclamation ("oh no he just collapsed") nor a negation followed by a new subject ("no no no my
    son isnt breathing")."""
    clause = _EXCLAMATION.sub(" ", before)
    # read with the match, which a denial's lookahead may need ("don't| want to hurt myself"), but a
    # denial inside the match itself ("isn't breathing") is the symptom, not its denial
    reach = clause + matched
    negations = [m for m in _NEGATION.finditer(reach) if m.end() <= len(clause)]
    if not negations:
        return False
    between = clause[negations[-1].end() :] + " " + matched.split(" ", 1)[0]
    return not _SUBJECT.search(between)


def _not_current(text: str, before: str, start: int, end: int) -> bool:
    """The clause around the match places it in the past, with nothing saying it is happening
    now, or jokes about it, or names it as a topic, or asks it and denies it ("suicidal? no")."""
    after = _CLAUSE.split(text[end:])[0]
    clause = before + text[start:end] + after
    if (" " not in text[start:end] and _TOPIC_AFTER.match(text, end)) or _TOPIC_CLAUSE.search(clause):
        return True
    if _DENIED_AFTER.match(text, end):
        return True
    if "burn" in text[start:end] and _INDIGESTION.search(text) and not _HEART_SIGN.search(text):
        return True
    return bool(_FIGURE.search(clause) or (_PAST.search(clause) and not _NOW.search(clause)))


# Signs told by a number: a young baby's fever, a blood sugar far out of range, a meter's HI/LO,
# a heart rate above 150 or below 40.
_YOUNG_BABY = re.compile(
    r"\b(?:newborn|new born|(?:[1-9]|1[0-2]) ?(?:-| )?(?:weeks?|wks?)(?: -| )?old|"
    r"(?:[1-3]|one|two|three) ?(?:-| )?months?(?: -| )?old)\b"
)
_TEMPERATURE = re.compile(
    r"(?<![\d.])(3[89](?:\.\d)?|4[0-2](?:\.\d)?|10[0-6](?:\.\d)?)(?![\d.])\s*(°|degrees?|c\b|f\b)?"
)
_FEVER = re.compile(r"\b(?:temp\w*|fever\w*|thermometer|burning up|hot)\b")
_SUGAR = re.compile(
    r"\b(?:sugar|glucose|bgl?|bm|meter)s?(?: levels?| reading)?(?: is| was| of| at| reads| reading| =|:)?"
    r"(?: only| just| down to| up to| about| around)? (\d+(?:\.\d+)?)"
    r"(?!\s*(?:am|pm|nd|st|rd|th|weeks?|days?|hours?|hrs?|mins?|minutes?|times?|years?|:|/|\.\d))\s*(mmol|mg)?"
)
_METER = re.compile(
    r"\b(?:meter|monitor|reading|glucometer|libre|dexcom)\b[^.!?]{0,20}?\b(?:says|reads|shows|showing|reading)\s+(?:just\s+)?(?:hi|lo)\b"
)


_HEART_RATE = re.compile(
    r"\b(?:heart ?rate|pulse|hr|heart(?: is|'s| was)? (?:racing|going|beating|pounding|thumping|running))\b"
    r"(?: (?:is|was|of|at|reading|reads|says|shows|on|my|his|her|watch|monitor|"
    r"going|gone|up|to|over|around|about|nearly|almost))*:? (\d{2,3})"
    r"(?![\d:/]| ?(?:st|nd|rd|th|am|pm|weeks?|wks?|years?|yrs?|mins?|minutes|hours?|hrs?|days?|times|secs?|seconds)\b)|"
    r"\b(\d{2,3}) ?bpm\b"
)


def _reading(message: str) -> RedFlag | None:
    """A number that is an emergency whatever the words around it."""
    text = message.lower()
    if _YOUNG_BABY.search(text) and (m := _TEMPERATURE.search(text)) and (m[2] or "." in m[1] or _FEVER.search(text)):
        value = float(m[1])
        if value >= 100.4 or 38 <= value < 43:
            return RedFlag("other", m[0].strip())
    for m in _HEART_RATE.finditer(text):
        if not 40 <= int(m[1] or m[2]) <= 150:
            return RedFlag("other", m[0].strip())
    if _METER.search(text):
        return RedFlag("other", "sugar meter HI/LO")
    for m in _SUGAR.finditer(text):
        value, unit = float(m[1]), m[2]
        low, high = (54, 400) if unit == "mg" else (3.0, 25) if unit == "mmol" else (3.0, 400)
        if value < low or value > high or (unit is None and 25 < value < 54):
            return RedFlag("other", m[0].strip())
    return None


def detect(message: str, flags: RedFlagList | None = None) -> RedFlag | None:
    """The first red flag in the message that is not negated, past or a figure of speech, or None."""
    flags = flags or load_red_flags()
    text = _normalise(message)
    for category, pattern in flags.patterns if flags.any_pattern.search(text) else ():
        for match in pattern.finditer(text):
            before = _CLAUSE.split(text[: match.start()])[-1]  # the match's clause, up to it
            if not _negated(before, match[0]) and not _not_current(text, before, *match.span()):
                return RedFlag(category, match[0])
    return _reading(message)
