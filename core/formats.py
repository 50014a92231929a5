"""The small formats every layer shares: clock times (and how patients read them), day labels,
parts of the day, e-mail.

The scheduling service validates with them, the tools shape their results with them and the
offline model reads and writes with them, so "14:30", "Tuesday, December 1", "the afternoon"
and a valid e-mail address mean the same thing everywhere.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import Literal

HHMM_PATTERN = r"([01]\d|2[0-3]):[0-5]\d"
HHMM = re.compile(rf"^{HHMM_PATTERN}$")
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
EMAIL = re.compile(rf"^{EMAIL_PATTERN}$")
EMAIL_MAX = 254

# Numbers patients spell out ("in two weeks", "at three"); the offline model reads both forms.
NUMBER_WORDS: dict[str, int] = {
    word: n
    for n, word in enumerate(
        ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"), start=1
    )
}

# Parts of the day as [earliest, latest) start times; the tools' `time_of_day` names.
PARTS_OF_DAY: dict[str, tuple[str, str]] = {
    "morning": ("00:00", "12:00"),
    "afternoon": ("12:00", "17:00"),
    "evening": ("17:00", "24:00"),
}
TIME_OF_DAY_PATTERN = rf"^(morning|afternoon|evening|(after|before) {HHMM_PATTERN}|{HHMM_PATTERN}-{HHMM_PATTERN})$"


def is_hhmm(text: str) -> bool:
    """A 24-hour 'HH:MM' clock time."""
    return HHMM.match(text) is not None


def minutes(hh_mm: str) -> int:
    """'14:30' -> 870 (minutes after midnight)."""
    return int(hh_mm[:2]) * 60 + int(hh_mm[3:])


def hhmm(total: int) -> str:
    """870 -> '14:30'."""
    return f"{total // 60:02d}:{total % 60:02d}"


TimeFormat = Literal["12h", "24h"]
# Locales whose clocks read 12-hour ("2:00 PM"); every other locale gets 24-hour ("14:00").
TWELVE_HOUR_LOCALES = frozenset({"en_US", "en_CA", "en_AU", "en_NZ", "en_IN", "en_PH", "es_US", "es_MX"})


def locale_time_format(locale: str) -> TimeFormat:
    """The clock a locale reads ('en_US' or 'en-US' -> '12h', 'en_GB' -> '24h')."""
    return "12h" if locale.replace("-", "_").split(".")[0] in TWELVE_HOUR_LOCALES else "24h"


def clock_label(hh_mm: str, time_format: TimeFormat = "12h") -> str:
    """A slot time as patients read it: '14:00' -> '2:00 PM' (12h) or '14:00' (24h); '09:45' ->
    '9:45 AM' or '09:45'. Every patient-facing time goes through here (replies, summaries, widget)."""
    if time_format == "24h":
        return hh_mm
    hour, minute = int(hh_mm[:2]), int(hh_mm[3:5])
    return f"{(hour + 11) % 12 + 1}:{minute:02d} {'AM' if hour < 12 else 'PM'}"


@functools.lru_cache(maxsize=1024)
def day_label(day: date | str, *, year: bool = False) -> str:
    """'Tuesday, December 1' (or '..., 2026'): dates are read back with their weekday, so a
    misheard date shows at once. Cached: every reply names the same few days, and strftime is slow."""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{d:%A, %B} {d.day}" + (f", {d.year}" if year else "")


def time_window(time_of_day: str | None) -> tuple[str, str]:
    """[earliest, latest) start times for a `time_of_day` (a part of the day, 'after HH:MM',
    'before HH:MM' or 'HH:MM-HH:MM'); the whole day when None."""
    if not time_of_day:
        return "00:00", "24:00"
    if time_of_day in PARTS_OF_DAY:
        return PARTS_OF_DAY[time_of_day]
    if time_of_day.startswith("after "):
        return time_of_day[6:], "24:00"
    if time_of_day.startswith("before "):
        return "00:00", time_of_day[7:]
    earliest, _, latest = time_of_day.partition("-")
    return earliest, latest


def in_window(start_time: str, time_of_day: str | None) -> bool:
    """Whether a slot starting at 'HH:MM' lies in `time_of_day`."""
    earliest, latest = time_window(time_of_day)
    return earliest <= start_time < latest


def is_email(text: str) -> bool:
    """The e-mail rule the service enforces (and the offline model checks before booking)."""
    return len(text) <= EMAIL_MAX and EMAIL.match(text) is not None
