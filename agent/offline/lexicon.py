"""Patients' spelling, made readable for the rules: typos, abbreviations and spelled-out numbers.

Before anything is read, a message is normalised word by word (tests/nlu measured the choices;
see bench/nlu_libraries.py):

* a word that is not English (SymSpell's bundled 82,765-word frequency dictionary) and lies within
  a small edit distance of the clinic's own vocabulary (weekdays, months, the type and specialty
  names, everyday scheduling words) is replaced by that word, with symspellpy: "tommorow" ->
  "tomorrow", "wensday" -> "wednesday", "chekup" -> "checkup", "specilist" -> "specialist". A
  real word ("remember", "physically", "text") is never touched, so "remember" never becomes
  "december". One edit for words of four to six letters, two from seven;
* the usual abbreviations are spelled out ("tmrw", "nxt", "appt", "thurs");
* spelled-out numbers become digits with text2num ("the twenty-first" -> "the 21st", "in eight
  days" -> "in 8 days"); "one", "two", "first" and "second" stay words, as text2num keeps them,
  and the rules read those themselves.

The result is lower case; the patient's own text (names, e-mail) is read from the original.
"""

from __future__ import annotations

import functools
import re

from symspellpy import SymSpell, Verbosity
from text_to_num import alpha2digit

from agent.offline.cues import Gated, cued, cues
from core.english import english_words as _english
from core.formats import NUMBER_WORDS

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTH_NAMES = "january february march april may june july august september october november december".split()
ORDINAL_WORDS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
    "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth thirtieth"
).split()
# The words patients use to ask for a visit here; a typo is corrected only towards one of these.
VOCABULARY = (
    *WEEKDAY_NAMES,
    *MONTH_NAMES,
    *ORDINAL_WORDS,
    *"""
    today tomorrow tonight morning mornings afternoon afternoons evening evenings noon midday lunchtime lunch weekend
    week weeks fortnight next after before between until later earlier earliest soonest available availability
    anytime appointment appointments consultation consult followup follow physical physicals checkup checkups check
    exam examination annual yearly specialist specialists doctor results bloodwork dermatology dermatologist
    cardiology cardiologist neurology neurologist orthopedics orthopaedics orthopedic orthopaedic allergist allergy
    urology urologist ophthalmology ophthalmologist gastroenterology gastroenterologist rheumatology
    rheumatologist podiatry podiatrist endocrinology endocrinologist pediatric paediatric christmas thanksgiving
    valentines valentine boxing year years please possible schedule reschedule booking
    """.split(),
)
ABBREVIATIONS = {
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmrow": "tomorrow",
    "2moro": "tomorrow",
    "2morrow": "tomorrow",
    "nxt": "next",
    "appt": "appointment",
    "appts": "appointments",
    "apt": "appointment",
    "pls": "please",
    "plz": "please",
    "dr": "doctor",
    "doc": "doctor",
    "mon": "monday",
    "tue": "tuesday",
    "tues": "tuesday",
    "wed": "wednesday",
    "weds": "wednesday",
    "thu": "thursday",
    "thur": "thursday",
    "thurs": "thursday",
    "thrus": "thursday",  # a common slip for "thurs"
    "fri": "friday",
    "sat": "saturday",
    "sun": "sunday",
    "nye": "new year's eve",
    "yrs": "years",  # "new yrs eve"
    "yr": "year",
    "eev": "eve",  # a common slip ("new years eev"), too short for the speller
    "xmas": "christmas",
    "hr": "hour",
    "hrs": "hours",
    "mins": "minutes",
    "wk": "week",
    "wks": "weeks",
    "thru": "through",
    "cnt": "can't",
    "whens": "when's",  # contractions typed without the apostrophe
    "whats": "what's",
    "wrk": "work",
    "arvo": "afternoon",  # Australian
    "arvos": "afternoons",
    "checkin": "check in",  # a check-in typed as one word
    "checkins": "check ins",
    "juneteenth": "june 19th",  # (text2num would make it a bare "19th")
    "ar": "at",  # a slip beside a clock only: "tomorrow ar 4"
    "sinse": "since",  # "a fever sinse yesterday": the past, never the day asked for
    "snce": "since",
}
# Abbreviations that are also English words are spelled out only where the context says so.
_AMBIGUOUS = {"mon", "wed", "sat", "sun", "apt", "doc", "dr", "thu", "tue", "hr", "ar"}
_AR_CLOCK = re.compile(r"\s+(?:\d|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon)\b)")
# a bare "am" after a day is the morning ("nxt mon am pls", "tomorrow am"); never "i am", "9 am"
_DAY_AM = re.compile(r"\b((?:mon|tues|wednes|thurs|fri|satur|sun)day|tomorrow|today) am\b(?!\s*\d|\s+i\b)")
DAY_AM_CUES = cues(" am")  # its prefilter (the text's spaces are single ones by then)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|[0-9]+[a-z]*")


@functools.cache
def _speller() -> SymSpell:
    speller = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    for word in VOCABULARY:
        speller.create_dictionary_entry(word, 1)
    return speller


_SOUNDS = (("ph", "f"), ("ck", "k"), ("qu", "kw"), ("x", "ks"), ("th", "t"), ("rh", "r"), ("wh", "w"))


def sound_key(word: str) -> str:
    """How a word sounds, roughly: the letters that spell one sound made one ("physical" and
    "fisical" -> "fisikal", "allergist" and "alergist" -> "alergist")."""
    for spelling, sound in _SOUNDS:
        word = word.replace(spelling, sound)
    word = re.sub(r"c(?=[eiy])", "s", word).replace("c", "k").replace("y", "i")
    return re.sub(r"(.)\1+", r"\1", word)


@functools.cache
def _sounds() -> dict[str, str]:
    """The clinic's words by how they sound (the first word of a sound wins)."""
    keys: dict[str, str] = {}
    for word in VOCABULARY:
        keys.setdefault(sound_key(word), word)
    return keys


@functools.cache
def _sound_speller() -> SymSpell:
    speller = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    for key in _sounds():
        speller.create_dictionary_entry(key, 1)
    return speller


# words the dictionary lacks that are not misspellings: shift slang the time rules read ("on lates")
_SLANG = frozenset({"lates", "earlies"})


@functools.cache
def correct(word: str) -> str:
    """The clinic word a misspelt `word` stands for, or `word` itself (an abbreviation is spelled
    out instead: "checkin" is a check-in, never the check-up two edits away)."""
    if len(word) < 4 or word in _english() or word in _SLANG or word in ABBREVIATIONS or not word.isalpha():
        return word
    distance = 1 if len(word) <= 6 else 2
    found = _speller().lookup(word, Verbosity.CLOSEST, max_edit_distance=distance)
    if found:
        # of the words as close, one with the same first letter ("munday": monday, not sunday)
        term = next((f.term for f in found if f.term[0] == word[0]), found[0].term)
    else:  # spelt as it sounds: "fisical", "kardiologist", "fisicle"
        key = sound_key(word)
        found = _sound_speller().lookup(key, Verbosity.TOP, max_edit_distance=1 if len(key) <= 6 else 2)
        if not found:
            return _shuffled_day(word)
        term = _sounds()[found[0].term]
    # "physically", "followed", "mornings": a longer word built on a clinic word is its own word
    return word if word.startswith(term) else term


@functools.cache
def _shuffled_days() -> dict[str, str]:
    """Weekdays and months by their sorted letters, whole and with any one letter left out."""
    keys: dict[str, str] = {}
    for name in (*WEEKDAY_NAMES, *MONTH_NAMES):
        if len(name) >= 6:
            keys.setdefault("".join(sorted(name)), name)
            for i in range(len(name)):
                keys.setdefault("".join(sorted(name[:i] + name[i + 1 :])), name)
    return keys


def _shuffled_day(word: str) -> str:
    """A weekday or month typed with its letters out of order and maybe one left out, which the
    edit distance counts as three ("wedsnday": wednesday); the first two letters must be right."""
    name = _shuffled_days().get("".join(sorted(word))) if len(word) >= 6 else None
    return name if name is not None and name[:2] == word[:2] else word


def _abbreviation(word: str, before: str, after: str) -> str:
    expanded = ABBREVIATIONS.get(word)
    if expanded is None:
        return word
    if word in _AMBIGUOUS:
        # "sat", "sun", "wed", "mon" are weekdays before a part of day, a date, punctuation or
        # another weekday ("mon tues or weds"), or after "on/next/this/by/for"; "dr"/"doc" always
        # mean the doctor.
        if word in ("dr", "doc", "apt"):
            return expanded
        if word == "ar":
            return expanded if _AR_CLOCK.match(after) else word
        near_time = re.match(
            r"\s*(?:[,.!?;/]|$|morning|afternoon|evening|the\b|\d|at\s+\d|@|[ap]m\b|for\s+(?:a|an|the|my|his|her)\b|if\s+poss|[a-z]{3,9}\s+\d|(?:(?:or|and|&|-|to)\s*)?(?:mon|tue|wed|thu|fri|sat|sun)|"
            # a clock or bound in words: "wed at two thirty", "wed after four", "sat from ten"
            r"(?:at|after|before|from|around|about|until|till)\s+(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon|midday|lunch)\b|"
            # a day it is counted from: "wed before independence day", "mon after the 4th of july"
            r"(?:after|before)\s+(?:the\s+)?(?:\d|[a-z]+\s+(?:day|eve)\b|(?:christmas|xmas|thanksgiving|easter|july|labou?r|memorial)\b))",
            after,
        )
        # ... or refused: "not mon or tues", "except wed", "anything but sat"; or said of a week
        # named just before ("next week, wed perhaps", "the week after next - sat?")
        led = (
            re.search(
                r"(?:\b(?:on|next|nxt|this|by|for|coming|until|from|or|and|not|except|but|than|nor)|/)\s*$", before
            )
            is not None
        )
        led = led or (
            re.search(r"\b(?:week|wk)'?s?\s*[,-]\s*$", before) is not None
            # (never "next week, wed prefer the week after": "we'd" typed without its apostrophe)
            and not (word == "wed" and re.match(r"\s+(?:like|love|prefer|rather|be|need|want|have)\b", after))
        )
        return expanded if near_time or led else word
    return expanded


def normalize(text: str) -> str:
    """Lower case, straight apostrophes, single spaces, corrected words and digits for numbers."""
    low = " ".join(text.lower().replace("’", "'").replace("‘", "'").split())
    out: list[str] = []
    last = 0
    for m in _WORD.finditer(low):
        word = m[0]
        fixed = _fixed(word)
        if fixed is None:  # an abbreviation that is also a word: its neighbours decide
            fixed = _abbreviation(word, low[: m.start()], low[m.end() :])
        if fixed != word:
            out += (low[last : m.start()], fixed)
            last = m.end()
    out.append(low[last:])
    text = "".join(out)
    if cued(text, SPOKEN_CLOCK_CUES) and SPOKEN_CLOCK_HINT.search(text):
        text = _SPOKEN_CLOCK.sub(_spoken_clock, text)  # before text2num makes "twelve fifteen" "12 15"
    if (" to " in text or " til" in text) and _WORD_TO.search(text):  # before text2num makes it "10 to 4"
        text = _WORD_TO.pattern.sub(_word_to, text)
    if cued(text, DAY_AM_CUES) and _DAY_AM.search(text):
        text = _DAY_AM.sub(r"\1 morning", text)  # "nxt mon am" (as "tues pm" is the afternoon)
    if _NUMBER_HINT.search(text):  # most messages spell no number: spare them text2num
        text = str(alpha2digit(text, "en"))
    return clock_idioms(text)


# Every word text2num turns into digits begins with one of these (tests/agent/test_offline_nlu.py
# checks it over the whole bundled dictionary); a word that merely begins so costs one more call.
_NUMBER_HINT = re.compile(
    r"\b(?:zero|one|two|thr|four|fi[fv]|six|seven|eight|nin|ten|eleven|twel|twent|thir|fort|hundred|"
    r"thousand|million|billion|nought|oh\b|o\b|first|second)"
)


_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
SPOKEN_CLOCK_HINT = re.compile(r"\b(?:oh|ten|eleven|twelve|\w+teen|twenty|thirty|forty|fifty)\b")
# its prefilter: one of these is in each match (tests/agent/test_offline_prefilters.py)
SPOKEN_CLOCK_CUES = cues("oh", "ten", "eleven", "twelve", "teen", "twenty", "thirty", "forty", "fifty")
# a clock time said as words: "twelve fifteen", "ten thirty", "two forty-five", "nine oh five"
_SPOKEN_CLOCK = re.compile(
    r"\b("
    + "|".join(NUMBER_WORDS)
    + r")[\s-]+(?:(oh)[\s-]+("
    + "|".join(_UNITS)
    + r")|("
    + "|".join(_TEENS)
    + r")|("
    + "|".join(_TENS)
    + r")(?:[\s-]+("
    + "|".join(_UNITS)
    + r"))?)\b(?![\s-]*(?:minutes?|mins?|hours?|years?|days?|weeks?))"
)


def _spoken_clock(m: re.Match[str]) -> str:
    minutes = _UNITS[m[3]] if m[2] else _TEENS[m[4]] if m[4] else _TENS[m[5]] + (_UNITS[m[6]] if m[6] else 0)
    return f"{NUMBER_WORDS[m[1]]}:{minutes:02d}"


@functools.cache
def _fixed(word: str) -> str | None:
    """`word` corrected or spelled out, or None where the words around it decide; cached, as
    the same words come in every message."""
    fixed = correct(word)
    if fixed != word:
        return fixed
    if word in _AMBIGUOUS and word not in ("dr", "doc", "apt"):
        return None
    return ABBREVIATIONS.get(word, word)


_HOUR_WORD = r"(\d{1,2}|" + "|".join(NUMBER_WORDS) + r")"
_MINUTES = {"five": 5, "ten": 10, "twenty": 20, "twenty five": 25}  # "quarter"/"half" past: the time parser
_PAST_TO = re.compile(
    r"(?<![/:.\d-])\b(\d{1,2}|twenty[-\s]five|five|ten|twenty)\s+(?:minutes\s+)?(past|after|to|till?)\s+"
    + _HOUR_WORD
    + r"\b(?![:.]?\d|\s*(?:min(?:ute)?s?|h(?:ou)?rs?|days?|weeks?|months?|years?|people)\b)"
)
# minutes in words to an hour in words, "ten to four" (15:50), "five to twelve": never a range
# led by a bound or a busy word ("from ten to four", "i work ten to four")
_WORD_TO = Gated(
    re.compile(
        r"(?<!from\s)(?<!between\s)(?<!work\s)(?<!works\s)(?<!working\s)(?<!open\s)(?<!shift\s)(?<!busy\s)"
        r"\b(five|ten)\s+(?:minutes\s+)?(to|till?)\s+(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b"
        r"(?!\s*(?:min(?:ute)?s?|h(?:ou)?rs?|days?|weeks?|months?|years?|people)\b)"
    )
)


def _word_to(m: re.Match[str]) -> str:
    minutes, hour = _MINUTES[m[1]], NUMBER_WORDS[m[3]]
    return f"{(hour - 2) % 12 + 1}:{60 - minutes:02d}"


_HALF_HOUR = re.compile(r"\bhalf\s+" + _HOUR_WORD + r"\b(?![:.]?\d|\s*(?:hours?|days?)\b)")
_ISH = re.compile(r"\b(\d{1,2}(?::\d{2})?(?:\s*[ap]m)?|" + "|".join(NUMBER_WORDS) + r")\s*-?\s*ish\b")
# a clock typed as four digits, "1030" / "0930" / "1415", within opening hours: never a year, a
# phone or a code (no digit, letter, "/", ":", "-", "#", "$" or "@" beside it)
_FOUR_DIGIT_CLOCK = re.compile(r"(?<![\w/:.#$£@-])(?<!\d\s)(0[6-9]|1[0-9])([0-5][0-9])(?![\w/:@-]|\.\d|\s\d)")
# ... and as three after "@" or "at" ("nxt tues @ 930", "at 845"): 9:30, 8:45
_AT_THREE_DIGIT_CLOCK = re.compile(
    r"(?:(?<=@)|(?<=@\s)|(?<=\bat\s)|(?<=\baround\s)|(?<=\babout\s))([1-9])([0-5][0-9])(?![\w/:@-]|\.\d|\s\d)"
)
_FOUR_DIGITS, _THREE_DIGITS = re.compile(r"\d{4}"), re.compile(r"\d{3}")  # their prefilters
_LED_BY_BOUND = re.compile(r"\b(?:after|before|from|by|until|till|til|than|between|and|to|at|around|about)\s+$")


def _hour(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def _past_to(m: re.Match[str]) -> str:
    minutes, hour = _MINUTES.get(m[1].replace("-", " "), None), _hour(m[3])
    minutes = int(m[1]) if minutes is None else minutes
    if not 0 < minutes < 60 or not 1 <= hour <= 12:
        return m[0]
    if m[2] in ("to", "til", "till"):
        if m[1].isdigit() and minutes not in (20, 25):
            return m[0]  # "from 2 to 4", "10 to 4" are ranges
        hour, minutes = (hour - 2) % 12 + 1, 60 - minutes
    return f"{hour}:{minutes:02d}"


def clock_idioms(text: str) -> str:
    """Spoken clock times as digits: "twenty past ten" -> 10:20, "quarter to 4" stays for the
    time parser, "half two" (British, half past two) -> 2:30, "1030" -> 10:30, "ten-ish" -> around 10,
    "after 3ish" -> after 3."""
    # each idiom only where its words are: every message comes here, few have one
    if _THREE_DIGITS.search(text):
        if _FOUR_DIGITS.search(text):
            text = _FOUR_DIGIT_CLOCK.sub(r"\1:\2", text)
        text = _AT_THREE_DIGIT_CLOCK.sub(r"\1:\2", text)
    if " past " in text or " after " in text or " to " in text or " til" in text:
        text = _PAST_TO.sub(_past_to, text)
    if "half " in text:
        text = _HALF_HOUR.sub(lambda m: f"{_hour(m[1])}:30" if 1 <= _hour(m[1]) <= 12 else m[0], text)
    return _ISH.sub(_ish, text) if "ish" in text else text


def _ish(m: re.Match[str]) -> str:
    """ "3ish" is about 3: "around 3", or just "3" where a bound already leads it ("after 3ish")."""
    value = m[1] if m[1][0].isdigit() else str(_hour(m[1]))
    return value if _LED_BY_BOUND.search(m.string, 0, m.start()) else f"around {value}"


VOCABULARY_SET = frozenset(VOCABULARY)
