"""The offline model's reading of issue 11's kinds: contrast clauses, loose open bounds, refusals
across a list inside a named week, and questions about a booking already made (tests/nlu has the
first messages; these pin the rules and the look-alikes they must leave alone)."""

from __future__ import annotations

from datetime import date

import pytest

from agent.offline.dates import find_day
from agent.offline.lexicon import normalize
from agent.offline.nlu import parse

SATURDAY = date(2026, 12, 5)


@pytest.mark.parametrize(
    ("text", "window"),
    [
        # the part of the day the patient can't do never wins over the one asked for
        ("I work mornings so afternoon ideally", "afternoon"),
        ("I'm busy thursday morning, could do the afternoon though", "afternoon"),
        ("the afternoon is impossible with work, so could I come in the evening", "evening"),
        ("mornings are a nightmare with work so could i come in the afternoon", "afternoon"),
        ("I look after my grandkids in the mornings so thursday afternoon", "afternoon"),
        ("not keen on mornings, afternoon thursday?", "afternoon"),
        ("I cant really do mornings, afternoon tuesday would be ideal", "afternoon"),
        ("I teach in the mornings so anything after lunch", "after 13:00"),
        ("I work mornings, tuesday please", "after 12:00"),  # refused, none asked: the rest of the day
        ("busy all morning tuesday", "after 12:00"),
        ("i start work at 1 so morning please", "morning"),
        ("I do school pickup at 3 so before that", "before 15:00"),
        ("I work 9 to 3, so anything after that", "after 15:00"),  # a working range: free after it
        ("i work 9-5 but could come before that", "before 09:00"),
        ("I'm working 9-5 so evening appointment please", "evening"),  # the part asked for keeps its words
        ("an afternoon on Friday? The mornings are when I do the school run.", "afternoon"),
        ("mornings are no use to me, thursday?", "after 12:00"),
        ("tuesday, I start work at 2", "before 14:00"),
        # ... and what only looks like one
        ("i need a work physical on tuesday morning", "morning"),
        ("school physical for my son, wednesday afternoon", "afternoon"),
        ("tuesday works best in the morning", "morning"),
        ("the mornings are when I'm free", "morning"),
        ("does tuesday morning work?", "morning"),
        ("I work from home so mornings are fine", "morning"),
        ("after work on tuesday", "evening"),
        # parts of the day offered together: their union when they touch
        ("thursday morning or early afternoon", "before 15:00"),
        ("my shift starts at 3 so thursday morning or early afternoon", "before 15:00"),
        ("tuesday afternoon or evening", "after 12:00"),
        ("friday morning or evening", "morning"),  # they don't touch: the first
        # open lower bounds said loosely
        ("from about 1 onwards", "after 13:00"),
        ("Friday 2pm onwards please", "after 14:00"),
        ("thursday, 1 onwards is fine", "after 13:00"),
        ("tuesday 3 and after", "after 15:00"),
        ("anytime past 2 is fine", "after 14:00"),
        ("earliest i can do is 3", "after 15:00"),
        ("the latest i can make it is 11", "before 11:00"),
        ("free from half 3", "after 15:30"),
    ],
)
def test_windows(text: str, window: str) -> None:
    assert parse(text, SATURDAY).window == window


def test_a_bound_is_not_a_clock_time_and_half_past_still_is() -> None:
    assert parse("Friday 2pm onwards", SATURDAY).times == ()
    assert parse("half past 2 on friday", SATURDAY).times[0] == "14:30"
    assert parse("earliest i can do is 3 on friday", SATURDAY).earliest is False  # a bound, not "asap"
    assert parse("the earliest you have on monday", SATURDAY).earliest is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("next wk, not mon or tues", "2026-12-09"),
        ("not mon/tue next week", "2026-12-09"),
        ("next week but I can't do Monday, Tuesday or Wednesday", "2026-12-10"),
        ("the week after next, monday and tuesday are no good", "2026-12-16"),
        ("monday, tuesday and wednesday are no good next week", "2026-12-10"),
        ("sometime next week please but monday's out and so is tuesday", "2026-12-09"),
        ("next week, not Monday, Tuesday?", "2026-12-08"),  # a bare comma starts the answer
        ("next week, anything except mon, tue", "2026-12-09"),  # ... but not after "except"
        ("any day next week except the monday", "2026-12-08"),
        ("next week but no monday", "2026-12-08"),
        ("a consult next week? I'm away monday to wednesday", "2026-12-10"),  # a range refused
        ("next week but can't do mon-wed", "2026-12-10"),
        ("follow up from monday to wednesday", "2026-12-07"),  # a range asked for: its first day
        ("tuesday works, monday is no good", "2026-12-08"),
    ],
)
def test_a_refusal_covers_a_list(text: str, expected: str) -> None:
    found = find_day(normalize(text), SATURDAY)
    assert found is not None and found.day.isoformat() == expected


@pytest.mark.parametrize(
    "text",
    [
        "did my appointment go through",
        "did my booking work? i did it online last night",
        "what's my confirmation code? i booked for friday",
        "what's the code for my booking",
        "is my physical still on for monday?",
        "is my checkup booked for monday or tuesday? i forgot",
        "can you check what time my appointment is on thursday",
        "when is my next appointment?",
        "what time am i booked in for on tuesday?",
        "hi did the appointment i made for my daughter go through",
        "have i got anything booked next week",
        "need to move the one i have on wed to friday",
        "i need to change the time of my follow up on thursday",
        "need to rearrange my appointment on wed",
        "can i bring my appointment forward to monday",
        "i wont make my appointment tomorrow",
        "can I double check the time of my appointment on the 9th?",
        "hi, I've an appointment on the 10th, is that still ok?",
        "did I book for tuesday or wednesday? can't remember",
        "hey, was my booking for tuesday successful?",
        "what's the status of my booking",
        "i got an email about an appointment but I don't remember booking, can you check",
    ],
)
def test_a_question_about_a_booking_made_is_about_that_booking(text: str) -> None:
    assert parse(text, SATURDAY).manage is not None


@pytest.mark.parametrize(
    "text",
    [
        "when is the next available appointment",
        "i'd like to get my checkup booked for monday",
        "can i book my annual physical for tuesday",
        "when is my physical due? can i book it for next week",
        "i need my follow up booked for thursday",
        "can you check if monday is free",
        "is the 10th available for my checkup?",
        "I want to move forward with booking a consult on monday",
    ],
)
def test_a_new_booking_is_not_an_old_one(text: str) -> None:
    u = parse(text, SATURDAY)
    assert u.manage is None and not u.cancel


@pytest.mark.parametrize(
    ("first", "then", "expected"),
    [
        ("consultation next week", "not monday or tuesday though", "2026-12-09"),  # that week, not from today
        ("physical the week after next", "can't do monday or wednesday", "2026-12-15"),
        ("follow-up on wednesday", "mondays are no good", "2026-12-09"),  # the day looked at stands
        ("asap please", "anything but saturday", "2026-12-06"),
    ],
)
def test_a_refusal_refines_the_week_being_looked_at(first: str, then: str, expected: str) -> None:
    from langchain_core.messages import HumanMessage

    from agent.offline.state import derive_state

    state = derive_state([HumanMessage(first), HumanMessage(then)], SATURDAY)
    assert state.day is not None and state.day.isoformat() == expected
