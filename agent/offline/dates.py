"""Days in a patient's words, resolved against the clinic clock's today.

The offline model must turn "next Tuesday" into one ISO date the same way every time, so the
conventions are fixed here (examples with today = Monday 2026-11-23):

* "today", "tonight", "this morning/afternoon/evening" -> today; "tomorrow" -> 11-24;
  "the day after tomorrow" -> 11-25.
* A bare weekday, "on/this/coming <weekday>" -> the next such day after today:
  "Tuesday" = "this Tuesday" = 11-24, "Monday" = 11-30. Only "this Monday" said on a Monday
  means today.
* "next <weekday>" -> that weekday in next calendar week (weeks run Monday to Sunday):
  "next Tuesday" = 12-01, "next Monday" = 11-30. Said on a Sunday the coming week *is* next
  week, so "this Tuesday" and "next Tuesday" agree.
* "next week" -> the Monday of next week (11-30), "in two weeks" -> today + 14 days (12-07),
  "in 3 days" -> 11-26, "(this/the) weekend" -> the coming Saturday, "next weekend" -> the
  Saturday of next week. The reply reads the chosen day back, so a different reading shows.
* Month and day ("Nov 25", "November 25th", "25 November", "the 3rd of December"), US
  numeric "12/3" (= December 3) and ISO "2026-12-03": without a year, this year's date, unless
  that lies more than 60 days back ("January 5" said in November = next January). A date a
  little in the past ("Nov 2") stays in the past, so the patient is told it has gone.
* "the 3rd", "on the 25th" -> the next date with that day of the month, today included.
* "yesterday", "last Friday" -> past dates (reported as past, never checked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import dateparser

from core.formats import NUMBER_WORDS

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_RE = r"(mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:r|rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
_MONTH_RE = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ORD = r"(\d{1,2})(?:st|nd|rd|th)?"
_NUMBER_WORDS = {**NUMBER_WORDS, "a": 1, "an": 1, "couple of": 2, "few": 3}
_ROLL_OVER_DAYS = 60  # a yearless date further back than this means next year's


@dataclass(frozen=True)
class DayMatch:
    """A resolved day, where it was found, and a note worth reading back to the patient."""

    day: date
    span: tuple[int, int]
    note: str | None = None


def _weekday_index(word: str) -> int:
    return next(i for i, name in enumerate(WEEKDAYS) if name.startswith(word[:3]))


def _yearless(month_day: tuple[int, int], today: date) -> date | None:
    month, day = month_day
    try:
        candidate = date(today.year, month, day)
    except ValueError:
        return None
    if (today - candidate).days > _ROLL_OVER_DAYS:
        try:
            return date(today.year + 1, month, day)
        except ValueError:
            return None
    return candidate


def _next_day_of_month(dom: int, today: date) -> date | None:
    year, month = today.year, today.month
    for _ in range(13):
        try:
            candidate = date(year, month, dom)
        except ValueError:
            candidate = None
        if candidate and candidate >= today:
            return candidate
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return None


def _parse_month_day(snippet: str, today: date) -> date | None:
    """Month-name dates through dateparser; the year rule is ours (see module docstring)."""
    has_year = re.search(r"\b\d{4}\b", snippet) is not None
    parsed = dateparser.parse(
        snippet,
        languages=["en"],
        settings={"RELATIVE_BASE": datetime(today.year, today.month, today.day), "REQUIRE_PARTS": ["day", "month"]},
    )
    if parsed is None:
        return None
    if has_year:
        return parsed.date()
    return _yearless((parsed.month, parsed.day), today)


def find_day(text: str, today: date) -> DayMatch | None:
    """The first day named in `text` (lower-cased), or None."""
    t = text
    rules: list[tuple[str, object]] = [
        (r"\b(\d{4})-(\d{2})-(\d{2})\b", "iso"),
        (rf"\b{_MONTH_RE}\.?\s+{_ORD}(?:,?\s+(\d{{4}}))?\b", "month_day"),
        (rf"\b(?:the\s+)?{_ORD}\s+(?:of\s+)?{_MONTH_RE}\b(?:,?\s+(\d{{4}}))?", "day_month"),
        (r"(?<![\d/])(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?(?![\d/])", "numeric"),
        (r"\b(?:the\s+)?day\s+after\s+tomorrow\b", "after_tomorrow"),
        # only "this" is consumed, so "afternoon" / "tonight" still give the part of day
        (r"\btoday\b|\bthis(?=\s+(?:morning|afternoon|evening)\b)|\b(?=tonight\b)", "today"),
        (r"\b(?:tomorrow|tmrw|tmr)\b", "tomorrow"),
        (r"\byesterday\b", "yesterday"),
        (rf"\bnext\s+week(?:'?s)?\s+{_WEEKDAY_RE}\b", "next_weekday"),
        (rf"\b{_WEEKDAY_RE}\s+(?:of\s+)?next\s+week\b", "weekday_next_week"),
        (rf"\bnext\s+{_WEEKDAY_RE}\b", "next_weekday"),
        (rf"\blast\s+{_WEEKDAY_RE}\b", "last_weekday"),
        (rf"\b(?:this|coming|this\s+coming)\s+{_WEEKDAY_RE}\b", "this_weekday"),
        (r"\bnext\s+weekend\b", "next_weekend"),
        (r"\b(?:this|the)\s+weekend\b", "weekend"),
        (r"\b(?:the\s+)?week\s+after\s+next\b", "week_after_next"),
        (r"\bnext\s+week\b", "next_week"),
        (
            r"\bin\s+(\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a\s+couple\s+of|a\s+few)\s+(days?|weeks?)\b",
            "in_n",
        ),
        (r"\bin\s+a\s+fortnight\b", "fortnight"),
        (rf"\b{_WEEKDAY_RE}\b", "weekday"),
        (r"\b(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)\b", "dom"),
    ]
    best: DayMatch | None = None
    for pattern, kind in rules:
        for m in re.finditer(pattern, t):
            found = _resolve(kind, m, today)
            if found is None:
                continue
            day, note = found
            match = DayMatch(day, m.span(), note)
            if best is None or match.span[0] < best.span[0]:
                best = match
            break
    return best


def _resolve(kind: object, m: re.Match[str], today: date) -> tuple[date, str | None] | None:
    """One matched phrase to a date (and an optional note), or None if it is not a real day."""
    monday = today - timedelta(days=today.weekday())
    if kind == "iso":
        try:
            return date(int(m[1]), int(m[2]), int(m[3])), None
        except ValueError:
            return None
    if kind in ("month_day", "day_month"):
        day = _parse_month_day(m[0].removeprefix("the "), today)
        return (day, None) if day else None
    if kind == "numeric":
        month, dom = int(m[1]), int(m[2])
        if m[3]:
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            try:
                return date(year, month, dom), None
            except ValueError:
                return None
        day = _yearless((month, dom), today) if 1 <= month <= 12 else None
        return (day, None) if day else None
    if kind == "today":
        return today, None
    if kind == "tomorrow":
        return today + timedelta(days=1), None
    if kind == "after_tomorrow":
        return today + timedelta(days=2), None
    if kind == "yesterday":
        return today - timedelta(days=1), None
    if kind in ("next_weekday", "weekday_next_week"):
        return monday + timedelta(days=7 + _weekday_index(m[1])), None
    if kind == "last_weekday":
        back = (today.weekday() - _weekday_index(m[1])) % 7 or 7
        return today - timedelta(days=back), None
    if kind == "this_weekday":
        ahead = (_weekday_index(m[1]) - today.weekday()) % 7
        return today + timedelta(days=ahead), None
    if kind == "weekday":
        ahead = (_weekday_index(m[1]) - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead), None
    if kind == "weekend":
        return today + timedelta(days=(5 - today.weekday()) % 7), None
    if kind == "next_weekend":
        return monday + timedelta(days=12), None
    if kind == "next_week":
        return monday + timedelta(days=7), "next week starts"
    if kind == "week_after_next":
        return monday + timedelta(days=14), "the week after next starts"
    if kind == "fortnight":
        return today + timedelta(days=14), None
    if kind == "in_n":
        amount = " ".join(m[1].split())
        n = (
            int(amount)
            if amount.isdigit()
            else _NUMBER_WORDS.get(amount.removeprefix("a ") if amount != "a" else amount, 1)
        )
        return today + timedelta(days=n * (7 if m[2].startswith("week") else 1)), None
    if kind == "dom":
        day = _next_day_of_month(int(m[1]), today)
        return (day, None) if day else None
    return None
