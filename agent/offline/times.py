"""Clock times and time windows in a patient's (normalised) words.

A time without am/pm is ambiguous, so a parsed time carries every reading, the likelier first:
hours 1-6 read as afternoon ("at 3" = 15:00, then 03:00), 7-11 as morning ("at 9" = 09:00,
then 21:00), 12 as noon. Matching against offered slots tries every reading ("the 2:30 one"
picks 14:30 when that was offered); a new request uses the first.

Windows use the tool's `time_of_day` forms: "morning", "afternoon", "evening", "after HH:MM",
"before HH:MM" and "HH:MM-HH:MM". Read as (tests/nlu/DATASET.md):

* "between 2 and 4" / "from 9 to 11" -> "14:00-16:00" / "09:00-11:00";
* "after 3", "from 2", "not before 10", "no earlier than 3", "at 3:30 or later", "after lunch"
  -> "after HH:MM" (lunch: 13:00); "before 11", "by 11", "no later than 11", "not after 11am",
  "before noon" -> "before HH:MM";
* "early morning" / "first thing" -> "before 10:00", "late morning" -> "10:00-12:00", "early
  afternoon" -> "12:00-15:00", "late afternoon" -> "after 15:00",
  "lunchtime" -> "12:00-14:00", "after work" / "tonight" -> "evening";
* what keeps the patient busy is not the window they ask for: "I'm at work until 4, so Thursday
  evening" is the evening; without a window of its own, "I work until 5, anytime after that" /
  "I finish work at 3" / "he's done by 1" give "after" that time, and "I need to be at work by
  11, so before then" gives "before 11:00". "in meetings all morning" names no window; a part of
  the day named after "so" wins over a work range ("i work 9 to 1 so afternoon" = afternoon);
* a reason is what the patient is doing then: "only in the afternoon because my wife has the car in
  the morning" refuses the morning, and "mornings are easier because I collect her at 3" asks no 3 PM.

Every constraint counts: explicit bounds, a refused part of the day ("not mornings" = after
12:00, "no evenings" = before 17:00), a part of the day and a busy clause are intersected, in that
order of trust ("tomorrow morning, not after 10" = before 10:00, "Thursday afternoon but not
before 3" = 15:00-17:00); one that would leave nothing is dropped. Bounds read through "ish" and
"about" ("after 3ish", "after about 3"), and "2-4pm" is a range like "between 2 and 4".
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from agent.offline.cues import Gated, cued, cues
from core.formats import NUMBER_WORDS, PARTS_OF_DAY, hhmm, minutes, time_window

_WORD_HOURS = {**NUMBER_WORDS, "noon": 12, "midday": 12}
_HOUR = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon|midday)"
_MERIDIEM = r"(a\.?\s?m\b\.?|p\.?\s?m\b\.?)"
# one time expression: "10:30", "2pm", "2:30 p.m.", "9 o'clock", "noon", "half past ten", "quarter to 3"
_CLOCK = (
    rf"(?:(?:a\s+)?(?:half|quarter)\s+(?:past|to)\s+{_HOUR}"
    rf"|\d{{1,2}}[:.]\d{{2}}\s*{_MERIDIEM}?"
    rf"|\d{{1,2}}\s*{_MERIDIEM}"
    rf"|{_HOUR}\s*o'?\s?clock"
    rf"|noon|midday)"
)
_APPROX = r"(?:(?:around|about|roughly|approximately|say)\s+)?"  # "after about 3"
# a bare hour: not a date ("the 3rd", "12/3"); a full stop after it ends the sentence ("at 9. Jane")
_BARE_HOUR = rf"{_HOUR}(?:\s+\d{{2}}\b)?(?![\d:/]|\.\d|\s*(?:st|nd|rd|th)\b)"
_BOUND = rf"(?:{_CLOCK}|{_BARE_HOUR})"
_BUSY = (
    r"(?:(?:i'?m|i\s+am|he'?s|she'?s|they'?re|we'?re|is|are|be|has|have|i|he|she|we|they)\s+)?"
    r"(?:at\s+work|working|work|at\s+school|in\s+school|school|in\s+class|class|teach(?:ing)?|busy|"
    r"in\s+meetings|stuck|tied\s+up|done|home|(?:in|at)\s+the\s+office|"
    # "my shift is 7 till 11", "on shift 7-3"
    r"(?:(?:my|his|her)\s+)?(?:shifts?(?:\s+(?:is|are|runs?))?|shift'?s)|on\s+(?:a\s+|the\s+)?shift|"
    # what the day starts with: "i do the nursery drop off til 10", "school run until 9:30"
    r"(?:(?:do|doing)\s+)?(?:the\s+)?(?:nursery\s+|school\s+|kids'?\s+)?(?:drop[\s-]?offs?|pick[\s-]?ups?|run)|"
    r"drop(?:ping)?|nursery|"
    # "i sleep till 2 after nights": asleep until then
    r"sleep(?:ing)?|asleep|in\s+bed)"
)
_FREE_FROM = (
    r"\b(?:(?:i|he|she|we|they)\s+)?(?:finish(?:es)?(?:\s+(?:work|school|class|college|uni|(?:my|his|her)\s+shift))?|"
    r"gets?\s+(?:off|out)(?:\s+of)?(?:\s+(?:work|school|class))?|(?:off|out\s+of)\s+(?:work|school|class)|"
    r"(?:my|his|her)\s+shift\s+(?:finishes|ends)|(?:school|work|class)\s+(?:finishes|ends|is\s+out)|"
    r"(?:knock|clock|sign)s?\s+off|(?:i'?m|i\s+am|he'?s|she'?s|we'?re|they'?re)\s+(?:off|done)(?:\s+work)?|"
    r"(?:^|(?<=[,.;!?]\s)|(?<=[,.;!?]))(?:done|off))\s+(?:at|by)\s+"  # "done at 2, ...", "off at 4 on tuesday"
)

# "... so anything after that" / "... before then": the side of the busy time asked for
_AFTER_THAT = r"\b(?:(?:any\s*time|anything|sometime)\s+)?(?:after\s+(?:that|then)|from\s+then)\b"
_BEFORE_THAT = r"\b(?:before\s+(?:that|then))\b"
_BUSY_FROM = (
    r"\b(?:(?:i|he|she|we|they)\s+)?(?:(?:start|begin)s?(?:\s+(?:work|school|class|college|uni|(?:my|his|her)\s+shift))|"
    r"(?:have|need|got)\s+to\s+(?:leave|go|be\s+(?:off|gone))(?:\s+(?:for|to)\s+(?:work|school|class))?|(?:my|his|her)\s+shift\s+(?:starts|begins)|"
    r"(?:do\s+)?(?:the\s+)?(?:school\s+)?(?:pick[\s-]?up|run)|(?:pick|collect)\s+(?:up\s+)?(?:the\s+|my\s+)?"
    r"(?:kids|children|son|daughter|boy|girl)(?:\s+up)?|(?:i\s+|he\s+|she\s+|we\s+|they\s+)(?:start|begin)s?|"
    r"(?:(?:i|he|she|we|they)\s+)?(?:work|working|(?:am|'m|is|'s|are)\s+(?:at|in)\s+work|on\s+(?:a\s+|the\s+)?shift)\s+from|"
    r"(?:(?:my|his|her)\s+)?shift(?:'?s|\s+is)|(?:have|has|got|'ve|ive)\s+(?:work|school|class|college|uni|a\s+shift|"
    r"(?:an?|the|my)\s+(?:meeting|call|interview|lecture|class|dentist|physio|zoom))|"
    # "I've got work for 11", "due in work for 10": where the patient must be by then
    r"(?:be|am|'m|due)\s+(?:in|at)\s+work\s+for)\s+(?:at|by|from|for)?\s*"
)
# a start time that begins a range ("I work from 9 to 5") is the range's, not a start
_NOT_A_RANGE = r"(?!\s*(?:-|–|to|till|til|until)\s*\d)"
_NOT_A_SPAN = r"(?!\s*(?:hours?|hrs?|minutes?|mins?|days?|weeks?)\b)"  # "got work for 2 hours" is no start


def say(hh_mm: str) -> str:
    """'09:00' -> '9:00', '14:30' -> '14:30' (the 24-hour display; see core.formats.clock_label)."""
    return hh_mm[1:] if hh_mm.startswith("0") else hh_mm


@dataclass(frozen=True, slots=True)
class TimeMatch:
    """What an utterance says about time: a window, a clock time (all readings), or 'any time'."""

    window: str | None = None
    readings: tuple[str, ...] = ()
    any_time: bool = False
    spans: list[tuple[int, int]] = field(default_factory=list)
    busy_only: bool = False  # the window is only what keeps the patient busy: it narrows one asked before


def _hour_value(word: str) -> int:
    return int(word) if word.isdigit() else _WORD_HOURS[word]


def _readings(hour: int, minute: int, meridiem: str | None) -> tuple[str, ...]:
    """Every 24-hour reading of hour:minute, the likelier first (see module docstring)."""
    if hour > 23 or minute > 59:
        return ()
    if meridiem:
        if hour > 12 or hour == 0:
            return ()
        after_noon = meridiem.startswith("p")
        h24 = (hour % 12) + (12 if after_noon else 0)
        return (hhmm(h24 * 60 + minute),)
    if hour == 0 or hour >= 13:
        return (hhmm(hour * 60 + minute),)
    if hour == 12:
        return (hhmm(12 * 60 + minute),)
    am, pm = hhmm(hour * 60 + minute), hhmm((hour + 12) * 60 + minute)
    return (pm, am) if hour <= 6 else (am, pm)


def parse_clock(expr: str) -> tuple[str, ...]:
    """Readings of one clock expression ("2:30pm", "half past ten", "at 9", "2 30"); () if none."""
    e = expr.strip().lower()
    e = re.sub(r"^(?:(?:at|around|about|by|from|after|before|until)\s+|@\s*)", "", e)
    e = re.sub(r"^a\s+", "", e)
    if e in ("noon", "midday"):
        return ("12:00",)
    if m := re.fullmatch(rf"(half|quarter)\s+(past|to)\s+{_HOUR}", e):
        hour = _hour_value(m[3])
        offset = 30 if m[1] == "half" else 15
        if m[2] == "to":
            hour, offset = (hour - 1) % 12 or 12, 60 - offset
        return _readings(hour, offset, None)
    if m := re.fullmatch(rf"(\d{{1,2}})(?:[:.]|\s+)(\d{{2}})\s*{_MERIDIEM}?", e):
        return _readings(int(m[1]), int(m[2]), m[3])
    if m := re.fullmatch(rf"(\d{{1,2}})\s*{_MERIDIEM}", e):
        return _readings(int(m[1]), 0, m[2])
    if m := re.fullmatch(rf"{_HOUR}\s*(?:o'?\s?clock)?", e):
        return _readings(_hour_value(m[1]), 0, None)
    return ()


def _bound(expr: str) -> str | None:
    """The first reading of a bound in "after 3" / "before 11am"."""
    readings = parse_clock(expr)
    return readings[0] if readings else None


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """Blank out already-consumed spans, keeping offsets."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: list[tuple[int, int]] = []
        self._masked = text
        self.part_at = -1  # where the part of the day asked for was named

    def search(self, pattern: str | re.Pattern[str]) -> re.Match[str] | None:
        compiled = pattern if isinstance(pattern, re.Pattern) else _compiled(pattern)
        return compiled.search(self._masked)

    def take(self, m: re.Match[str], group: str | int = 0) -> None:
        self.spans.append(m.span(group))
        self._masked = _mask(self.text, self.spans)

    def side_of_event(self) -> re.Match[str] | None:
        """The patient's own event said after a side ("before my shift at 9", "before my 9 o'clock
        shift", "after the school run at 9:30"), taken; or None. Read only where a side and a clock
        (a digit, or a clock word) are left. Its window: `_side_window`."""
        masked = self._masked
        if not ("before" in masked or "after" in masked) or _CLOCKISH.search(masked) is None:
            return None
        if m := self.search(_SIDE_OF_EVENT):
            self.take(m)
        return m

    def busy_bound(self) -> str | None:
        """What keeps the patient busy: 'after' (or 'before') the time it names, or None."""
        if m := self.search(rf"{_FREE_FROM}(?P<b>{_BOUND})"):
            self.take(m)
            return _window("after", m["b"])
        if m := self.side_of_event():
            return _side_window(m)
        if m := self.search(_BUSY_FIRST_THING):  # "school run first thing": the early morning is taken
            self.take(m)
            return "after 10:00"
        hinted = _BUSY_FROM_HINT.search(self._masked) is not None
        # "I start work at 1", "my shift's at 3": before that time
        if hinted and (m := self.search(rf"{_BUSY_FROM}(?P<b>{_BOUND}){_NOT_A_RANGE}{_NOT_A_SPAN}")):
            self.take(m)
            return _window("before", m["b"])
        # "I work 9 to 3, so anything after that": free after its end (before its start if said)
        ranged = _DIGIT_RANGE.search(self._masked) is not None
        if ranged and (
            m := self.search(
                rf"\b{_BUSY}\s+(?:from\s+)?(?P<a>{_BOUND})\s*(?:-|–|to|till|til|until)\s*(?P<b>{_BOUND})(?:\s*{_MERIDIEM})?"
            )
        ):
            self.take(m)
            before = self.search(_BEFORE_THAT)
            if before:
                self.take(before)
                return _window("before", m["a"])
            if after := self.search(_AFTER_THAT):
                self.take(after)
            end = _range(m["a"], m["b"])
            return f"after {end[-5:]}" if end else None
        # "working every day this week until 4", "drop my son at nursery till 9:30": a few words between
        m = self.search(
            rf"\b{_BUSY}\s+(?:all\s+(?:morning|afternoon|day)|(?:(?:[^.,;!?\n]{{0,30}}?\s)?(?:until|till|til)|by)\s+"
            rf"{_APPROX}(?P<b>{_BOUND}))"
        )
        if m is None:
            return None
        if not m["b"]:
            if not m[0].endswith("day"):
                return None  # "in meetings all morning": a busy part of the day (busy_part)
            self.take(m)
            return None
        self.take(m)
        after = self.search(_AFTER_THAT)
        before = self.search(_BEFORE_THAT)
        if before and not after:
            self.take(before)
            return _window("before", m["b"])
        if after:
            self.take(after)
        leaves = re.match(r".*\bat\s+work\s+by\b|.*\bbe\b", m[0]) is not None
        return _window("before" if leaves else "after", m["b"])

    def busy_at(self) -> str | None:
        """A clock of the patient's own plans, then "so" and the side asked for: "i have physio at 10
        so anything after 12", "picking the kids up at 3 so before then". That clock is no time
        asked for; "before/after then" bounds the day by it, another bound after it is read as such."""
        m = self.search(_BUSY_AT)
        if m is None or _ASKS_BEFORE.search(self._masked, max(0, m.start() - 40), m.start()):
            return None  # "could i come at 10 so after that ..." asks for 10
        if m["then"]:
            self.take(m)
            return _window(m["side"], m["b"])
        self.take(m, "at")  # only the clock: the bound after "so" is read by explicit()
        return None

    def explicit(self) -> str | None:
        masked = self._masked  # each form below only where its words are
        if ("between" in masked or "from" in masked or "lunch" in masked) and (
            m := self.search(
                rf"\b(?:between|from|{_LUNCH}\s+(?:is|'s|runs)(?:\s+from)?)\s+{_APPROX}(?P<a>{_BOUND})"
                rf"\s*(?:and|to|till|til|until|-|–)\s*{_APPROX}(?P<b>{_BOUND})"
            )
        ):
            if found := _range(m["a"], m["b"]):
                self.take(m)
                return found
        # "2-4pm", "9 to 11am": a range with no "between", known by the meridiem that ends it
        if ("-" in masked or "–" in masked or "to" in masked) and (
            m := self.search(
                rf"(?<![\d/:.-])(?P<a>\d{{1,2}}(?:[:.]\d{{2}})?)\s*(?:-|–|to)\s*(?P<b>\d{{1,2}}(?:[:.]\d{{2}})?\s*{_MERIDIEM})"
            )
        ):
            if found := _range(m["a"], m["b"]):
                self.take(m)
                return found
        # "anytime 10 to 12", "tuesday 1 till 3 ideally": two bare clinic hours joined by "to" (as "10 to 4"
        # stays a range: "ten to four" in words was read as 15:50 before), no unit after them
        if ("to" in masked or "til" in masked) and _DIGIT_RANGE.search(masked) and (m := self.search(_BARE_TO_RANGE)):
            hours = int(m["a"].split(":")[0]), int(m["b"].split(":")[0])
            if max(hours) <= 12 and (found := _range(m["a"], m["b"])):
                self.take(m)
                return found
        # "thursday 2-4": two clinic hours and a dash, no unit after them (never "2-3 weeks")
        if ("-" in masked or "–" in masked) and (m := self.search(_BARE_RANGE)):
            hours = int(m["a"].split(":")[0]), int(m["b"].split(":")[0])
            if max(hours) <= 12 and (found := _range(m["a"], m["b"])):
                self.take(m)
                return found
        if " or " in masked and (
            m := self.search(rf"\b(?:at\s+|from\s+)?(?P<b>{_BOUND})\s+or\s+(?P<w>later|after|earlier|before)\b")
        ):
            self.take(m)
            return _window("after" if m["w"] in ("later", "after") else "before", m["b"])
        # an open lower bound said loosely: "2pm onwards", "3 and after"; "the earliest I can do is 3"
        loose = _LOOSE_BOUND_HINT.search(self._masked) is not None
        if loose and (m := self.search(_ONWARDS)):
            self.take(m)
            return _window("after", m["b"])
        if loose and (m := self.search(_EARLIEST_I_CAN)):
            self.take(m)
            return _window("after" if m["w"] == "earliest" else "before", m["b"])
        # the patient's own event after the side: its clock bounds the day, no time is asked
        if m := self.side_of_event():
            return _side_window(m)
        # one search, so the leftmost form wins: "not after 11" is a "before", never an "after 11"
        # a refused side turns the bound around: "nothing before 11" is after 11
        refuse = (
            r"(?:not|nothing|nuthin|none|never|(?:can'?t|cannot|can\s+not|couldn'?t)\s+"
            r"(?:do|make(?:\s+it)?|come(?:\s+in)?|get\s+(?:in|there)|be\s+there|manage))"
        )
        after = (
            rf"{refuse}\s+(?:before|earlier\s+than)|{_ABSENT}\s+(?:before|until|till|til)|no\s+earlier\s+than|not\s+earlier\s+than|after|later\s+than|from|starting\s+at|"
            r"(?<!half\s)(?<!quarter\s)(?<!\d\s)past"  # "anytime past 2", never "half past 2"
        )
        before = (
            rf"{refuse}\s+(?:after|later\s+than)|no\s+later\s+than|not\s+later\s+than|before|earlier\s+than|"
            r"by|until|till"
        )
        if m := self.search(
            rf"\b(?:(?P<after>{after})|(?P<before>{before}))\s+{_APPROX}(?P<b>{_BOUND}|lunch(?:\s*time)?)(?!\w)"
            r"(?!\s*(?:days?|weeks?|months?|years?|hours?|of)\b)"  # never "seen by one of your doctors"
            r"(?P<said>\s+in\s+the\s+(?P<part>morning|afternoon|evening))?"  # "after four in the afternoon": 4 PM
        ):
            self.take(m)
            kind = "after" if m["after"] else "before"
            if m["b"].startswith("lunch"):
                return "after 13:00" if kind == "after" else "before 12:00"
            if m["part"] and not re.search(r"[ap]\.?\s?m", m["b"]):
                return _window(kind, f"{m['b']} {'am' if m['part'] == 'morning' else 'pm'}")
            return _window(kind, m["b"])
        return None

    def busy_part(self) -> str | None:
        """A part of the day the patient is busy in ("I work mornings", "busy in the morning", "the
        school run in the afternoons", "the mornings are when I do the school run"): refused like
        "not mornings", so another part named wins."""
        if m := self.search(_BUSY_PART) or self.search(_BUSY_PART_AFTER):
            self.take(m)
            return _REST_OF_DAY[m["p"].rstrip("s")]
        return None

    def shift_part(self) -> str | None:
        """The free side of a named shift: "on lates" / "the late shift" leave the morning, "on
        earlies" / "early shifts" the afternoon (after 12:00), as "I work mornings" does."""
        if m := self.search(_SHIFT_PART):
            self.take(m)
            return "morning" if m["late"] else "after 12:00"
        return None

    def contrasted_part(self) -> str | None:
        """Two parts of the day, one said to be what the patient can't do: before "so" ("mornings
        are a nightmare with work so could I come in the afternoon", "I look after the grandkids in
        the mornings so thursday afternoon"), or after "because" in the same sentence ("only in the
        afternoon because my wife has the car in the morning"): refused, and the other asked for."""
        if (so := self.search(_SO)) and (refused := self._contrast(0, so.start(), so.end(), len(self.text), -1)):
            return refused
        if reason := self.search(_BECAUSE):
            start, end = _sentence(self._masked, reason.start())
            return self._contrast(start, reason.start(), reason.end(), end, 0)
        return None

    def _contrast(self, start: int, cut: int, resume: int, end: int, refused_at: int) -> str | None:
        """The rest of the day beside the part refused: of the parts in `start:cut` (asked for
        when `refused_at` is 0) and in `resume:end`, the one at `refused_at` of its side (the last
        before "so", the first after "because"), when the two sides name different parts."""
        before = list(_PARTS_RE.finditer(self._masked, start, cut))
        after = list(_PARTS_RE.finditer(self._masked, resume, end))
        if not before or not after or {m["p"].rstrip("s") for m in before} & {m["p"].rstrip("s") for m in after}:
            return None
        refused = (before if refused_at else after)[refused_at]
        self.take(refused)
        return _REST_OF_DAY[refused["p"].rstrip("s")]

    def refused_part(self) -> str | None:
        """The rest of the day when a part of it is refused: "not mornings", "no evenings",
        "mornings are no good" (a refused afternoon leaves the morning)."""
        if m := self.search(_REFUSED_PART_BEFORE) or self.search(_REFUSED_PART_AFTER):
            self.take(m)
            return _REST_OF_DAY[(m["p"] or m["q"]).rstrip("s")]
        return None

    def part_of_day(self) -> str | None:
        if not _PART_OF_DAY_HINT.search(self._masked):
            return None  # most messages name no part of the day: skip the eight rules
        parts = [
            (_LATE_IN_THE_DAY, "after 15:00"),
            (r"\bmid[\s-]?mornings?\b", "10:00-12:00"),
            (r"\bmid[\s-]?afternoons?\b", "14:00-16:00"),
            (
                r"\b(?:early\s+mornings?|first\s+thing(?:\s+in\s+the\s+morning)?|"
                r"first\s+(?:(?:appointment|slot|one)\s+)?(?:of|in)\s+the\s+(?:day|morning))\b" + _NOT_OFFERED,
                "before 10:00",
            ),
            (r"\blate\s+mornings?\b", "10:00-12:00"),
            (r"\bearly\s+afternoons?\b", "12:00-15:00"),
            (rf"\b(?:(?:at|around|over|during|in|on|for)\s+)?(?:(?:my|the|a|your|his|her)\s+)?{_LUNCH}\b", LUNCH),
            (r"\bmornings?\b", "morning"),
            # "thurs pm" (the day already read and blanked before it): a bare pm, never "3 pm"
            (r"(?<![\d:])(?<![\d:]\s)\bpm\b", "afternoon"),
            (r"\bafternoons?\b", "afternoon"),
            (r"\b(?:evenings?|tonight|after\s+work)\b", "evening"),
        ]
        for pattern, value in parts:
            if m := self.search(pattern):
                self.take(m)
                self.part_at = m.start()
                return self._or_part(m, value, parts)
        return None

    def _or_part(self, m: re.Match[str], value: str, parts: list[tuple[str, str]]) -> str:
        """ "morning or early afternoon": two parts of the day offered as alternatives are both
        wanted, so the window is their union when they touch ("before 15:00")."""
        masked = self._masked
        if " or " not in masked and "/" not in masked:
            return value
        after = _compiled(_OR_GAP).match(masked, m.end())
        before = re.search(_OR_GAP_BEFORE, masked[: m.start()])
        for pattern, other in parts:
            compiled = _compiled(pattern)
            found = compiled.match(masked, after.end()) if after else None
            if found is None and before:
                found = next(
                    (x for x in compiled.finditer(masked, 0, before.start()) if x.end() == before.start()), None
                )
            if found is None:
                continue
            (a, b), (c, d) = time_window(value), time_window(other)
            if max(a, c) <= min(b, d):  # they touch or overlap
                self.take(found)
                return _as_window(min(a, c), max(b, d))
        return value


# Every rule needs one of these words (a guard, so false hits only cost time).
_TIMEISH = Gated(
    re.compile(
        r"\d|noon|midday|lunch|morning|afternoon|evening|tonight|work|school|class|teach|busy|meeting|thing|clock|half|"
        r"quarter|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|any\s*time|whenever|matter|"
        r"preference|done|shift|finish|off|home|tied|stuck|lates|earlies|end\s+of|last\s|first\s|\bpm\b"
    )
)


_PART = r"(mornings?|afternoons?|evenings?)"
# where the patient is not, up to a time: "he's not available before 2", "she isn't free until 3",
# "I'm not in before 11", "unavailable before 2pm" (after that time, as "not before 2" is)
_ABSENT = (
    r"(?:(?:(?:not|never)|(?:is|are|was|were|wo|ai)n'?t)(?:\s+be)?\s+(?:available|free|around|in|about|here|home|back|up)"
    r"|unavailable)"
)
_REFUSED_PART_BEFORE = (
    r"\b(?:not|no|never|nothing|anything\s+but|except|not\s+(?:keen|great|good)\s+(?:on|with|in)|"
    r"(?:can'?t|cannot|can\s+not|couldn'?t|won'?t\s+be\s+able\s+to)\s+(?:really\s+|usually\s+|ever\s+)?"
    r"(?:do|make(?:\s+it)?|manage|come(?:\s+in)?|get\s+(?:in|there|away))(?:\s+(?:any|at\s+all))?)\s+"
    rf"(?:in\s+|on\s+|during\s+)?(?:the\s+)?(?:early\s+|late\s+)?(?P<p>{_PART[1:-1]})\b(?P<q>)"
)
_REFUSED_PART_AFTER = (
    rf"\b(?P<q>{_PART[1:-1]})\s+(?:are\s+|is\s+|'?s\s+|r\s+)?(?:(?:a\s+)?(?:bit\s+|little\s+)?(?:nightmare|pain|problem|"
    r"no\s*go|no-go|write-?off|tight|squeeze|struggle|stretch|zoo|circus|madhouse|scramble|rush)|"
    # "mornings are chaos", "afternoons are mayhem at the shop"
    r"(?:total\s+|complete\s+|absolute\s+)?(?:chaos|chaotic|mayhem|madness|bedlam|carnage)|crazy|mad|insane|frantic|"
    r"(?:a\s+)?(?:bit|little)\s+(?:tricky|awkward|hectic|tough|hard|"
    r"difficult|busy|much)|packed|full\s+on|manic|busy|not\s+(?:possible|ideal|great|an\s+option)|(?:of\s+)?no\s+use|tricky|awkward|hectic|rubbish|"
    r"no\s+good|not\s+good|out|bad|impossible|difficult|a\s+no\b|"
    # "my evenings are all taken up", "mornings are booked up"
    r"(?:all\s+|completely\s+|pretty\s+)?(?:taken(?:\s+up)?|booked(?:\s+up)?|spoken\s+for|full)|"
    r"tough|hard|(?:don'?t|do\s+not|doesn'?t|does\s+not|won'?t|never)\s+work)\b(?P<p>)"
)
_REST_OF_DAY = {"morning": "after 12:00", "evening": "before 17:00", "afternoon": "morning"}
# what keeps the patient busy in a part of the day, in the same clause before it (never "after
# school"/"after work", and never a part said to suit: "tuesday works best in the morning")
_BUSY_CUE = (
    r"(?<!after\s)(?<!before\s)\b(?:(?:i|we|he|she|they|you)\s+(?:usually\s+|normally\s+|only\s+|also\s+)?work|"
    r"(?:^|(?<=[,.;!?]\s))work(?=\s)|"  # "work afternoons, ...": the subject left out
    r"working|workin'?|(?:at|in|have|has|got)\s+(?:the\s+)?(?:work|school|college|uni|class(?:es)?|lectures?)|"
    r"busy|teach(?:es|ing)?|school\s+run|nursery|drop[\s-]?offs?|pick[\s-]?ups?|meetings?|shifts?|commut\w*|"
    r"childcare|tied\s+up|stuck|occupied|unavailable)\b"
)
_BUSY_PART = (
    _BUSY_CUE + r"(?:(?!\b(?:best|better|good|fine|great|well|ideal|ideally|prefer\w*|suits?|ok|okay|for\s+me|free|"
    r"available|easiest|so|but|though|then)\b)[^.,;!?\n]){0,30}?"
    rf"\b(?:in\s+the\s+|on\s+|all\s+|every\s+|most\s+)?(?P<p>{_PART[1:-1]})\b"
)
_BUSY_FROM_HINT = re.compile(
    r"start|begin|leave|to\s+(?:go|be)\b|pick|collect|\brun\b|work|shift|school|class|college|\buni\b|"
    r"meeting|call|interview|lecture|dentist|physio|zoom"
)
_DIGIT_RANGE = re.compile(r"\d\s*(?:[ap]\.?m\.?\s*)?(?:-|–|to|till|til|until)\s*\d")
LUNCH = "12:00-14:00"
_LUNCH = r"lunch(?:\s*(?:times?|breaks?|hours?))?"
# the end of the clinic's day, said in words: like "late afternoon"
_LATE_IN_THE_DAY = (
    r"\blate\s+afternoons?\b|\b(?:towards?\s+|near\s+|at\s+)?(?:the\s+)?end\s+of\s+(?:the\s+)?(?:day|afternoon)\b|"
    r"\blast\s+(?:thing|(?:(?:appointment|slot|one|time)\s+)?(?:of|in)\s+the\s+day)\b|\blate\s+in\s+the\s+day\b|"
    r"\b(?:after\s+school|(?:once|when)\s+school\s*(?:'s|is|gets|lets)?\s+out|school'?s\s+out)\b"
)
_SHIFT_PART = r"\b(?:(?P<late>lates|late\s+shifts?)|(?P<early>earlies|early\s+shifts?))\b"
_SHIFT_HINT = re.compile(r"lates|late\s+shift|earlies|early\s+shift")
_OR_GAP = r"\s*,?\s*(?:or|and/or|/)\s+(?:maybe\s+|perhaps\s+)?(?:in\s+)?(?:the\s+|an?\s+)?"
_OR_GAP_BEFORE = _OR_GAP + "$"
# what the clinic has on offer: "first thing you have" / "the next one you've got" asks for the soonest
# (agent/offline/nlu.py), not for an early morning
OFFERED = r"(?:(?:you|u|ya)(?:'?ve)?\s+(?:have|got|can)|going|available|free|open)"
_NOT_OFFERED = r"(?!\s+" + OFFERED + r"\b)"
_ONWARDS = rf"\b(?:at\s+)?{_APPROX}(?P<b>{_BOUND})\s*(?:onwards?|on\s+wards?|and\s+(?:after|later|up))\b"
# "the earliest I can do is 3": what follows "earliest" when it bounds the day (never "whats the
# earliest i can get a follow up", which asks for the soonest day: agent/offline/nlu.py)
I_CAN_DO_IS = (
    r"\s+(?:time\s+)?(?:i|we|he|she|they)\s+(?:can|could)\s+(?:do|make(?:\s+it)?|"
    r"come(?:\s+in)?|get\s+(?:there|in|here))\s+(?:is|would\s+be|'?d\s+be)\b"
)
_EARLIEST_I_CAN = rf"\b(?P<w>earliest|latest){I_CAN_DO_IS}\s+{_APPROX}(?P<b>{_BOUND})(?!\w)"
_LOOSE_BOUND_HINT = re.compile(r"onward|on\s+wards|and\s+(?:after|later|up)|earliest|latest")
_SO = r"\b(?:so|therefore|hence|which\s+means|meaning)\b"
_PARTS_RE = re.compile(rf"\b(?P<p>{_PART[1:-1]})\b")
_PART_OF_DAY_HINT = Gated(
    re.compile(
        r"morning|afternoon|evening|tonight|lunch|after\s+work|school|end\s+of|late\s+in|\bpm\b|"
        r"(?:first|last)\s+(?:thing|appointment|slot|one|time|\s*(?:of|in)\s)"
    )
)
_CONTRAST_HINT = Gated(
    re.compile(r"\bso\b|therefore|hence|which\s+means|meaning|cause|\bcos\b|\bcoz\b|\bcuz\b|since|\bas\s")
)
# a reason given for the part of the day asked for ("... because my wife has the car in the morning")
_BECAUSE = (
    r"\b(?:because|cause|cos|coz|cuz|since|as(?=\s+(?:i|i'm|i've|we|he|she|they|my|our|his|her|the|it|it's)\b))\b"
)
_SENTENCE_END = re.compile(r"[.!?\n](?!\d)")  # never "9.30"
_BUSY_PART_AFTER = (
    rf"\b(?P<p>{_PART[1:-1]})\s+(?:are|is|'s)\s+(?:when|taken\s+up\s+(?:by|with)|full\s+(?:of|with)|"
    r"because\s+of)\b[^.,;!?\n]{0,30}?"
    + _BUSY_CUE.replace(r"(?:(?:i|we|he|she|they|you)\s+", r"(?:(?:i|we|he|she|they|you)\s+(?:do\s+)?", 1)
)
_BUSY_PART_HINT = re.compile(
    r"work|busy|teach|class|lecture|school|nursery|drop|pick|meeting|shift|job|college|uni|commut|childcare|tied|"
    r"stuck|occupied|unavailable"
)
_BUSYISH = Gated(
    re.compile(
        r"work|school|class|college|\buni\b|teach|busy|meeting|done|home|shift|finish|off|stuck|tied|start|begin|leave|to\s+go\b|"
        r"nursery|drop|pick|\brun\b|commut|sleep|asleep|\bbed\b|dentist|physio|zoom|\bcall\b|interview|lecture"
    )
)
_BUSY_FIRST_THING = (
    # (never across "so"/"but": "i work nights so first thing is best" asks for the early morning)
    _BUSY_CUE + r"(?:\s+is|\s+are)?(?:(?!\b(?:so|but|then|though)\b)[^.,;!?\n]){0,12}?"
    r"\b(?:first\s+thing(?:\s+in\s+the\s+morning)?|early\s+mornings?)\b"
)
_BOUNDISH = Gated(
    re.compile(
        r"between|from|after|before|\bby\b|until|till|later|earlier|starting|onward|past|latest|earliest|\d\s*(?:-|–|to\b)"
    )
)


_BARE_TO_RANGE = re.compile(
    # said to suit: a word for any time before it, or one of liking after it (never "9 to 3 are my work hours")
    r"(?:\b(?:any\s*time|anything|something|sometime|anywhere|ideally|preferably)\s+(?=\d)|(?=\d+(?::\d{2})?\s+"
    r"(?:to|till?|until)\s+\d+(?::\d{2})?\s*,?\s*(?:ideally|preferably|please|pls|would|works?|suits?|if\s+poss\w*|"
    r"is\s+(?:best|good|ideal|great|fine|perfect))\b))"
    r"(?<![\d/:.-])(?P<a>\d{1,2}(?::\d{2})?)\s+(?:to|till?|until)\s+(?P<b>\d{1,2}(?::\d{2})?)(?![\d/:.-])"
    r"(?!\s*(?:days?|weeks?|wks?|months?|years?|yrs?|hours?|hrs?|mins?|minutes?|people|kids|children|times|x)\b)"
)
_CLOCKISH = re.compile(r"\d|\b(?:one|two|noon|midday|half|quarter)\b")  # in every `_SIDE_OF_EVENT` (with a side)
_SIDE_OF_EVENT = re.compile(
    rf"\b(?P<side>before|after)\s+(?:(?:my|the|his|her|our|their)\s+(?:(?:[a-z']+\s+){{1,3}}?(?:at|@)\s*{_APPROX}(?P<b>{_BOUND})"
    rf"|(?P<c>{_BOUND})\s+(?!(?:am|pm|a\.m|p\.m|or|and|to|till|until|on|in|at|is|if)\b)[a-z]{{3,}})"
    rf"|(?:i|he|she|we|they)\s+(?:start|begin|head|go|leave|clock)\w*\s+(?:[a-z']+\s+){{0,2}}?(?:at|@)\s*{_APPROX}(?P<d>{_BOUND})"
    rf"|(?:work|school|class|college|uni|lectures?)\s+(?:(?:starts|begins)\s+)?(?:at|@)\s*{_APPROX}(?P<e>{_BOUND}))"
)


def _sentence(text: str, at: int) -> tuple[int, int]:
    """The span of the sentence around position `at`."""
    start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, at)), default=0)
    end = _SENTENCE_END.search(text, at)
    return start, end.start() if end else len(text)


_SIDE_SAID = re.compile(f"{_AFTER_THAT}|{_BEFORE_THAT}")


def _named_after_so(text: str, busy_end: int, part_at: int) -> bool:
    """Whether the part of the day was named after "so" following a busy clause, with no side of
    it said ("I work 9 to 1 so afternoon please", not "... so any time after that")."""
    return (
        busy_end <= part_at
        and _compiled(_SO).search(text, busy_end, part_at) is not None
        and _SIDE_SAID.search(text) is None
    )


# what ends a reason before a clock time: a comma, or a request ("because I'm off, could I come at 4")
_REASON_ENDS = re.compile(r"[,;]|\b(?:can|could|would|will|please|pls|how\s+about|what\s+about|maybe|ideally|say)\b")


def _in_reason(text: str, at: int) -> bool:
    """Whether position `at` is inside a reason clause of its sentence ("... because my husband
    needs the car at 2"): what the patient is doing then, never the time asked for."""
    start, _ = _sentence(text, at)
    ends = [m.end() for m in _compiled(_BECAUSE).finditer(text, start, at)]
    return bool(ends) and _REASON_ENDS.search(text, ends[-1], at) is None


def _range(start_expr: str, end_expr: str) -> str | None:
    """ "HH:MM-HH:MM" from two bounds; an end that ends with pm carries it to a start that fits
    ("8-10pm" is 20:00-22:00), and an end read before the start is moved past noon ("10 to 2")."""
    start, end = _bound(start_expr), _bound(end_expr)
    if not (start and end):
        return None
    pm_end = re.search(r"p\.?\s?m", end_expr) is not None
    if pm_end and start < "12:00" and re.fullmatch(r"\d{1,2}(?:[:.]\d{2})?", start_expr.strip()):
        later = hhmm(minutes(start) + 12 * 60)
        start = later if later < end else start
    if end <= start and int(end[:2]) < 12:
        end = hhmm((int(end[:2]) + 12) * 60 + int(end[3:]))
    return f"{start}-{end}" if start < end else None


def intersect(windows: list[str | None]) -> str | None:
    """The window every constraint allows, the first ones first: "afternoon, not before 3" =
    "15:00-17:00", "mornings, nothing after 11" = "before 11:00". A constraint that would leave
    nothing is dropped. When the result is one of the constraints, it keeps that one's words."""
    result: str | None = None
    low, high = "00:00", "24:00"
    for window in windows:
        if window is None:
            continue
        start, end = time_window(window)
        new_low, new_high = max(low, start), min(high, end)
        if new_low >= new_high or (result is not None and (new_low, new_high) == (low, high)):
            continue  # leaves nothing, or narrows nothing: the earlier words stand ("evening", not "after 17:00")
        if (new_low, new_high) == (start, end):
            result = window
        elif (new_low, new_high) != (low, high):
            result = _as_window(new_low, new_high)
        low, high = new_low, new_high
    return result


def _as_window(start: str, end: str) -> str:
    named = next((name for name, span in PARTS_OF_DAY.items() if span == (start, end)), None)
    if named:
        return named
    if start == "00:00":
        return f"before {end}"
    return f"after {start}" if end == "24:00" else f"{start}-{end}"


def _side_window(m: re.Match[str]) -> str | None:
    """That side of the event's clock, for a match of `_SIDE_OF_EVENT`."""
    return _window(m["side"], m["b"] or m["c"] or m["d"] or m["e"])


def _window(kind: str, expr: str) -> str | None:
    bound = _bound(expr)
    return f"{kind} {bound}" if bound else None


_BARE_RANGE = re.compile(
    r"(?<![\d/:.-])(?P<a>\d{1,2}(?::\d{2})?)\s*[-–]\s*(?P<b>\d{1,2}(?::\d{2})?)(?![\d/:.-])"
    r"(?!\s*(?:days?|weeks?|wks?|months?|years?|yrs?|hours?|hrs?|mins?|minutes?|people|kids|children|times|x)\b)"
)
# "<plans> at 10 so anything after 12", "... at 3 so before then" (the day named between is blanked)
_BUSY_AT = re.compile(
    # ("the gym at 7 every morning so after 9": the habit's part of the day is no window either)
    rf"(?P<at>\bat\s+{_APPROX}(?P<b>{_BOUND})(?:\s+(?:every|each)\s+(?:morning|afternoon|evening|night|day))?)"
    r"(?:\s+on)?(?:\s+the)?"  # what is left of a day named between: "at 10 on the [monday], so ..."
    r"\s*,?\s*(?:so|which\s+means|meaning)\s+"
    r"(?:(?:[a-z']+\s+){0,5}?(?P<side>before|after)\s+(?P<then>that|then)\b"  # "so it'd need to be before then"
    r"|(?:(?:any\s*time|anything|something|sometime|only)\s+)?(?=(?:after|before|from|by|not\s+(?:before|after))\b))"
)
# a request in the clause before the clock: the clock is the one asked for
_ASKS_BEFORE = re.compile(r"\b(?:can|could|would|book|come|slot|see)\b[^.,;!?]*$")
_AT_CLOCK = Gated(re.compile(rf"(?:(?:\b(?:at|around|about)\s+|@\s*)(?:{_CLOCK}|{_BARE_HOUR})|\b{_CLOCK})"))


# A part of the day said of something that already happened: "yesterday morning", "I missed my
# follow-up this morning", "saw the doctor this afternoon", "the nurse rang me this afternoon",
# "twisted my ankle this morning", "came out in a rash at lunch". The verb must be a past one in
# the same clause, with no request or question between it and the part ("I was wondering if you
# had anything this afternoon" is a request; "anything left this morning?" asks what remains).
_PAST_PART = re.compile(
    r"\b(?:yesterday|last)\s+(?P<a>mornings?|afternoon|evening|night)\b"
    r"|(?<!you\s)\b(?:missed|saw|had|went|came|was|were|rang|called|phoned|texted|got|did|told|took|gave|"
    r"(?<!any\s)(?<!thing\s)(?<!ones\s)(?<!slots\s)(?<!spots\s)(?<!times\s)(?<!spaces\s)(?<!openings\s)"
    r"(?<!appointments\s)(?<!appts\s)left|met|spoke|"
    r"attended|visited|finished|woke|fell|felt|slipped|tripped|twisted|sprained|hurt|injured|banged|bumped|"
    r"burnt|burned|broke|noticed|started|began|vomited|threw)\b"
    r"(?!\s+(?:wondering|hoping|thinking|looking|going|planning|trying|asking)\b)"
    r"(?:(?!\b(?:can|could|would|will|need|want|like|book|free|available|prefer|any|anything|if|whether|is|are|"
    r"so|but)\b)[^.,;!?\n]){0,40}?\b(?P<b>this\s+(?:morning|afternoon|evening)|(?:at|this)\s+lunch(?:time)?)\b"
)
_PAST_PART_HINT = Gated(
    re.compile(r"yesterday|(?:last|this)\s+(?:morning|afternoon|evening|night)|(?:at|this)\s+lunch")
)


# a clock of a visit gone by: "missed my 10am", "slept through my 9:30"
_PAST_CLOCK = re.compile(
    r"\b(?:miss(?:ed)?|had|skipped|slept\s+through|was\s+late\s+for|couldn'?t\s+make)\s+(?:my|the|our|his|her)\s+$"
)
PAST_CLOCK_CUES = cues("miss", "had", "skipped", "slept", "late", "make")  # its prefilter


def blank_past_parts(text: str) -> str:
    """`text` without the part-of-day words of past events (before the day is read: "this
    morning" of a missed visit is neither today nor a window)."""
    if not _PAST_PART_HINT.search(text):
        return text  # most messages name no past part of the day
    spans = [m.span("a") if m["a"] else m.span("b") for m in _PAST_PART.finditer(text)]
    return _mask(text, spans) if spans else text


def find_times(text: str) -> TimeMatch:
    """The window and clock time in normalised `text` (dates, phones and e-mail already removed)."""
    if not _TIMEISH.search(text):
        return TimeMatch()  # nothing here could name a time: skip every rule
    reader = _Reader(text)
    # ("i have a meeting at 11 so after that": the side said wins over a meeting's "before")
    busy_at = reader.busy_at() if " so " in text and "at " in text else None
    busy = reader.busy_bound() if _BUSYISH.search(text) else None
    busy_end = max((end for _, end in reader.spans), default=0)
    bounds: list[str | None] = []
    if _BOUNDISH.search(text):
        while len(bounds) < 3 and (bound := reader.explicit()):
            bounds.append(bound)  # "not before 10 and nothing after 3": both
    parts = len(_PARTS_RE.findall(text))  # the part-of-day rules need one (the contrast two)
    refused = reader.refused_part() if parts else None
    busy_part = reader.busy_part() if parts and _BUSY_PART_HINT.search(text) else None
    contrasted = reader.contrasted_part() if parts > 1 and _CONTRAST_HINT.search(text) else None
    shift = reader.shift_part() if _SHIFT_HINT.search(text) else None
    # a part of the day asked for beats one refused ("I work mornings so afternoon ideally", "the
    # afternoon is impossible, so the evening"); alone, the refusal leaves the rest of the day
    part = reader.part_of_day()
    if part == LUNCH and any(bound and "-" in bound for bound in bounds):
        part = None  # "between 11 and 1, my lunch break": the lunch is the range's reason
    if busy and part and _named_after_so(text, busy_end, reader.part_at):
        busy = None  # "i work 9 to 1 so afternoon pls": the part of the day named wins
    window = intersect([*bounds, part, refused, busy_part, contrasted, shift, busy, busy_at])
    any_time = (
        re.search(
            r"\b(?:any\s*time|whenever|doesn'?t\s+matter|no\s+preference|any\s+time\s+of\s+(?:the\s+)?day)\b", text
        )
        is not None
    )
    readings: tuple[str, ...] = ()
    masked = _mask(text, reader.spans)
    reasons = _CONTRAST_HINT.search(text) is not None
    for m in _AT_CLOCK.finditer(masked):
        if reasons and _in_reason(masked, m.start()):
            continue  # "mornings are easier because I collect her from school at 3": the reason's time
        if cued(masked, PAST_CLOCK_CUES) and _PAST_CLOCK.search(masked, max(0, m.start() - 40), m.start()):
            continue  # "i missed my 10am today": a past visit's time, never the one asked for
        found = parse_clock(m[0])
        if found:
            readings = found
            reader.spans.append(m.span())
            break
    busy_only = window is not None and not any([*bounds, part, refused, busy_part, contrasted, shift])
    return TimeMatch(window=window, readings=readings, any_time=any_time, spans=reader.spans, busy_only=busy_only)
