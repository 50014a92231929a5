"""The offline model on the conversation failures of issue 11 (names, bare hours, same-day moves)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from agent.offline.nlu import parse
from tests.agent.test_offline_model import ask, call, result

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "details_expected"),
    [
        ("name's Tom Becker", False),
        ("names Tom Becker", False),
        ("Names Tom Becker", True),
        ("the name's Tom Becker", False),
        ("name’s Tom Becker", False),
        ("physical wednesday at 9, name's Tom Becker, tom.becker@example.com, 555 010 0173", False),
        ("no wait its for him, names tom becker", True),
    ],
)
def test_names_with_an_apostrophe_s_keep_the_whole_name(text: str, details_expected: bool) -> None:
    assert parse(text, MONDAY, details_expected=details_expected).name == "Tom Becker"


def test_names_of_things_is_no_name() -> None:
    assert parse("what are the names of your doctors?", MONDAY).name is None


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("can i do 4 instead", "16:00"),  # a bare 1-6 is pm
        ("4 instead", "16:00"),
        ("no sorry, 3 instead", "15:00"),
        ("what about 10", "10:00"),  # 7-11 am
        ("make it 10 instead", "10:00"),
        ("can you push it to 4?", "16:00"),
        ("move it back to 2 please", "14:00"),
        ("is 10 free?", "10:00"),
        ("does 11 work", "11:00"),
        ("10 works better", "10:00"),
    ],
)
def test_a_bare_hour_said_as_a_change_is_a_clock_time(text: str, first: str) -> None:
    assert parse(text, MONDAY).times[:1] == (first,)


@pytest.mark.parametrize("text", ["in 2 weeks", "for 3 people", "2 please", "the 3rd", "do 2 days work"])
def test_counts_dates_and_picks_are_no_clock_time(text: str) -> None:
    assert parse(text, MONDAY).times == ()


def test_same_day_is_read() -> None:
    assert parse("same day at 4pm please", MONDAY).same_day
    assert parse("4 PM that day", MONDAY).same_day
    assert not parse("any day at 4pm", MONDAY).same_day


# --- whole histories through the model -------------------------------------------------------

BOOKED = {
    "ok": True,
    "booking_id": "APPT-1",
    "confirmation_code": "K7Q2XD9M",
    "date": "2026-11-25",
    "start_time": "09:30",
    "end_time": "09:45",
    "appointment_type": "followup",
    "status": "confirmed",
}
BOOK_ARGS = {
    "date": "2026-11-25",
    "start_time": "09:30",
    "appointment_type": "followup",
    "patient_name": "Joy Hart",
    "patient_email": "joy@example.com",
    "patient_phone": "555 010 0166",
}


def _booked_then(*later: Any) -> AIMessage:
    return ask(
        "follow-up wednesday 9:30am, Joy Hart, joy@example.com, 555 010 0166",
        call("book_slot", BOOK_ARGS, "b1"),
        result("b1", BOOKED, name="book_slot"),
        *later,
    )


@pytest.mark.parametrize("text", ["can you push it to 4?", "make it 4 instead", "same day at 4pm please"])
def test_a_move_with_only_a_time_checks_the_bookings_own_day_and_type(text: str) -> None:
    reply = _booked_then(text)
    assert [c["name"] for c in reply.tool_calls] == ["check_availability"]
    assert reply.tool_calls[0]["args"] == {"date": "2026-11-25", "appointment_type": "followup"}


def test_a_move_without_a_day_does_not_ask_the_same_question_again() -> None:
    asked = _booked_then("i need to move it")
    assert "Which day would you like instead?" in asked.text
    again = _booked_then("i need to move it", AIMessage(asked.text), "hmm let me check")
    assert "Which day" not in again.text and "Wednesday, November 25" in again.text
    bye = _booked_then("i need to move it", AIMessage(asked.text), "thanks bye")
    assert "Which day" not in bye.text and not bye.tool_calls


def test_a_booking_moved_here_is_named_as_it_is_now() -> None:
    moved = {**BOOKED, "start_time": "16:00", "end_time": "16:15"}
    move_args = {"booking_id": "APPT-1", "confirmation_code": "K7Q2XD9M", "date": "2026-11-25", "start_time": "16:00"}
    free = {"ok": True, "date": "2026-11-25", "appointment_type": "followup", "slots": ["15:45", "16:00"]}
    reply = _booked_then(
        "make it 4 instead",
        call("check_availability", {"date": "2026-11-25", "appointment_type": "followup"}, "c1"),
        result("c1", free),
        call("reschedule_booking", move_args, "m1"),
        result("m1", moved, name="reschedule_booking"),
        AIMessage("Done."),
        "thanks!",
    )
    assert "4:00 PM" in reply.text and "9:30 AM" not in reply.text


def test_clinic_hours_are_shown_as_the_clinic_shows_times() -> None:
    from agent.offline import clinic
    from core.formats import clock_label

    found = {"found": True, "sections": [{"title": "Hours", "text": "- Monday: 08:30-17:00. Lunch 12:00 to 13:00."}]}
    assert clinic.answer(found, lambda t: clock_label(t, "12h")).startswith(
        "- Monday: 8:30 AM–5:00 PM. Lunch 12:00 PM to 1:00 PM."
    )
    assert "08:30–17:00" in clinic.answer(found, lambda t: clock_label(t, "24h"))


def _guidance() -> AIMessage:
    from agent.safety import SAFETY_MARK

    return AIMessage("Please call 911 now.", additional_kwargs={SAFETY_MARK: {"category": "chest_pain"}})


@pytest.mark.parametrize("text", ["ok calling them now", "ok", "thanks", "yes"])
def test_after_the_emergency_guidance_an_ok_is_acknowledged_without_a_booking(text: str) -> None:
    reply = ask("my dad has crushing chest pain, can we come in today at 10?", _guidance(), text)
    assert not reply.tool_calls
    assert "911" in reply.text and "time" not in reply.text.lower()


def test_a_new_request_after_the_guidance_is_read_normally() -> None:
    reply = ask("crushing chest pain", _guidance(), "im fine now, a follow-up friday morning please")
    wanted = {"date": "2026-11-27", "appointment_type": "followup", "time_of_day": "morning"}
    assert reply.tool_calls[0]["args"] == wanted
