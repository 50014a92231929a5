"""Clock times and parts of the day in a patient's words.

A time without am/pm is ambiguous, so a parsed time carries every reading, the likelier first:
hours 1-6 read as afternoon ("at 3" = 15:00, then 03:00), 7-11 as morning ("at 9" = 09:00,
then 21:00), 12 as noon. Matching against offered slots tries every reading ("the 2:30 one"
picks 14:30 when that was offered); a new request uses the first.

Windows use the tool's `time_of_day` forms: "morning", "afternoon", "evening",
"after HH:MM", "before HH:MM" and "HH:MM-HH:MM" ("between 2 and 4" = "14:00-16:00").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.formats import NUMBER_WORDS, hhmm

_WORD_HOURS = {**NUMBER_WORDS, "noon": 12, "midday": 12}
_HOUR = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon|midday)"
_MERIDIEM = r"(a\.?\s?m\.?|p\.?\s?m\.?)"
# one time expression: "10:30", "2pm", "2:30 p.m.", "9 o'clock", "noon", "half past ten", "quarter to 3"
_CLOCK = (
    rf"(?:(?:half|quarter)\s+(?:past|to)\s+{_HOUR}"
    rf"|\d{{1,2}}[:.]\d{{2}}\s*{_MERIDIEM}?"
    rf"|\d{{1,2}}\s*{_MERIDIEM}"
    rf"|{_HOUR}\s*o'?\s?clock"
    rf"|noon|midday)"
)


def say(hh_mm: str) -> str:
    """'09:00' -> '9:00', '14:30' -> '14:30': the one 24-hour style replies use."""
    return hh_mm[1:] if hh_mm.startswith("0") else hh_mm


@dataclass(frozen=True)
class TimeMatch:
    """What an utterance says about time: a window, a clock time (all readings), or 'any time'."""

    window: str | None = None
    readings: tuple[str, ...] = ()
    any_time: bool = False
    spans: list[tuple[int, int]] = field(default_factory=list)


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
    """Readings of one clock expression ("2:30pm", "half past ten", "at 9"); () if none."""
    e = expr.strip().lower()
    e = re.sub(r"^(?:(?:at|around|about|by)\s+|@\s*)", "", e)
    if e in ("noon", "midday"):
        return ("12:00",)
    if m := re.fullmatch(rf"(half|quarter)\s+(past|to)\s+{_HOUR}", e):
        hour = _hour_value(m[3])
        offset = 30 if m[1] == "half" else 15
        if m[2] == "to":
            hour, offset = (hour - 1) % 12 or 12, 60 - offset
        return _readings(hour, offset, None)
    if m := re.fullmatch(rf"(\d{{1,2}})[:.](\d{{2}})\s*{_MERIDIEM}?", e):
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


def find_times(text: str) -> TimeMatch:
    """Parts of day, bounds and clock times in lower-cased `text` (dates and phones already removed)."""
    spans: list[tuple[int, int]] = []
    window: str | None = None
    any_time = False
    bound_expr = rf"(?:{_CLOCK}|{_HOUR})"

    if m := re.search(rf"\b(?:between|from)\s+(?P<a>{bound_expr})\s+(?:and|to|-)\s+(?P<b>{bound_expr})", text):
        start, end = _bound(m["a"]), _bound(m["b"])
        if start and end:
            if end <= start and int(end[:2]) < 12:
                end = hhmm((int(end[:2]) + 12) * 60 + int(end[3:]))
            if start < end:
                window = f"{start}-{end}"
                spans.append(m.span())
    if window is None and (m := re.search(rf"\b(?:after|later than|from)\s+(?P<b>{bound_expr}|lunch)\b", text)):
        bound = "13:00" if m["b"] == "lunch" else _bound(m["b"])
        if bound:
            window = f"after {bound}"
            spans.append(m.span())
    if window is None and (
        m := re.search(rf"\b(?:before|earlier than|by|until|no later than)\s+(?P<b>{bound_expr}|lunch)\b", text)
    ):
        bound = "12:00" if m["b"] == "lunch" else _bound(m["b"])
        if bound:
            window = f"before {bound}"
            spans.append(m.span())
    if window is None:
        parts = [
            (r"\blate\s+afternoon\b", "after 15:00"),
            (r"\bearly\s+morning\b", "before 10:00"),
            (r"\b(?:lunch\s*time|lunchtime|around\s+lunch)\b", "12:00-14:00"),
            (r"\bmornings?\b", "morning"),
            (r"\bafternoons?\b", "afternoon"),
            (r"\b(?:evenings?|tonight|after\s+work)\b", "evening"),
        ]
        for pattern, value in parts:
            if m := re.search(pattern, text):
                window = value
                spans.append(m.span())
                break
    if re.search(
        r"\b(?:any\s*time|whenever|any\s+time\s+of\s+(?:the\s+)?day|doesn'?t\s+matter|no\s+preference)\b", text
    ):
        any_time = True

    readings: tuple[str, ...] = ()
    masked = _mask(text, spans)
    for m in re.finditer(
        rf"(?:(?:\b(?:at|around|about)\s+|@\s*)(?:{_CLOCK}|{_HOUR}(?![\d:/.]|\s*(?:st|nd|rd|th)\b))|\b{_CLOCK})", masked
    ):
        found = parse_clock(m[0])
        if found:
            readings = found
            spans.append(m.span())
            break
    return TimeMatch(window=window, readings=readings, any_time=any_time, spans=spans)


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """Blank out already-consumed spans, keeping offsets."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)
