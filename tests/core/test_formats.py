"""The formats every layer shares mean the same everywhere."""

from __future__ import annotations

import re
from datetime import date

import pytest

from core.formats import (
    EMAIL,
    TIME_OF_DAY_PATTERN,
    clock_label,
    day_label,
    hhmm,
    in_window,
    is_email,
    is_hhmm,
    locale_time_format,
    minutes,
    time_window,
)


def test_clock_times_and_minutes_round_trip() -> None:
    assert minutes("00:00") == 0 and minutes("14:30") == 870 and minutes("23:59") == 1439
    assert all(hhmm(minutes(t)) == t for t in ("00:00", "08:05", "14:30", "23:59"))
    assert is_hhmm("09:00") and is_hhmm("23:59")
    assert not any(is_hhmm(t) for t in ("9:00", "24:00", "12:60", "12:00 ", "noon"))


def test_day_labels_read_the_weekday_back() -> None:
    assert day_label(date(2026, 12, 1)) == "Tuesday, December 1"
    assert day_label("2026-11-25") == "Wednesday, November 25"
    assert day_label(date(2027, 1, 4), year=True) == "Monday, January 4, 2027"


def test_windows_are_half_open_and_follow_the_tools_forms() -> None:
    assert time_window(None) == ("00:00", "24:00")
    assert time_window("afternoon") == ("12:00", "17:00")
    assert time_window("after 15:00") == ("15:00", "24:00") and time_window("before 11:00") == ("00:00", "11:00")
    assert in_window("11:30", "morning") and not in_window("12:00", "morning")
    assert in_window("15:00", "after 15:00") and not in_window("11:00", "before 11:00")
    assert in_window("14:00", "14:00-16:00") and not in_window("16:00", "14:00-16:00")


@pytest.mark.parametrize("value", ["morning", "evening", "after 09:30", "before 17:00", "08:00-12:30"])
def test_every_window_form_passes_the_tools_pattern(value: str) -> None:
    assert re.match(TIME_OF_DAY_PATTERN, value)


@pytest.mark.parametrize("value", ["noon", "after 9", "before 25:00", "8-12", "morning "])
def test_other_windows_do_not(value: str) -> None:
    assert not re.match(TIME_OF_DAY_PATTERN, value)


def test_the_email_rule() -> None:
    assert is_email("jane.roe+clinic@example.co.uk") and EMAIL.match("a@b.io")
    assert not any(is_email(v) for v in ("jane@", "jane@example", "@example.com", "jane roe@example.com"))
    assert not is_email("a" * 250 + "@example.com")


@pytest.mark.parametrize(
    ("hh_mm", "twelve", "twenty_four"),
    [
        ("00:30", "12:30 AM", "00:30"),
        ("09:45", "9:45 AM", "09:45"),
        ("12:00", "12:00 PM", "12:00"),
        ("14:00", "2:00 PM", "14:00"),
        ("23:59", "11:59 PM", "23:59"),
    ],
)
def test_times_are_shown_in_the_clinics_clock(hh_mm: str, twelve: str, twenty_four: str) -> None:
    assert clock_label(hh_mm, "12h") == twelve and clock_label(hh_mm, "24h") == twenty_four


def test_the_locale_chooses_the_clock_and_the_setting_overrides_it() -> None:
    from core.settings import ExplicitSettings

    assert locale_time_format("en_US") == "12h" and locale_time_format("en-US") == "12h"
    assert locale_time_format("en_GB") == "24h" and locale_time_format("de_DE.UTF-8") == "24h"
    assert ExplicitSettings().display_time_format == "12h"  # the shipped clinic is en_US
    assert ExplicitSettings(clinic_locale="fr_FR").display_time_format == "24h"
    assert ExplicitSettings(clinic_locale="fr_FR", time_format="12h").display_time_format == "12h"
