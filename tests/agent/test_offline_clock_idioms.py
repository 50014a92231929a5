"""Spoken clock times become digits before the time parser reads them, and ranges stay ranges."""

from __future__ import annotations

from datetime import date

import pytest

from agent.offline.lexicon import clock_idioms
from agent.offline.nlu import parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("twenty past ten", "10:20"),
        ("20 past 10", "10:20"),
        ("five past nine", "9:05"),
        ("twenty five past 2", "2:25"),
        ("ten to three", "2:50"),
        ("twenty to five", "4:40"),
        ("half two", "2:30"),
        ("half 10", "10:30"),
        ("ten-ish", "around 10"),
        ("3ish", "around 3"),
    ],
)
def test_spoken_times_become_clock_times(text: str, expected: str) -> None:
    assert clock_idioms(text) == expected


@pytest.mark.parametrize(
    "text",
    ["from 2 to 4", "10 to 4", "5 to 10 minutes late", "2 to 3 days", "12/15 after 1", "half an hour", "half day"],
)
def test_ranges_durations_and_dates_are_left_alone(text: str) -> None:
    assert clock_idioms(text) == text


def test_a_spoken_time_reaches_the_request() -> None:
    u = parse("tuesday at half two please, a consult", date(2026, 11, 23))
    assert u.times and u.times[0] == "14:30"  # 1-6 without am/pm is the afternoon
    bounded = parse("friday but nothing before half ten", date(2026, 11, 23))
    assert bounded.window == "after 10:30"


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("thursday, nothing before 11", "after 11:00"),
        ("cant do before 2 on monday", "after 14:00"),
        ("friday but nothing after 3", "before 15:00"),
        ("before 10 tuesday", "before 10:00"),
    ],
)
def test_a_negated_bound_turns_around(text: str, window: str) -> None:
    assert parse(text, date(2026, 11, 23)).window == window


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("at ten to four", "at 3:50"),  # read before text2num makes it the range "10 to 4"
        ("ten to nine tomorrow", "8:50 tomorrow"),
        ("five to twelve", "11:55"),
        ("from ten to four", "from 10 to 4"),  # a range in words stays one
        ("i work ten to four", "i work 10 to 4"),
        ("tomorrow ar 4", "tomorrow at 4"),  # "ar" typed for "at" before a clock
        ("ar you open", "ar you open"),
    ],
)
def test_word_minutes_to_an_hour_and_ar_for_at(text: str, expected: str) -> None:
    from agent.offline.lexicon import normalize

    assert normalize(text) == expected
