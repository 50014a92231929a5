"""Days in a patient's words, resolved against the clinic clock's today.

The text is already normalised (agent/offline/lexicon.py: lower case, typos fixed, numbers as
digits). Every day the message names is found first, each with its span; then the mentions are
combined the way people combine them, and one day is chosen. Conventions (tests/nlu/DATASET.md;
examples with today = Monday 2026-11-23):

* "today", "tonight", "this morning/afternoon/evening", "later today" -> today; "tomorrow" ->
  11-24; "the day after tomorrow" -> 11-25; "yesterday" -> 11-22 (past).
* A bare weekday, "on/this/coming <weekday>" -> the next such day after today: "Tuesday" =
  11-24, "Monday" = 11-30. Only "this Monday" said on a Monday means today.
* "next <weekday>" -> that weekday in next calendar week (weeks run Monday to Sunday). Said on a
  Sunday the coming week *is* next week. "the <weekday> after next" -> a week after that.
* "next week" -> its Monday; "the week after next" -> the Monday after; "(this/the) weekend" ->
  the coming Saturday, "next weekend" -> the Saturday of next week.
* Offsets from now: "in 3 days", "3 days from now", "in 8 days' time", "in two weeks", "in a
  fortnight", "a fortnight today", "a week from today". Offsets from another day: "two weeks from
  tomorrow", "a fortnight from Monday", "3 days after Friday", "a week from Thursday", "the day
  after Christmas", "the day before Christmas Eve".
* Dates: "Nov 25", "November 25th", "25 November", "the 3rd of December", "12/3" (US: December
  3), "2026-12-03". Without a year, this year's, unless that is more than 60 days back (then next
  year's). "the 3rd" -> the next date with that day of the month, today included; in a sentence
  about the past ("I was seen on the 3rd") the last such date.
* Named days: Christmas Eve / Day, Boxing Day (the day after Christmas), New Year's Eve / Day,
  Thanksgiving (the fourth Thursday of November) and the day after, Valentine's Day, the 4th of
  July, Halloween; the US holidays and named days: Memorial Day (and its weekend), Labor Day, MLK
  Day, Presidents' Day, Mother's / Father's Day, Good Friday, Easter (computed) and Easter Monday,
  Juneteenth, Columbus Day, Veterans Day.
* A weekday next to a date ("Thursday the 17th of December", "fri dec 11", "Tuesday 12/8") is
  that date. "that Friday" is the day just named if it is a Friday.
* Negation: "not tomorrow, the day after" -> 11-25; "not this Thursday but the one after" ->
  12-03; "next week but not Monday" / "any day next week except Monday" -> Tuesday of next week;
  "not next week, the week after" -> 12-07; a refusal carries over a list ("not Monday or
  Tuesday") and may follow the day ("Monday's no good"); with no week and no other day named,
  "anything but Monday" / "any day except Friday" is the soonest day that is not refused; after a
  refusal "but <day>" asks for it ("next week is out but friday this week"), and a day asked for
  beside a refusal wins ("can't do wed or thu next week, friday?").
* British offsets: "a week on Tuesday", "Tuesday week" -> the coming Tuesday + 7; "a fortnight
  (on) Thursday" -> the coming Thursday + 14.
* Parts of a week: "this week" (from today), "later this week" (tomorrow), "midweek" (Wednesday),
  "end of the week" (Friday), "start of next week", "midweek next week", "this time next week";
  "the week of the 16th" / "w/c 14/12" -> that week from its Monday; "in a month" -> the same
  day of the month next month.
* Relative to another day, which is then context: "back on the 3rd, the week after" (the next
  Monday), "away until the 10th, the monday after", "surgery on the 9th, a follow up 2 weeks
  after", "anytime after that" (the day after), "sometime before then" (today).
* Several days: a past one, one in a sentence about the past, or a deadline ("by/before/until
  the 5th") is context; of the rest, the last one named is the request ("tryouts are on the 5th,
  could we try Wednesday" -> Wednesday), unless offered as an alternative ("Tuesday or
  Wednesday" -> Tuesday; "tomorrow afternoon or monday afternoon", "tuesday, failing that
  thursday" -> the first). "since Saturday" is the past Saturday; "it's a Sunday" after a named
  day is a remark on it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from agent.offline.cues import DIGIT, Cues, cued, cues
from agent.offline.lexicon import MONTH_NAMES, WEEKDAY_NAMES
from core.formats import NUMBER_WORDS, day_label

WEEKDAYS = WEEKDAY_NAMES
_WD = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH = (
    # the dot only after an abbreviation ("Nov."): "... on the 2nd of November." keeps its full stop
    r"(jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?|july?|aug(?:ust|\.)?|"
    r"sep(?:t(?:ember|\.)?|\.)?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?)"
)
_ORD = r"(\d{1,2}|first(?!\s+thing)|second|third)(?:st|nd|rd|th)?"  # never "first thing" ("mon 4th jan first thing")
_YEAR = r"(?:,?\s+(\d{4}))?"
_AMOUNT = r"(\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a\s+couple\s+of|a\s+few|couple\s+of)"
_UNIT = r"(days?|weeks?|fortnights?)"
_ABOUT = r"(?:(?:about|around|roughly|approximately|approx\.?|like)\s+)?"  # "in about two weeks"
_ROLL_OVER_DAYS = 60  # a yearless date further back than this means next year's
_AGREEING_DATES = 2  # "Thursday the 7th": the coming 7th, or the 7th after it, that is a Thursday
# not before a month (the month rules read "Thursday 10th December") nor a pick ("monday 1st thing")
_MONTH_AHEAD = (
    r"(?!\s+(?:(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|(?:one|slot|time|option|thing)\b))"
)
_ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3}
# Days said in months (DATASET.md, "months"): "in (about) a month", "a month from now", "in a couple of
# months" are that many calendar months on; early / the start of a month is its 1st, mid / the middle
# of it the 15th, the end of it its last day ("the month" / "this month" / "next month" / a month name)
_WHICH_MONTH = rf"(next\s+month|(?:the|this)\s+month|month\b|{_MONTH}(?![a-z]))"
_MONTHS_ON = re.compile(
    rf"\bin\s+{_ABOUT}{_AMOUNT}\s+months?(?:'?\s+time)?\b|\b{_ABOUT}{_AMOUNT}\s+months?\s+(?:from\s+(?:now|today)|today)\b|"
    r"\bthis\s+time\s+next\s+(month)\b"
)
_PART_OF_MONTH = re.compile(
    r"\b(?:(early|mid)[\s-]*|(?:the\s+)?(start|beginning|middle|end|first\s+week)\s+of\s+)" + _WHICH_MONTH
)
_PART_DAY = {"early": 1, "start": 1, "beginning": 1, "first week": 1, "mid": 15, "middle": 15}
_AMOUNTS = {**NUMBER_WORDS, "a": 1, "an": 1, "a couple of": 2, "couple of": 2, "a few": 3}
# A sentence about the past: its days and types are context, not the request.
PAST_CLAUSE = re.compile(
    r"\b(?:was(?!\s+(?:thinking|wondering|hoping))|were|had|did|came|saw|seen|went|got|retired|ago|since|"
    r"last\s+(?:visit|appointment|time|week|month)|"
    # a mishap told: "twisted my ankle at football on sunday" (its weekday is when it happened)
    r"twisted|sprained|strained|hurt|injured|pulled|rolled|banged|bumped|jarred|fell|slipped|tripped|broke)\b"
)
_CLAUSE_BREAK = re.compile(r"[.;!?]|,|\s-\s|\b(?:and|but|so|then|now)\b")
# "before the long weekend": a deadline
_DEADLINE = re.compile(r"\b(?:by|before|until|till|til|due)\s+(?:the\s+)?(?:end\s+of\s+|long\s+)?$")
_SINCE = re.compile(r"\bsince\s+(?:on\s+)?$")
# a remark on the weekday a day falls on: "valentine's day? i know it's a sunday", "which is a thursday"
_WEEKDAY_REMARK = re.compile(r"\b(?:it|that|which)(?:'?s|\s+is|\s+falls\s+on|\s+lands\s+on|\s+will\s+be)\s+a\s+$")
# "two weeks from tomorrow", "3 days after Friday", and the British "a week on Tuesday" / "a fortnight Thursday"
_ANCHORED_OFFSET = re.compile(rf"\b{_AMOUNT}\s+{_UNIT}\s+(?:(?:from|after|on)\s+)?$|\ba\s+(fortnight)\s+from\s+$")
_DAY_AFTER = re.compile(r"(?<!any\s)\b(?:the\s+)?day\s+(after|before)\s+$")  # not "any day after the 20th"
# a refused day: "not (on) Monday", "can't do Monday", "can't make it on Monday", "unable to do
# Monday", "can't manage Monday"; "except" / "but" / "other than" refuse weekdays and dates, never "today"/"tomorrow"
# ("but tomorrow would be better")
# ("if not" offers a second choice: "christmas eve? if not the 23rd")
_REFUSE = (
    r"\b(?:(?<!if\s)not|never|(?:can'?t|cannot|can\s+not|unable\s+to)\s+(?:do|make(?:\s+it)?|manage))"
    r"\s+(?:on\s+)?(?:this\s+|the\s+)?$"
)
_EXCEPT = r"\b(?:except(?:\s+for)?|but|other\s+than|apart\s+from|(?:but|and|just)\s+no)\s+(?:on\s+)?(?:the\s+)?$"
_NEGATION = re.compile(rf"{_REFUSE}|{_EXCEPT}")
_EXCEPT_DAY = re.compile(r"\b(?:except(?:\s+for)?|other\s+than|apart\s+from)\s+$")  # "any day this week except today"
_EXCEPT_RE = re.compile(_EXCEPT)
_REFUSE_RE = re.compile(_REFUSE)
# "anything but today", "any day except tomorrow": these do refuse today and tomorrow
_ANY_BUT = re.compile(r"\bany\s*(?:thing|day|time|other\s+day)\s+(?:but|except|other\s+than|apart\s+from)\s+$")
# ... or refused after it is named: "Monday's no good", "Friday is out", "Mondays don't work",
# "next week is no use to me"
_REFUSED_AFTER = re.compile(
    r"\s*(?:'?s\s+|\s*is\s+|\s*are\s+)?(?:no\s+good|not\s+good|no\s+use\b|out\b|bad\b|impossible|a\s+no\b|"
    r"(?:doesn'?t|don'?t|does\s+not|do\s+not|won'?t)\s+work)"
)
# between a weekday and its date: "Tuesday the 29th", "wed. 16th", "December 29th (tuesday)", "the 29th - a tuesday"
_WEEKDAY_DATE_GAP = re.compile(r"\.?[\s,(\-]*(?:(?:the|a|which\s+is|that'?s)\s+)?")
_AFTER_OR_BEFORE = re.compile(r"\s+(?:after|before)\b")
# "Tuesday or Wednesday", "wednesday 9th in the evening possible, or thurs 10th", "free the 14th and
# 15th", "today if possible, otherwise tomorrow": the first is asked for
_ALTERNATIVE = re.compile(
    # ("tomorrow afternoon or monday afternoon"; never "or rather", which corrects the first)
    r"(?:[^.!?;]{0,40}?,|[^.!?;,]{0,25}?)?\s*or\s+(?!rather\b)(?:on\s+|maybe\s+|perhaps\s+)?(?:the\s+)?"
    # two days the patient can do ("i'm off thursday and friday", "the 14th and 15th, either is good")
    r"|\s*,?\s*(?:and|&)\s+(?:on\s+)?(?:the\s+)?"
    # a second choice: "new year's day open? if not the next monday", "friday, otherwise monday",
    # "failing that monday" ("that monday" may be read as one day), "if that's not possible friday"
    r"|[^.!]{0,30}?\b(?:if\s+not|otherwise|failing(?:\s+that)?|or\s+else|"
    r"if\s+(?:that|it|this)(?:'?s|\s+is)\s+(?:not\s+(?:possible|available|free)|full|booked|taken)|"
    r"if\s+(?:that|it)\s+(?:doesn'?t|won'?t|can'?t)\s+work)\b[\s,]*(?:then\s+)?(?:on\s+)?(?:the\s+)?"
)
# a refusal carries over a list: "not Monday or Tuesday", "except Monday and Wednesday", "mon/tue",
# "Monday's out and so is Tuesday"; a bare comma may start the answer ("not Monday, Tuesday?"), so
# it joins only a list that ends with "or"/"and" ("can't do Monday, Tuesday or Wednesday")
_LIST_GAP = re.compile(
    r"\s*(?:,?\s*(?:or|nor|and|&)\s+|/\s*|,?\s*(?:and\s+)?(?:so|neither|nor)\s+(?:is|are|does|do)\s+)(?:on\s+)?(?:the\s+)?"
)
_BARE_ORDINAL_HIT = re.compile(r"\d(?:st|nd|rd|th)\b")
_BARE_ORDINAL = re.compile(
    r"(?<![\w/:.,-])(?<!the\s)(\d{1,2})(?:st|nd|rd|th)\b(?![.,]?\d)(?!\s+(?:of\b|one|ones|slot|time|times|option|"
    r"visits?|appointments?|appt|floor|birthday|bday|anniversary|opinion|dose|shot|jab|grade|year|week|month|day|"
    r"street|st\b|ave|avenue|place|child|kid|baby|pregnancy|trimester|attempt|booking|consult|round|session|"
    r"available|choice|pick|try|person|patient|thing|things|in\s+line))"
)
_COMMA_GAP = re.compile(r"\s*,\s*(?:on\s+)?(?:the\s+)?|\s+")  # "monday tuesday and wednesday are no good"

# Guards: each rule runs only where its words are (the model reads every message, and fast);
# a text with none of _DAYISH names no day at all.
_DAYISH = cues(
    DIGIT, "day", "week", "month", "this", "tonight", "tomorrow", "fortnight", "weekend", "mon", "tue", "wed", "thu",
    "fri", "sat", "sun", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    "christmas", "xmas", "eve", "year", "thanksgiving", "valentine", "halloween", "first", "second", "third",
    "easter",
)  # fmt: skip
_DIGITS = cues(DIGIT)
_DIGIT = re.compile(r"\d")
_MONTH_HIT = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)")
MONTH_CUES = cues("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")  # its prefilter
_WEEKDAY_HIT = re.compile(r"(?:mon|tues|wednes|thurs|fri|satur|sun)day")
_NAMED = cues(
    "christmas", "xmas", "boxing", "year", "thanksgiving", "valentine", "july", "independence", "halloween",
    "memorial", "labor", "labour", "mlk", "luther", "president", "mother", "mom", "mum", "father", "dad", "good fri",
    "easter", "juneteenth", "columbus", "indigenous", "veteran",
)  # fmt: skip
WEEKDAY_CUE = "day"  # _WEEKDAY_HIT's prefilter: each of its matches ends in it (test_offline_prefilters.py)


def _names_weekday(text: str) -> bool:
    return WEEKDAY_CUE in text and _WEEKDAY_HIT.search(text) is not None


def _nth_weekday(month: int, weekday: int, nth: int) -> Callable[[int], date]:
    """The rule for the nth `weekday` (0 = Monday) of `month`; nth -1 is the last."""

    def rule(year: int) -> date:
        if nth < 0:
            last = _first_of_month(date(year, month, 1), 1) - timedelta(days=1)
            return last - timedelta(days=(last.weekday() - weekday) % 7)
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))

    return rule


_thanksgiving = _nth_weekday(11, 3, 4)  # the fourth Thursday of November


def _easter(year: int) -> date:
    """Easter Sunday (the Gregorian computus, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _from_easter(days: int) -> Callable[[int], date]:
    return lambda year: _easter(year) + timedelta(days=days)


DayRule = tuple[int, int] | Callable[[int], date]  # month and day, or the day in a given year
# name pattern -> (what to call it, month/day or a rule for the year)
NAMED_DAYS: tuple[tuple[str, str, DayRule], ...] = (
    (r"christmas\s+eve", "Christmas Eve", (12, 24)),
    (r"(?:christmas|xmas)(?:\s+day)?", "Christmas Day", (12, 25)),
    (r"boxing\s+day", "Boxing Day", (12, 26)),
    (r"new\s+year'?s?\s+eve", "New Year's Eve", (12, 31)),
    (r"new\s+year(?:'?s(?:\s+day)?|\s+day)|(?<!the\s)(?<!happy\s)new\s+year", "New Year's Day", (1, 1)),
    (r"thanksgiving(?:\s+day)?", "Thanksgiving", _thanksgiving),
    (r"valentine'?s?(?:\s+day)?", "Valentine's Day", (2, 14)),
    (r"(?:the\s+)?(?:4th|fourth)\s+of\s+july|july\s+4(?:th)?|independence\s+day", "the 4th of July", (7, 4)),
    (r"halloween", "Halloween", (10, 31)),
    # the US holidays (the clinic closes on Memorial Day and Labor Day) and other named days; a
    # Monday holiday's long weekend is the holiday ("the friday before memorial day weekend")
    (r"memorial\s+day(?:\s+weekend)?", "Memorial Day", _nth_weekday(5, 0, -1)),
    (r"labou?r\s+day(?:\s+weekend)?", "Labor Day", _nth_weekday(9, 0, 1)),
    (r"(?:mlk|martin\s+luther\s+king(?:\s+jr\.?)?)(?:'?s)?\s+day", "Martin Luther King Jr. Day", _nth_weekday(1, 0, 3)),
    (r"presidents?'?\s+day", "Presidents' Day", _nth_weekday(2, 0, 3)),
    (r"(?:mother|mom|mum)'?s\s+day(?!\s+(?:off|out)\b)", "Mother's Day", _nth_weekday(5, 6, 2)),
    (r"(?:father|dad)'?s\s+day(?!\s+(?:off|out)\b)", "Father's Day", _nth_weekday(6, 6, 3)),
    (r"good\s+friday", "Good Friday", _from_easter(-2)),
    (r"easter\s+monday", "Easter Monday", _from_easter(1)),
    (r"easter(?:\s+sunday|\s+day)?(?!\s+(?:monday|break|holidays?|vacation|weekend))", "Easter Sunday", _easter),
    (r"juneteenth", "Juneteenth", (6, 19)),
    (r"columbus\s+day|indigenous\s+peoples?'?\s+day", "Columbus Day", _nth_weekday(10, 0, 2)),
    (r"veterans?'?\s+day", "Veterans Day", (11, 11)),
)


@dataclass(frozen=True, slots=True)
class DayMatch:
    """The chosen day, every span that named a day (all consumed), and a read-back note."""

    day: date
    span: tuple[int, int]
    note: str | None = None
    spans: tuple[tuple[int, int], ...] = ()
    past_spans: tuple[tuple[int, int], ...] = ()  # the days named that are before today ("my checkup on Nov 20")
    refused: tuple[int, ...] = ()  # weekdays refused with no week named ("not monday or tuesday")
    week_part: int | None = None  # "later in the week" with no week named: its weekday (0 = Monday)


@dataclass(frozen=True, slots=True)
class _Mention:
    day: date
    start: int
    end: int
    kind: str
    weekday: int | None = None  # the weekday it was named by ("friday", "next friday")
    explicit: bool = False  # a calendar date (month and day, numeric, the 3rd, a named day)
    name: str | None = None  # a named day
    week: bool = False  # "next week": a week rather than a day
    negated: bool = False
    context: bool = False
    alt: date | None = None  # the other reading of a numeric date ("8/12": Aug 12, or British Dec 8)
    notes: tuple[str, ...] = field(default=())


def _weekday_index(word: str) -> int:
    return next(i for i, name in enumerate(WEEKDAYS) if name.startswith(word[:3]))


def _month_index(word: str) -> int:
    return next(i for i, name in enumerate(MONTH_NAMES, start=1) if name.startswith(word[:3]))


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _ORDINAL_WORDS.get(word) or NUMBER_WORDS[word]


def _amount(word: str) -> int:
    word = " ".join(word.split())
    return int(word) if word.isdigit() else _AMOUNTS.get(word, 1)


def _days(amount: int, unit: str) -> int:
    return amount * (14 if unit.startswith("fortnight") else 7 if unit.startswith("week") else 1)


def _first_of_month(day: date, months: int = 0) -> date:
    """The 1st of the month `months` after the month of `day`."""
    year, month = divmod(day.month - 1 + months, 12)
    return date(day.year + year, month + 1, 1)


def _first_weekday(first: date, weekday: int) -> date:
    """The first day on or after `first` that falls on `weekday` (0 = Monday)."""
    return first + timedelta(days=(weekday - first.weekday()) % 7)


def _month_end(day: date) -> date:
    return _first_of_month(day, 1) - timedelta(days=1)


def _add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (that month's last day where it has fewer days)."""
    first = _first_of_month(day, months)
    return first.replace(day=min(day.day, _month_end(first).day))


def _part_of_month(m: re.Match[str], today: date) -> date:
    """ "mid january", "early next month", "the end of the month": that part's day. Of this month,
    a part already gone is next month's ("mid month" said on the 20th); a month name, the coming one."""
    part, which = " ".join((m[1] or m[2]).split()), " ".join(m[3].split())
    if which == "next month":
        first = _first_of_month(today, 1)
    elif which.endswith("month"):
        first = today.replace(day=1)
    else:
        first = date(today.year, _month_index(which), 1)
        if _month_end(first) < today:
            first = first.replace(year=today.year + 1)
    day = _month_end(first) if part == "end" else first.replace(day=_PART_DAY[part])
    if day < today and which.endswith("month"):
        day = _first_of_month(today, 1).replace(day=day.day)
    return day


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _yearless(month: int, dom: int, today: date) -> date | None:
    candidate = _safe(today.year, month, dom)
    if candidate and (today - candidate).days > _ROLL_OVER_DAYS:
        return _safe(today.year + 1, month, dom)
    return candidate


def _day_of_month(dom: int, today: date, backwards: bool) -> date | None:
    """The next date with this day of the month (today included), or the last one before today."""
    year, month = today.year, today.month
    for _ in range(13):
        candidate = _safe(year, month, dom)
        if candidate and (candidate < today if backwards else candidate >= today):
            return candidate
        month += -1 if backwards else 1
        if month == 0:
            year, month = year - 1, 12
        elif month == 13:
            year, month = year + 1, 1
    return None


def _weekday_day_of_month(weekday: int, dom: int, today: date, backwards: bool) -> date | None:
    """'Thursday the 7th': the next date (today included) with that day of the month that is a
    Thursday, of the next two such dates (the patient reads next month's calendar; the last two
    before today in a sentence about the past); when neither is, the day of the month wins."""
    first = day = _day_of_month(dom, today, backwards)
    for _ in range(_AGREEING_DATES):
        if day is None or day.weekday() == weekday:
            return day
        day = _day_of_month(dom, day if backwards else day + timedelta(days=1), backwards)
    return first


def _named(rule: DayRule, today: date) -> date:
    """A named day's date: this year's unless more than 60 days back."""

    def on(year: int) -> date:
        if isinstance(rule, tuple):
            return date(year, rule[0], rule[1])
        return rule(year)

    this_year = on(today.year)
    return on(today.year + 1) if (today - this_year).days > _ROLL_OVER_DAYS else this_year


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _finditer(pattern: str, text: str) -> Iterator[re.Match[str]]:
    return _compiled(pattern).finditer(text)


# (pattern, rule, words of which one must be in the text for the pattern to match)
_WEEKDAY_RULES: tuple[tuple[re.Pattern[str], str, Cues | None], ...] = tuple(
    (re.compile(pattern), rule, cues(*words) if words else None)
    for pattern, rule, words in (
        (rf"\bnext\s+week'?s?\s+{_WD}\b", "next", ("next",)),
        (rf"\b{_WD}\s+(?:of\s+)?next\s+week\b", "next", ("next",)),
        (rf"\bthe\s+{_WD}\s+after\s+next\b", "after_next", ("next",)),
        (rf"\bnext\s+{_WD}\b", "next", ("next",)),
        (rf"\blast\s+{_WD}\b", "last", ("last",)),
        (rf"\b(?:this\s+coming|this|coming|on)\s+{_WD}\b", "this", ("this", "coming", "on")),
        (rf"\bthat\s+{_WD}\b", "that", ("that",)),
        (rf"\b{_WD}\s+week\b(?!\s+(?:after|from|on|today))", "week_on", ("week",)),  # British: "Monday week"
        (rf"\b{_WD}(?!s\b)\b", "bare", ()),
        (rf"\b{_WD}s\b", "plural", ()),  # "not Mondays": kept only when refused
    )
)


# "this week ... but next", "this week is out, maybe next": next week, its word "week" left unsaid
_BUT_NEXT = re.compile(
    r"(?:\b(?:but|maybe|perhaps|possibly|so|try)\s+|,\s*)(next)\b(?=\s*(?:[,.!?;]|$|one\b|instead\b|please\b|pls\b|then\b))"
)


class _Finder:
    """Collects the mentions of days in one text."""

    def __init__(self, text: str, today: date) -> None:
        self.text = text
        self.today = today
        self.monday = _monday(today)
        self.found: list[_Mention] = []
        self.months = False  # a month is named (set by collect)

    def add(self, m: re.Match[str], day: date | None, kind: str, **flags: object) -> None:
        if day is not None:
            self.found.append(_Mention(day, m.start(), m.end(), kind, **flags))  # type: ignore[arg-type]

    def next_weekday(self, index: int) -> date:
        """'next Friday': Friday of next calendar week (on a Sunday, of the coming week)."""
        if self.today.weekday() == 6:
            return self.today + timedelta(days=(index - 6) % 7 or 7)
        return self.monday + timedelta(days=7 + index)

    def coming_weekday(self, index: int) -> date:
        return self.today + timedelta(days=(index - self.today.weekday()) % 7 or 7)

    def collect(self) -> list[_Mention]:
        t, today = self.text, self.today
        if not cued(t, _DAYISH):
            return []  # most replies to a question name no day at all: skip the two dozen rules
        # each rule runs only where its words are: the model reads every message, and fast
        digits = cued(t, _DIGITS)
        months = self.months = cued(t, MONTH_CUES) and _MONTH_HIT.search(t) is not None
        offsets = "day" in t or "week" in t or "fortnight" in t
        if digits and "-" in t:
            for m in _finditer(r"\b(\d{4})-(\d{2})-(\d{2})\b", t):
                self.add(m, _safe(int(m[1]), int(m[2]), int(m[3])), "iso", explicit=True)
        if months:
            for m in _finditer(rf"\b{_MONTH}\s+(?:the\s+)?{_ORD}\b{_YEAR}", t):
                month, dom = _month_index(m[1]), _number(m[2])
                day = _safe(int(m[3]), month, dom) if m[3] else _yearless(month, dom, today)
                self.add(m, day, "date", explicit=True)
        if months:
            for m in _finditer(rf"\b(?:the\s+)?{_ORD}\s+(?:of\s+)?{_MONTH}(?![a-z]){_YEAR}", t):
                month, dom = _month_index(m[2]), _number(m[1])
                day = _safe(int(m[3]), month, dom) if m[3] else _yearless(month, dom, today)
                self.add(m, day, "date", explicit=True)
        if "/" in t:
            for m in _finditer(r"(?<![\d/:.])(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?(?![\d/])", t):
                first, second = int(m[1]), int(m[2])
                # US month/day; British day/month where only that can be ("17/12"), and kept as the
                # other reading for a weekday to decide ("Tuesday 8/12": Dec 8 is the Tuesday)
                month, dom = (second, first) if first > 12 >= second else (first, second)
                year = int(m[3]) + (2000 if m[3] and len(m[3]) == 2 else 0) if m[3] else None
                day, alt = (_safe(year, month, dom), _safe(year, dom, month)) if year else (None, None)
                if year is None and 1 <= month <= 12:
                    day = _yearless(month, dom, today)
                    alt = _yearless(dom, month, today) if dom <= 12 and dom != month else None
                self.add(m, day, "date", explicit=True, alt=alt)
        if cued(t, _NAMED):
            for pattern, name, rule in NAMED_DAYS:
                for m in _finditer(rf"\b(?:on\s+)?{pattern}\b", t):
                    self.add(m, _named(rule, today), "named", explicit=True, name=name)
        if "tomorrow" in t:
            for m in _finditer(r"\b(?:the\s+)?day\s+after\s+tomorrow\b", t):
                self.add(m, today + timedelta(days=2), "relative")
        # only "this"/"later" is consumed, so "afternoon" / "tonight" still give the part of day
        if "today" in t or "this" in t or "tonight" in t:
            for m in _finditer(
                r"\btoday\b|\bthis(?=\s+(?:morning|afternoon|evening)\b)|\b(?=tonight\b)|\blater\s+(?=today\b)", t
            ):
                self.add(m, today, "relative")
        if "tomorrow" in t:
            for m in _finditer(r"\btomorrow\b", t):
                self.add(m, today + timedelta(days=1), "relative")
        if "yesterday" in t:
            for m in _finditer(r"\byesterday\b", t):
                self.add(m, today - timedelta(days=1), "relative")
        self._weekdays()
        if "week" in t:
            for m in _finditer(r"\b(?:the\s+)?weekend\s+after\s+next\b", t):
                self.add(m, self.monday + timedelta(days=19), "weekend")
            for m in _finditer(r"\bnext\s+weekend\b", t):
                self.add(m, self.monday + timedelta(days=12), "weekend")
        if "week" in t:
            for m in _finditer(r"\b(?:this|the)\s+(?:coming\s+)?weekend\b|\bweekend\b", t):
                self.add(m, today + timedelta(days=(5 - today.weekday()) % 7), "weekend")
        if "week" in t:
            for m in _finditer(r"\b(?:the\s+)?week\s+after\s+next\b", t):
                note = "The week after next starts"
                self.add(m, self.monday + timedelta(days=14), "week", week=True, notes=(note,))
        if "week" in t:
            for m in _finditer(r"\bnext\s+week\b", t):
                self.add(m, self.monday + timedelta(days=7), "week", week=True, notes=("Next week starts",))
        if "this week" in t and "next" in t:
            # "not this week but next, wednesday if poss": the week left unsaid after "next"
            for m in _BUT_NEXT.finditer(t):
                day = self.monday + timedelta(days=7)
                self.found.append(_Mention(day, m.start(1), m.end(1), "week", week=True, notes=("Next week starts",)))
        if "week" in t:
            self._week_parts()
        if digits and ("week" in t or "wk" in t or "w/c" in t):
            self._week_of_days()
        if offsets:
            # (not "come in a week on thursday": that is the British "a week on thursday", nor "come in
            # two weeks from tomorrow": counted from tomorrow)
            in_offset = (
                rf"\bin\s+{_ABOUT}{_AMOUNT}\s+{_UNIT}(?:'?\s+time)?\b(?!\s+(?:on\s+)?{_WD})"
                r"(?!\s+from\s+(?!now\b|today\b))"
                rf"|\bin\s+{_ABOUT}a\s+(fortnight)\b(?!\s+(?:on\s+)?{_WD})"
            )
            for m in _finditer(in_offset, t):
                amount, unit = (1, "fortnight") if m[3] else (_amount(m[1]), m[2])
                self.add(m, today + timedelta(days=_days(amount, unit)), "offset")
        if offsets:
            for m in _finditer(
                rf"\b{_AMOUNT}\s+{_UNIT}\s+(?:from\s+(?:now|today)|today)\b|\b(?:a\s+)?(fortnight)\s+today\b", t
            ):
                amount, unit = (1, "fortnight") if m[3] else (_amount(m[1]), m[2])
                self.add(m, today + timedelta(days=_days(amount, unit)), "offset")
        if "month" in t or months:
            for m in _MONTHS_ON.finditer(t):
                self.add(m, _add_months(today, _amount(m[1] or m[2] or "a")), "offset")
            for m in _PART_OF_MONTH.finditer(t):
                self.add(m, _part_of_month(m, today), "offset")
        if digits and "the" in t:
            for m in _finditer(r"\b(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)\b(?!\s+(?:one|slot|time|option))", t):
                backwards = in_past(t, m.start())
                self.add(m, _day_of_month(int(m[1]), today, backwards), "dom", explicit=True)
        if digits and _BARE_ORDINAL_HIT.search(t):
            # a bare ordinal without "the" ("17th at 2?", "kidney specialist, 17th", "on 22nd"): a day of
            # the month, unless a noun says it counts something else ("my 2nd visit", "4th floor")
            for m in _BARE_ORDINAL.finditer(t):
                if 1 <= int(m[1]) <= 31:
                    self.add(m, _day_of_month(int(m[1]), today, in_past(t, m.start())), "dom", explicit=True)
        if digits and _names_weekday(t):
            # a bare ordinal right after a weekday ("wed 30th", "Tuesday 29th"): a day of the month,
            # merged with its weekday by _combine (with a month after it, the month rules read it)
            for m in _finditer(rf"\b{_WD}\s*[,.]?\s+(\d{{1,2}})(?:st|nd|rd|th)\b{_MONTH_AHEAD}", t):
                backwards = in_past(t, m.start())
                day = _day_of_month(int(m[2]), today, backwards)
                if day is not None:
                    self.found.append(_Mention(day, m.start(2), m.end(), "dom", explicit=True))
        if ("first" in t or "1st" in t) and _WEEKDAY_HIT.search(t):
            self._first_weekdays()
        if "on the" in t:
            for m in _finditer(r"\bon\s+the\s+(first|second|third)\b(?!\s+(?:one|slot|time|option))", t):
                self.add(m, _day_of_month(_ORDINAL_WORDS[m[1]], today, False), "dom", explicit=True)
        return self._select()

    def _week_parts(self) -> None:
        """'end of the week', 'midweek next week', 'later this week', 'early next week', 'this week'
        (from today), 'this time next week'; a part named is read back ("The end of the week is ...")."""
        t, today = self.text, self.today
        for m in _WEEK_PART.finditer(t):
            part = (m["part"] or m["adj"] or m["mid"] or "").partition(" ")[0]
            nxt = bool(m["next"] or m["next2"])
            # "next week, ideally towards the end of the week", "the week after next, midweek": "the
            # week" (or no week said) may be a week named apart, which then makes the part's weekday
            # its own (_in_named_week)
            weekday = _WEEK_PART_DAYS.get(part, 0) if part and not (nxt or m["this"]) else None
            if part == "later" and not nxt:
                # "later this week": from tomorrow
                self.add(m, today + timedelta(days=1), "week_part", weekday=weekday)
                continue
            day = self.monday + timedelta(days=(7 if nxt else 0) + _WEEK_PART_DAYS.get(part, 0))
            if not nxt and day < today:
                day = max(day + timedelta(days=7), today) if part else today  # gone this week: next week's
            name = m[0] if not m["part"] or m[0].startswith("the") else f"the {m[0]}"
            self.add(m, day, "week_part", week=not part, name=name if part else None, weekday=weekday)
        for m in _finditer(r"\bthis\s+time\s+next\s+week\b", t):
            self.add(m, today + timedelta(days=7), "offset")
        for m in _PART_ALONE.finditer(t):
            # "next week, towards the end": the part's weekday, which the week named makes its own
            # (_in_named_week), as it does "next week, friday"
            index = _WEEK_PART_DAYS.get(m[1], 0)
            self.add(m, self.coming_weekday(index), "weekday_bare", weekday=index)

    def _first_weekdays(self) -> None:
        """'the first monday of the new year', 'first friday in january', 'the first tuesday of next
        month': that month's first such weekday (next year's when more than 60 days gone, as for a
        yearless date)."""
        for m in _FIRST_WEEKDAY.finditer(self.text):
            index = _weekday_index(m[1])
            if m["month"]:
                day = _first_weekday(date(self.today.year, _month_index(m["month"]), 1), index)
                if (self.today - day).days > _ROLL_OVER_DAYS:  # as a yearless date: long gone is next year's
                    day = _first_weekday(day.replace(year=day.year + 1, day=1), index)
            else:
                first = _first_of_month(self.today, 1) if m["nextmonth"] else date(self.today.year + 1, 1, 1)
                day = _first_weekday(first, index)
            self.add(m, day, "date", explicit=True)

    def _week_of_days(self) -> None:
        """The bare day of 'the week commencing 14th' / 'w/c 21st' (made a week by _weeks_of)."""
        for m in _finditer(rf"{_WEEK_OF}(\d{{1,2}})(?:st|nd|rd|th)?\b{_MONTH_AHEAD}(?![/\d])", self.text):
            day = _day_of_month(int(m[1]), self.today, False)
            if day is not None:
                self.found.append(_Mention(day, m.start(1), m.end(), "dom", explicit=True))

    def _weekdays(self) -> None:
        t = self.text
        if not _names_weekday(t):
            return
        for pattern, rule, words in _WEEKDAY_RULES:
            if words is not None and not cued(t, words):
                continue  # the rule's own words are not in the text
            for m in pattern.finditer(t):
                index = _weekday_index(m[1])
                if rule == "next":
                    day = self.next_weekday(index)
                elif rule == "after_next":
                    day = self.next_weekday(index) + timedelta(days=7)
                elif rule == "last":
                    day = self.today - timedelta(days=(self.today.weekday() - index) % 7 or 7)
                elif rule == "bare" and _SINCE.search(t, max(0, m.start() - 12), m.start()):
                    # "a rash since saturday": the last one, when it started, never a day asked for
                    day, rule = self.today - timedelta(days=(self.today.weekday() - index) % 7 or 7), "since"
                elif rule == "this" and m[0].startswith("this") and index == self.today.weekday():
                    day = self.today  # "this Monday" said on a Monday
                elif rule == "week_on":
                    day = self.coming_weekday(index) + timedelta(days=7)
                else:
                    day = self.coming_weekday(index)
                self.add(m, day, f"weekday_{rule}", weekday=index)

    def _select(self) -> list[_Mention]:
        """Non-overlapping mentions, longest first, in text order."""
        chosen: list[_Mention] = []
        for mention in sorted(self.found, key=lambda x: (-(x.end - x.start), x.start)):
            if all(mention.end <= c.start or mention.start >= c.end for c in chosen):
                chosen.append(mention)
        return sorted(chosen, key=lambda x: x.start)


def clause_at(text: str, position: int) -> str:
    """The clause around `position`: between the nearest breaks (punctuation, and/but/so)."""
    start, end = _clause_span(text, position)
    return text[start:end]


def _clause_span(text: str, position: int) -> tuple[int, int]:
    start = 0
    for b in _CLAUSE_BREAK.finditer(text):
        if b.end() <= position:
            start = b.end()
        elif b.start() >= position:
            return start, b.start()
    return start, len(text)


# what asks for a visit: after it, a day in a run-on sentence about the past is the day asked for
_ASKING = re.compile(
    r"\b(?:can|could|would|will|need|needs|want|wants|like|book|schedule|please|pls|how\s+about|what\s+about|"
    r"maybe|possible|available|come\s+(?:back|in))\b"
)


@functools.lru_cache(maxsize=1024)
def _names_past(text: str) -> bool:
    """Cached: every day and type mentioned in a message asks it of the same text."""
    return PAST_CLAUSE.search(text) is not None


def in_past(text: str, position: int) -> bool:
    """Whether `position` is in a sentence about the past: its clause names the past, and no request
    comes between the last past word before it and it ("i had my physical on nov 20 the doctor wants
    a follow up can i come wed 9th" asks for the 9th; "i was seen on the 3rd" is the past 3rd)."""
    if not _names_past(text):
        return False  # most messages: no past anywhere, so in no clause
    start, end = _clause_span(text, position)
    clause, at = text[start:end], position - start
    if PAST_CLAUSE.search(clause) is None:
        return False  # most clauses: no past at all
    before = [m.end() for m in PAST_CLAUSE.finditer(clause, 0, at)]
    return not before or _ASKING.search(clause, before[-1], at) is None


def _between(text: str, a: _Mention, b: _Mention) -> str:
    return text[a.end : b.start]


def _combine(text: str, mentions: list[_Mention], today: date) -> list[_Mention]:
    """Merge a weekday with the date beside it, and apply offsets that are anchored on a day."""
    out: list[_Mention] = []
    for m in mentions:
        prev = out[-1] if out else None
        gap = _between(text, prev, m) if prev else ""
        if (
            prev
            and _WEEKDAY_DATE_GAP.fullmatch(gap)
            and not _AFTER_OR_BEFORE.match(text, m.end)  # "back on the 10th, the monday after"
            and (
                (prev.weekday is not None and m.explicit and not prev.explicit)
                or (
                    m.weekday is not None
                    and prev.explicit
                    and m.kind == "weekday_bare"
                    # "w/c 21/12 thursday ideally", "the week after christmas, tues": the Thursday of
                    # that week, not the 21st's name
                    and not _WEEK_OF_DAY.search(text, max(0, prev.start - 30), prev.start)
                    # "before christmas, monday would be good": a deadline, then the day asked for
                    and not _DEADLINE.search(text, max(0, prev.start - 30), prev.start)
                )
            )
        ):
            day = m.day if m.explicit else prev.day
            dated, named = (m, prev) if m.explicit else (prev, m)
            if dated.kind == "dom" and named.weekday is not None:  # "thurs the 7th", "wed 30th"
                backwards = dated.day < today
                day = _weekday_day_of_month(named.weekday, dated.day.day, today, backwards) or day
            elif dated.alt and named.weekday is not None and day.weekday() != named.weekday == dated.alt.weekday():
                day = dated.alt  # "Tuesday 8/12" written the British way
            out[-1] = replace(prev, day=day, end=m.end, explicit=True, kind="date", weekday=None, name=None)
            continue
        offset = max(prev.end if prev else 0, m.start - 40)  # an offset phrase is short
        before = text[offset : m.start]
        if o := _ANCHORED_OFFSET.search(before):
            amount, unit = (1, "fortnight") if o[3] else (_amount(o[1]), o[2])
            start = offset + o.start()
            m = replace(m, day=m.day + timedelta(days=_days(amount, unit)), start=start, kind="offset", weekday=None)
        elif o := _DAY_AFTER.search(before):
            start = offset + o.start()
            shift = 1 if o[1] == "after" else -1
            name = f"the day {o[1]} {m.name}" if m.name else None
            m = replace(m, day=m.day + timedelta(days=shift), start=start, kind="offset", weekday=None, name=name)
        if m.kind == "weekday_that" and m.weekday is not None:
            earlier = next((x for x in reversed(out) if x.day.weekday() == m.weekday), None)
            if earlier:
                m = replace(m, day=earlier.day)
        out.append(m)
    return out


_ANY_BEFORE = re.compile(r"\b(?:any|every|some)\s+$")


# after or before another day: "the day after", "the week after", "the monday after", "2 weeks
# after (that)", "a week later", "anytime after that"; with a day after it ("the week after
# Christmas", "the monday after the 10th") that day is the base, else the day named before
_RELATIVE_WORDS = re.compile(
    rf"\b(?:the\s+)?(?P<unit>day|one|week|(?P<wd>{_WD[1:-1]}))\s+"
    # (never a clock, "the day after 4": but "the monday after 4th of july" is a day)
    r"(?P<way>after|before|following)\b(?!\s*(?:\d(?!\d?(?:st|nd|rd|th)\b)|(?:next|tomorrow|noon|lunch|work|school)\b))"
    rf"|\bthe\s+following\s+(?P<funit>day|week|(?P<fwd>{_WD[1:-1]}))\b"
    rf"|\b(?P<n>{_AMOUNT[1:-1]})\s+(?P<units>days?|weeks?|fortnights?)\s+(?P<way2>after|later|before|earlier)\b"
    r"(?:\s+(?:that|this|it|then))?"
    r"|\b(?:any\s*(?:time|day|date|thing)|some\s*(?:time|thing)|whenever)\s+(?P<way3>after|before)\s+"
    r"(?:(?P<that>that|then|this)\b|(?P<onward>))"
    r"|\bbefore\s+(?P<then>that|then)\b"  # "need a check up before then": the soonest day
)
_RELATIVE_HINT = cues("after", "before", "later", "earlier", "following")
# "the week after | Christmas", "2 weeks after | my surgery on | the 9th": the base follows at once
# ("two weeks after my op, which was on the 15th": the anchor named after it)
_BASE_AHEAD = re.compile(
    r"\s*(?:(?:my|his|her|their|our|the)\s+[a-z-]+(?:\s*,?\s+(?:which|that)\s+(?:was|is|will\s+be))?\s+(?:(?:is\s+)?on\s+)?)?"
    r"(?:the\s+)?$"
)
_OR_BEFORE = re.compile(r"\bor\s+$")


def _mention_ahead(text: str, mentions: list[_Mention], end: int) -> _Mention | None:
    """The day right after `end` ("the week after | Christmas"), if any."""
    return next((x for x in mentions if x.start >= end and _BASE_AHEAD.fullmatch(text, end, x.start)), None)


def _cut_span(text: str, m: _Mention) -> str:
    """`text` without the mention's words (offsets kept), so its own digits are not a time."""
    return text[: m.start] + " " * (m.end - m.start) + text[m.end :]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _relative_parts(m: re.Match[str]) -> tuple[str | None, str | None, str]:
    """The unit, weekday and direction of 'the week after' / 'the following monday' / ..."""
    way = m["way2"] or m["way3"] or m["way"] or "after"
    way = {"later": "after", "earlier": "before", "following": "after"}.get(way, way)
    return m["unit"] or m["funit"], m["wd"] or m["fwd"], way


def _shifted(base: _Mention, m: re.Match[str], today: date) -> tuple[date, bool]:
    """The day `m` names relative to `base`, and whether it is a week rather than a day."""
    if m["n"]:  # "2 weeks after", "a week later", "5 days after that"
        days = _days(_amount(m["n"]), m["units"])
        return base.day + timedelta(days=days if m["way2"] in ("after", "later") else -days), False
    if m["then"] or m["way3"] == "before":  # "sometime before then", "any day before the 20th": the soonest day
        return today, False
    if m["way3"]:  # "anytime after that", "any day after the 11th": from the day after
        return base.day + timedelta(days=1), False
    unit, weekday, way = _relative_parts(m)
    after = way == "after"
    if weekday:  # "the monday after the 10th": the first such weekday after it
        gap = (_weekday_index(weekday) - base.day.weekday()) % 7 or 7
        return base.day + timedelta(days=gap if after else gap - 7), False
    if unit == "week" or (unit == "one" and base.week):
        # the week after / before a day's (or a named week's) week, from its Monday; "next week's out,
        # the one after" is the week after too
        return _monday(base.day) + timedelta(days=7 if after else -7), True
    step = 7 if unit == "one" and base.weekday is not None else 1
    return base.day + timedelta(days=step if after else -step), False


def _said_relative(m: re.Match[str], base: _Mention) -> str | None:
    """How the day is read back ("2 weeks after Wednesday, December 9 is ..."); none for the
    plain 'the day after' / 'the one after' and for 'before then' (today)."""
    unit, weekday, way = _relative_parts(m)
    if unit in ("day", "one") or m["then"] or m["way3"] == "before" or (base.week and not m["n"]):
        return None
    if m["way3"]:
        phrase = "the day after"
    elif m["n"]:
        phrase = f"{' '.join(m['n'].split())} {m['units']} {way}"
    else:
        phrase = f"the {weekday or 'week'} {way}"
    return f"{phrase} {day_label(base.day)}"


def _relative_to_previous(text: str, mentions: list[_Mention], today: date) -> list[_Mention]:
    """A day said relative to another day named beside it: 'not tomorrow, the day after', 'not
    this Thursday but the one after', 'not next week, the week after', 'back on the 3rd, the week
    after', 'surgery on the 9th, a follow up 2 weeks after', 'the Monday after Christmas'. The
    other day is context (the later mention is the one asked for)."""
    if not cued(text, _RELATIVE_HINT):
        return mentions  # most messages: no day said relative to another
    out = list(mentions)
    # "sometime before the 9th" (today) by its start: the day it was said of, for "..., the monday
    # before?" said after it (the Monday before the 9th)
    bounds: dict[int, _Mention] = {}
    for m in _RELATIVE_WORDS.finditer(text):
        inside = [x for x in out if x.start <= m.start() < x.end and not (m["wd"] and x.end <= m.end())]
        back = m["that"] or m["then"]  # "after that", "before then": the day named before
        if inside or (not m["way3"] and _ANY_BEFORE.search(text, 0, m.start())):
            continue  # "Tuesday or any day after" asks for Tuesday; "3 days after Friday" is one already
        if m["way3"] and _OR_BEFORE.search(text, 0, m.start()):
            continue  # "Tuesday or any time after that" asks for Tuesday too
        own = [x for x in out if m.start() <= x.start and x.end <= m.end()]  # "monday" in "the monday after"
        ahead = None if back else _mention_ahead(text, out, m.end())
        earlier = [] if m["onward"] is not None else [x for x in out if x.end <= m.start()]
        base = ahead or (earlier[-1] if earlier else None)
        if base is not None and base is not ahead and not m["way3"] and base.start in bounds:
            base = bounds[base.start]
        if base is None or (back and _DIGIT.search(_cut_span(text, base), max(0, base.start - 20), m.start())):
            continue  # "I work until 5, anytime after that" and "any time after 3" are about the time
        lead = _weekday_of_week(text, m, earlier) if base is not ahead else None
        if lead is not None:
            own.append(lead)
            base = earlier[-2]
        day, week = _shifted(base, m, today)
        if lead is not None and lead.weekday is not None:
            day, week = day + timedelta(days=lead.weekday), False
        if week and day < today <= day + timedelta(days=6):
            day = today  # "the week before" the 14th, said in that week: from today
        end = ahead.end if ahead else m.end()
        out = [x for x in out if x not in own and x is not ahead]
        # a week after a named week or a date is a week too, with its own weekdays ("not next week, the
        # week after, not monday", "the week after christmas, tues"); not after a weekday ("my exams
        # finish friday, the week after": that Friday is no day of the week after)
        kind, said = "week" if week else "relative", _said_relative(m, base)
        start = lead.start if lead is not None else m.start()
        out.append(_Mention(day, start, end, kind, week=week and (base.week or base.explicit), name=said))
        if m["way3"] and ahead is not None:
            bounds[start] = ahead
    return sorted(out, key=lambda x: x.start)


_LEAD_GAP = re.compile(r"[\s,]*")


def _weekday_of_week(text: str, m: re.Match[str], earlier: list[_Mention]) -> _Mention | None:
    """The bare weekday right before 'the week after' when another day is named before it ("next
    week is out but wednesday the week after": the Wednesday of the week after next week)."""
    if len(earlier) < 2 or m["unit"] != "week" or m["way"] != "after":
        return None
    lead = earlier[-1]
    if lead.kind != "weekday_bare" or not _LEAD_GAP.fullmatch(text, lead.end, m.start()):
        return None
    return lead


# away for a stretch of days: "I'm away this week", "busy all of next week" ("off" may be off work)
_AWAY_FOR = re.compile(
    r"\b(?:away|on\s+holiday|on\s+vacation|out\s+of\s+town|travel+ing|busy|unavailable|not\s+(?:around|here|free))"
    r"\s+(?:for\s+)?(?:all\s+)?(?:of\s+)?$"
)


def _mark(text: str, mentions: list[_Mention], today: date) -> list[_Mention]:
    out: list[_Mention] = []
    listing = False  # the refusal that heads the list is an "except ..."
    for m in mentions:
        before = text[max(0, m.start - 60) : m.start]  # every cue is short and ends at the mention
        negated = _NEGATION.search(before) is not None or _REFUSED_AFTER.match(text, m.end) is not None
        if m.kind in ("week_part", "weekend") and _AWAY_FOR.search(before):
            negated = True  # "im away this week", "away for the weekend": a week the patient is not there
        if m.kind == "relative" and not (
            _REFUSE_RE.search(before)
            or _ANY_BUT.search(before)
            or _EXCEPT_DAY.search(before)
            or _REFUSED_AFTER.match(text, m.end)
        ):
            negated = False  # "not this Thursday but the one after": only a refusal negates these ("today's no good")
        prev = out[-1] if out else None
        if prev and prev.negated and _listable(prev) and _listable(m):
            refused = _REFUSED_AFTER.match(text, prev.end)  # "monday's out and so is tuesday"
            gap_start = refused.end() if refused else prev.end
            negated = negated or _LIST_GAP.fullmatch(text, gap_start, m.start) is not None
            if not negated and _COMMA_GAP.fullmatch(text, prev.end, m.start):
                # "except mon, tue" is a list; "not Monday, Tuesday?" may be the answer, unless the
                # list goes on to an "or"/"and" ("not Monday, Tuesday or Wednesday")
                negated = listing or _list_goes_on(text, m, mentions)
        if negated and (_best_after(text, m.end) or _suits_after_but(text, before, m.end)):
            negated = False  # "any day works, but monday is best": "but" asks for it here
        if negated and prev and prev.negated and _contrast(text, before, m):
            negated = False  # "next week is out but friday this week", "not next week but the week after"
        if m.kind == "weekday_plural" and not negated:
            if _FREE_ON.search(before) or _best_after(text, m.end):
                m = replace(m, kind="weekday_bare")  # "I'm only free on tuesdays and thursdays": a Tuesday
            # else "I work Mondays" names no day, unless a refusal after a list takes it in
            # ("mondays and tuesdays are no good"): dropped after that below
        context = (
            _DEADLINE.search(before) is not None
            or (m.kind not in ("relative",) and (in_past(text, m.start) or _said_of_plans(text, m, out)))
            or (m.weekday is not None and _WEEKDAY_REMARK.search(before) is not None and any(x.explicit for x in out))
        )
        if negated and not (prev and prev.negated):
            listing = _EXCEPT_RE.search(before) is not None
        context = context or m.context  # a span of holidays (_holiday_spans) stays context
        out.append(m if (negated, context) == (m.negated, m.context) else replace(m, negated=negated, context=context))
    # refused after a list: "monday and tuesday are no good", "monday, tuesday and wednesday are out"
    chain = False  # the mention after this one is refused by what follows the list
    for i in range(len(out) - 1, 0, -1):
        later, earlier = out[i], out[i - 1]
        if later.weekday is None or earlier.weekday is None or not later.negated:
            chain = False
            continue
        chain = chain or _REFUSED_AFTER.match(text, later.end) is not None
        joined = chain and (
            _LIST_GAP.fullmatch(text, earlier.end, later.start) or _COMMA_GAP.fullmatch(text, earlier.end, later.start)
        )
        if joined:
            out[i - 1] = replace(earlier, negated=True)
        else:
            chain = False
    return [m for m in out if m.kind != "weekday_plural" or m.negated]


# a clause about someone's plans: "my son gets back on the 27th", "we fly out on thursday", "the
# kids go back to school on the 4th"
_PLANS_SUBJECT = re.compile(
    r"\s*(?:my|our|his|her|their|we|they|he|she|the\s+(?:kids|children|twins|family|school|nursery|office|baby))\b"
)
# ... never one saying when the visit would suit ("my wife is free thursday", "our son prefers friday")
_SUITS = re.compile(
    r"\b(?:free|off|ok|okay|fine|good|better|best|works|suits?|prefer\w*|ideal|instead|actually|rather)\b"
)


def _said_of_plans(text: str, m: _Mention, earlier: list[_Mention]) -> bool:
    """A day in a clause about someone's plans, after a day asked for, is context: "can i come on
    the 28th? my son gets back from uni on the 27th" asks for the 28th."""
    if not any(not e.negated and not e.context for e in earlier):
        return False
    start, end = _clause_span(text, m.start)
    if not _PLANS_SUBJECT.match(text, start, m.start):
        return False
    return _ASKING.search(text, start, end) is None and _SUITS.search(text, start, end) is None


_BUT = re.compile(r"\bbut\s+(?:on\s+)?(?:the\s+)?$")


def _contrast(text: str, before: str, m: _Mention) -> bool:
    """Whether a day after "but" is the one asked for, not an exception ("anything but monday"):
    after a refusal it is ("can't do next week but friday this week"), unless refused itself."""
    return (
        _BUT.search(before) is not None
        and _REFUSE_RE.search(before) is None
        and _REFUSED_AFTER.match(text, m.end) is None
    )


def _listable(m: _Mention) -> bool:
    """A day a refusal can carry over to in a list: a weekday, today or tomorrow."""
    return m.weekday is not None or m.kind == "relative"


_AWAY = re.compile(
    r"\b(?:away|off|on\s+holiday|on\s+vacation|out\s+of\s+town|travel+ing|not\s+(?:around|here|free|available)|"
    r"unavailable|busy|working|at\s+work|(?:can'?t|cannot)\s+(?:do|make(?:\s+it)?))\s+(?:from\s+)?(?:on\s+)?$"
)
# a plural weekday the patient can do: "only free on tuesdays", "available mondays and fridays"
_FREE_ON = re.compile(
    r"\b(?:free|available|only|can\s+(?:only\s+)?(?:do|make|come)|best|better|good|easiest|ok|okay|usually)"
    r"(?:\s+(?:after|before|from|until|till)\s+[\w:]+(?:\s*[ap]m)?)?\s+(?:on\s+)?(?:(?:mon|tues|wednes|thurs|fri|satur|sun)days\s*(?:,|and|&|or)\s*)*$"
)
# a day said to suit best: "monday is best", "wednesdays suit me best", "thursday would be ideal"
_BEST_AFTER = re.compile(
    r"\s*(?:'?s|is|are|would\s+be|works|work|suits?(?:\s+(?:me|us))?)?\s*(?:the\s+)?(?:best|ideal|preferred|easiest)\b"
)
BEST_CUES = cues("best", "ideal", "preferred", "easiest")  # its prefilter (tests/agent/test_offline_prefilters.py)


def _best_after(text: str, at: int) -> bool:
    """Whether the day that ends at `at` is said to suit best."""
    return cued(text, BEST_CUES) and _BEST_AFTER.match(text, at) is not None


# "busy in the mornings but tuesday afternoon would work": the day after "but" suits, never refused
_SUITS_AFTER = re.compile(
    r"\s*(?:(?:morning|afternoon|evening)s?\s+)?(?:(?:would|will|could|should|might)\s+(?:work|suit|do\b|be\s+"
    r"(?:good|fine|great|ok|okay|perfect|better))|works|suits|is\s+(?:good|fine|better|ok|okay))"
)


def _suits_after_but(text: str, before: str, at: int) -> bool:
    """Whether the day after "but" that ends at `at` is said to suit ("but monday would work"), not
    excepted ("any day but monday would work")."""
    return (
        _BUT.search(before) is not None and _ANY_BUT.search(before) is None and _SUITS_AFTER.match(text, at) is not None
    )


_RANGE_GAP = re.compile(r"\s*(?:to|till|til|until|through|thru|-|–)\s*(?:the\s+)?")


def _away_ranges(text: str, mentions: list[_Mention]) -> list[_Mention]:
    """ "I'm away monday to wednesday" refuses the whole range (Tuesday too)."""
    out = list(mentions)
    for first, last in zip(mentions, mentions[1:], strict=False):
        if first.weekday is None or last.weekday is None or not _RANGE_GAP.fullmatch(text, first.end, last.start):
            continue
        if not _AWAY.search(text, max(0, first.start - 30), first.start):
            continue
        inside = [first.day + timedelta(days=n) for n in range(1, (last.day - first.day).days)]
        out = [replace(m, negated=True) if m in (first, last) else m for m in out]
        out += [_Mention(d, first.end, first.end, "weekday_bare", weekday=d.weekday(), negated=True) for d in inside]
    return sorted(out, key=lambda x: x.start)


def _list_goes_on(text: str, m: _Mention, mentions: list[_Mention]) -> bool:
    """After "not Monday, Tuesday": whether the list goes on to end with "or"/"and" ("..., Tuesday
    or Wednesday"), so that the comma joins it too."""
    following = [x for x in mentions if x.start >= m.end]
    current = m
    for nxt in following:
        if nxt.weekday is None:
            return False
        if _LIST_GAP.fullmatch(text, current.end, nxt.start):
            return True
        if not _COMMA_GAP.fullmatch(text, current.end, nxt.start):
            return False
        current = nxt
    return False


def _refused_weekdays(mentions: list[_Mention]) -> set[int]:
    """The weekdays refused ("not monday or tuesday", "except wed")."""
    return {m.day.weekday() for m in mentions if m.negated and m.weekday is not None}


def _excluding_weekdays(mentions: list[_Mention], today: date) -> _Mention | None:
    """'next week but not Monday', 'not today, any other day this week': the first day of that week
    that is not refused. With no week and no other day asked for, 'anything but Monday' / 'not
    today' is the soonest day left."""
    refused = [m for m in mentions if m.negated and m.weekday is not None]
    excluded = _refused_weekdays(mentions)
    refused_days = {m.day for m in mentions if m.negated and m.kind == "relative"}
    weeks = [m for m in mentions if not m.negated and m.week] or [
        m for m in mentions if m.kind == "weekday_next" and m.negated
    ]
    if not excluded and not refused_days:
        return None
    if any(not m.negated and not m.context and not m.week and m.day >= today for m in mentions):
        return None  # "can't do Monday, Tuesday?", "can't do wed or thu next week, friday?": the day asked for wins
    if not weeks:
        first = next(
            day
            for day in (today + timedelta(days=n) for n in range(14))
            if day.weekday() not in excluded and day not in refused_days
        )
        anchor = refused[0] if refused else next(m for m in mentions if m.negated)
        return replace(anchor, day=first, negated=False, notes=(), weekday=None, kind="soonest")
    week = weeks[0]
    monday = _monday(week.day)
    for offset in range(6):
        day = monday + timedelta(days=offset)
        if day >= today and day.weekday() not in excluded and day not in refused_days:
            return replace(week, day=day, negated=False, week=False, notes=())  # "not today, any day this week"
    return None


def _listed_with_week(text: str, mentions: list[_Mention]) -> list[_Mention]:
    """ "tues or wed next week": a bare weekday listed before one said with its week is that week's too."""
    out = list(mentions)
    for i in range(len(out) - 2, -1, -1):
        m, later = out[i], out[i + 1]
        if (
            m.kind == "weekday_bare"
            and m.weekday is not None
            and later.kind in ("weekday_next", "weekday_after_next")
            and text[later.start : later.end].endswith("week")  # "wed next week", not "next wed"
            and (_LIST_GAP.fullmatch(text, m.end, later.start) or _COMMA_GAP.fullmatch(text, m.end, later.start))
        ):
            out[i] = replace(m, day=_monday(later.day) + timedelta(days=m.weekday), kind=later.kind)
    return out


def _in_named_week(text: str, mentions: list[_Mention], today: date) -> list[_Mention]:
    """A bare weekday said with a week ("next week, Wednesday", "Monday, next week if possible",
    "next weekend, Saturday", "the week after next, a Tuesday") is that week's weekday, and the
    week itself is no longer a day of its own."""
    mentions = _listed_with_week(text, mentions)
    weeks = [m for m in mentions if (m.week or m.kind == "weekend") and not m.negated and not m.context]
    weeks += [m for m in mentions if m.context and m.week and _away_until(text, m)]
    # a day that names its week ("can't do wed next week, friday?") lends it to weekdays said after it
    days = [m for m in mentions if _says_week(text, m)]
    if not weeks and not days:
        return mentions
    out: list[_Mention] = []
    used: set[int] = set()
    for m in mentions:
        bare = m.kind in ("weekday_bare", "week_part") or (m.kind == "weekday_this" and text.startswith("on", m.start))
        if m.weekday is None or not bare or m.negated or m.context:
            out.append(m)
            continue
        week = _week_for(text, m, weeks + [d for d in days if d.start < m.start])
        if week is None:
            out.append(m)
            continue
        day = _monday(week.day) + timedelta(days=m.weekday)
        if day < today:
            out.append(m)
            continue
        if week.week or week.kind == "weekend":
            used.add(id(week))
        out.append(replace(m, day=day))
    return [m for m in out if id(m) not in used]


_WEEK_GAP = re.compile(r"[\s,]*(?:of\s+)?")


def _week_for(text: str, m: _Mention, weeks: list[_Mention]) -> _Mention | None:
    """The week a bare weekday belongs to: one said right after it ("friday this week"), else the
    nearest before it, else the nearest after it."""
    return min(
        weeks,
        key=lambda w: (not _WEEK_GAP.fullmatch(text, m.end, w.start), w.start > m.start, abs(w.start - m.start)),
        default=None,
    )


# away until a week ("i'm away until the week after next, could i come in on the wednesday"): the
# week is the first the patient is back in, a deadline to the day but the week of a weekday said
_AWAY_UNTIL = re.compile(
    r"\b(?:away|on\s+holiday|on\s+vacation|out\s+of\s+town|travel+ing|busy|unavailable|not\s+(?:around|here|free))"
    r"\s+(?:until|till|til)\s+$"
)


def _away_until(text: str, m: _Mention) -> bool:
    return "til" in text and _AWAY_UNTIL.search(text, max(0, m.start - 40), m.start) is not None


def _says_week(text: str, m: _Mention) -> bool:
    """ "wednesday next week", "next week's monday", "thursday of next week", also refused: a day
    that names its week (never "next wednesday")."""
    return m.kind in ("weekday_next", "weekday_after_next") and "week" in text[m.start : m.end]


# a part of a week: "(towards) the end of (the|this|next) week", "early/mid/late/later (in the) next
# week", "midweek (next week)", "start of next week"; alone, "this week" (from today)
_WEEK_PART = re.compile(
    r"\b(?P<mid>mid)-?week\b(?:\s+(?P<next2>next)\s+week\b)?"
    r"|\b(?:(?:the\s+)?(?P<part>beginning|start|end|middle|back\s+end)\s+of|(?P<adj>early|mid|late|later))"
    r"(?:\s+on)?(?:\s+in)?[\s-]*(?:(?P<the>the)\s+|(?P<this>this)\s+|(?P<next>next)\s+)?week(?!end)\b(?!\s+after)"
    r"|\bthis\s+week(?!end)\b(?!'?s\b)"
)
# a part said apart from its week: "next week sometime, towards the end", "the week after next, near
# the start", "next week, towards the end of it"
_PART_ALONE = re.compile(r"\b(?:towards?|at|near|around)\s+the\s+(end|start|beginning|middle)\b(?!\s+of\b(?!\s+it\b))")
# the weekday each part names (0 = Monday); "later next week" is its Thursday
_WEEK_PART_DAYS = {"middle": 2, "mid": 2, "later": 3, "late": 4, "end": 4, "back": 4}
# "the week of the 16th", "week commencing 14th", "w/c 14/12", "wk beginning the 4th jan": that week
_WEEK_OF = r"\b(?:(?:the\s+)?(?:week|wk)\s+(?:of|commencing|beginning|starting)|w/?c)\s+(?:on\s+)?(?:the\s+)?"
_WEEK_OF_RE = re.compile(_WEEK_OF + "$")
_WEEK_OF_DAY = re.compile(rf"(?:{_WEEK_OF}|\bweek\s+(?:after|before)\s+)$")  # ... or the week after a day


def _weeks_of(text: str, mentions: list[_Mention], today: date) -> list[_Mention]:
    """'the week of the 16th' / 'w/c 14/12' is that day's week, from its Monday (from today when
    that Monday is past); a weekday said with it is that week's (_in_named_week)."""
    if "week" not in text and "wk" not in text and "w/c" not in text:
        return mentions  # most messages name no week of a date
    out = []
    for m in mentions:
        if o := _WEEK_OF_RE.search(text, max(0, m.start - 30), m.start):
            monday = _monday(m.day)
            day, notes = (monday, ("That week starts",)) if monday >= today else (today, ())
            m = replace(m, day=day, start=o.start(), kind="week", week=True, explicit=False, notes=notes)
        out.append(m)
    return out


# "the first monday of the new year", "first friday in jan", "the 1st tuesday of next month"
_FIRST_WEEKDAY = re.compile(
    rf"\b(?:the\s+)?(?:first|1st)\s+{_WD}\s+(?:of|in)\s+(?:(?:the\s+)?new\s+year|next\s+year|(?P<nextmonth>next\s+month)|"
    rf"(?:the\s+)?(?P<month>{_MONTH[1:-1]})(?![a-z]))"
)
_AFTER_WEEKDAY = re.compile(rf"\b{_WD}[\s,.]*(?:the\s+)?$")
# a month asked for without a day: "a physical in January, the 7th maybe"
_IN_MONTH = re.compile(rf"\b(?:in|for|during)\s+(?:(?:early|mid|late)\s+)?{_MONTH}(?![a-z])(?!\s+(?:the\s+)?\d)")


def past_months(text: str, today: date) -> tuple[tuple[int, int], ...]:
    """The spans of months of the last half year said with "in" ("my physical in october", "my
    checkup back in november", said in December): when a past visit was, never a day asked for.
    The same `_IN_MONTH` as a month named for a day ahead (`_in_named_month`)."""
    if " in " not in text:
        return ()  # most messages: no month said with "in"
    return tuple(m.span(1) for m in _IN_MONTH.finditer(text) if 1 <= (today.month - _month_index(m[1])) % 12 <= 6)


def _in_named_month(text: str, mentions: list[_Mention], today: date) -> list[_Mention]:
    """'the 7th' after 'in January' in the same sentence is January's 7th when that is still to
    come; a month named in a sentence about the past ("I was seen in November") says nothing about
    the day asked for, and a weekday before the day decides with it (_combine)."""
    months = [m for m in _IN_MONTH.finditer(text) if PAST_CLAUSE.search(clause_at(text, m.start())) is None]
    if not months:
        return mentions
    out = []
    for x in mentions:
        month = next((m for m in reversed(months) if m.end() <= x.start), None)
        if (
            x.kind == "dom"
            and month is not None
            and x.day >= today
            and not re.search(r"[.!?;]", text[month.end() : x.start])
            and not _AFTER_WEEKDAY.search(text, 0, x.start)
        ):
            day = _yearless(_month_index(month[1]), x.day.day, today)
            if day is not None and day >= today:
                x = replace(x, day=day, kind="date")
        out.append(x)
    return out


_BETWEEN = re.compile(r"\bbetween\s+(?:the\s+)?$")
_SPAN_GAP = re.compile(r"\s*(?:and|&|to)\s+(?:the\s+)?")


def _holiday_spans(text: str, mentions: list[_Mention]) -> list[_Mention]:
    """'between christmas and new year' is a stretch of days said as context: a day named beside it
    wins ("tuesday the 29th, i'm off between christmas and new year"), a bare weekday is the one
    inside it ("between xmas and new year, the wednesday"), and alone it is its first day."""
    for first, last in zip(mentions, mentions[1:], strict=False):
        if first.kind == last.kind == "named" and _SPAN_GAP.fullmatch(text, first.end, last.start):
            if opening := _BETWEEN.search(text, max(0, first.start - 12), first.start):
                break
    else:
        return mentions
    start = first.day + timedelta(days=1)
    span = _Mention(start, opening.start(), last.end, "span", context=True)
    out = []
    for m in mentions:
        if m is first or m is last:
            continue
        if m.kind == "weekday_bare" and m.weekday is not None:
            inside = _first_weekday(start, m.weekday)
            m = replace(m, day=inside) if inside < last.day else m
        out.append(m)
    return sorted([*out, span], key=lambda x: x.start)


def find_day(text: str, today: date) -> DayMatch | None:
    """The day the (normalised) text asks for, or None; a past day only if nothing else is named."""
    finder = _Finder(text, today)
    found = finder.collect()
    if finder.months:
        found = _in_named_month(text, found, today)
    if "between" in text:
        found = _holiday_spans(text, found)
    mentions = _combine(text, found, today)
    mentions = _mark(text, _relative_to_previous(text, _weeks_of(text, mentions, today), today), today)
    if not mentions:
        return None
    spans = tuple((m.start, m.end) for m in mentions)
    past_spans = tuple((m.start, m.end) for m in mentions if m.day < today)
    week_named = any(m.week or m.kind == "weekend" for m in mentions)
    mentions = _in_named_week(text, _away_ranges(text, mentions), today)
    if (week := _excluding_weekdays(mentions, today)) is not None:
        soonest = tuple(sorted(_refused_weekdays(mentions))) if week.kind == "soonest" else ()
        return DayMatch(week.day, (week.start, week.end), None, spans, past_spans, soonest)
    wanted = _within_weeks([m for m in mentions if not m.negated and not m.context and m.day >= today])
    if not wanted:
        wanted = [m for m in mentions if not m.negated and m.day >= today and not m.context] or [
            m for m in mentions if not m.negated and m.day >= today
        ]
    if not wanted:
        past = [m for m in mentions if not m.negated and m.kind != "weekday_since"]
        if not past:
            return None
        chosen = past[-1]
        return DayMatch(chosen.day, (chosen.start, chosen.end), None, spans, past_spans)
    chosen = wanted[-1]
    # "thurs or fri next week, and thurs i finish at 3 so after 4 that day": a day said again is the
    # one the patient talks of, never the "and" of a list before it
    repeated = len(wanted) > 2 and any(m.day == chosen.day for m in wanted[:-1])
    for earlier, later in zip(wanted, wanted[1:] if not repeated else (), strict=False):
        if later is chosen and _ALTERNATIVE.fullmatch(_between(text, earlier, later)):
            chosen = earlier
        elif later is chosen and earlier.weekday is not None and _RANGE_GAP.fullmatch(text, earlier.end, later.start):
            chosen = earlier  # "free monday to wednesday": from the first
    # "any weekday morning next week works, but Monday is best": the day said to be best
    chosen = next((m for m in wanted if _best_after(text, m.end)), chosen)
    # "ideally later in the week" with no week named: a week looked at before may own it (state.py)
    part = chosen.weekday if chosen.kind == "week_part" and not week_named else None
    return DayMatch(chosen.day, (chosen.start, chosen.end), _note(chosen), spans, past_spans, week_part=part)


def _within_weeks(wanted: list[_Mention]) -> list[_Mention]:
    """A week asked for with a day inside it ("thanksgiving morning? the only day I'm off this
    week") is that day."""
    weeks = [m for m in wanted if m.week]
    if not weeks or len(wanted) == len(weeks):
        return wanted
    days = [m for m in wanted if not m.week]
    return [m for m in wanted if not m.week or not any(_monday(m.day) == _monday(d.day) for d in days)]


def _note(m: _Mention) -> str | None:
    """A read-back for days that are easy to mistake: weeks and named days."""
    label = day_label(m.day)
    if m.notes:
        return f"{m.notes[0]} on {label}, so I looked at that day."
    if m.name:
        return f"{m.name[0].upper()}{m.name[1:]} is {label}."
    return None
