"""The offline model's first step on the development set meets the targets.

>= 97% of the first messages fully right (date, type and time window of the first tool call),
and no category below 90%; `python -m tests.nlu -v` prints the table and every wrong case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.nlu.grade import Case, Step, by_category, describe, format_table, grade, grade_all, load_cases, shortfalls


def test_the_development_set_meets_the_targets() -> None:
    grades = grade_all(load_cases())
    table = by_category(grades)
    wrong = [describe(g) for g in grades if not g.full and not g.case.separate]
    assert not shortfalls(table), format_table(table) + "\n\n" + "\n".join(wrong)


def test_the_set_covers_every_kind_of_message() -> None:
    cases = load_cases()
    categories = {c for case in cases for c in case.categories}
    assert len(cases) >= 250 and len({c.message for c in cases}) == len(cases)
    assert {
        "date", "type", "time_window", "weekday_with_date", "offset", "typo", "specialty", "past_context",
        "negation", "holiday", "multi", "spelled_numbers", "no_day", "manage", "asap",
    } <= categories  # fmt: skip


def _case(expect: dict[str, Any], acceptable: tuple[dict[str, Any], ...] = ()) -> Case:
    return Case("x-1", ("date",), "...", datetime(2026, 11, 23, 9), expect, acceptable)


def _step(tool: str | None, args: dict[str, Any], time: str | None = None, manage: str | None = None) -> Step:
    return Step(tool, args, None, None, time, "", manage)


def test_the_grader_scores_each_part_and_accepts_the_listed_alternatives() -> None:
    expect: dict[str, Any] = {
        "tool": "check_availability",
        "args": {"date": "2026-11-24", "appointment_type": "followup", "time_of_day": "morning"},
    }
    right = grade(_case(expect), _step("check_availability", dict(expect["args"])))
    assert right.full
    wrong_day = grade(
        _case(expect),
        _step("check_availability", {**expect["args"], "date": "2026-11-25"}),
    )
    assert wrong_day.parts == {"date": False, "type": True, "window": True, "full": False}
    whole_day: dict[str, Any] = {"date": "2026-11-24", "appointment_type": "followup", "time_of_day": None}
    assert grade(_case(expect, (whole_day,)), _step("check_availability", whole_day)).full
    assert not grade(_case(expect), _step(None, {})).full


def test_a_clock_time_must_be_kept_and_inside_the_checked_window() -> None:
    expect: dict[str, Any] = {
        "tool": "check_availability",
        "args": {"date": "2026-11-24", "appointment_type": "physical", "time_of_day": None},
        "time": "14:00",
    }
    args: dict[str, Any] = {"date": "2026-11-24", "appointment_type": "physical"}
    assert grade(_case(expect), _step("check_availability", args, "14:00")).full
    assert grade(_case(expect), _step("check_availability", {**args, "time_of_day": "afternoon"}, "14:00")).full
    assert not grade(_case(expect), _step("check_availability", {**args, "time_of_day": "morning"}, "14:00")).full
    assert not grade(_case(expect), _step("check_availability", args, "02:00")).full


def test_a_question_about_a_booking_must_be_read_as_one() -> None:
    expect: dict[str, Any] = {"tool": None, "args": {}}
    question = Case("x-2", ("manage",), "did my appointment go through", datetime(2026, 12, 5, 10), expect)
    assert grade(question, _step(None, {}, manage="look")).full
    assert not grade(question, _step(None, {})).full  # quiet, but asking for a day instead
    assert not grade(question, _step("check_availability", {"date": "2026-12-05"})).full
