"""The offline model answers front-desk questions through `clinic_info`, and keeps booking."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agent.offline import OfflineChatModel
from core.clock import Clock
from core.settings import PROJECT_ROOT
from tools.clinic_info import ClinicInfo, build_clinic_tool

CLINIC_TOOL = build_clinic_tool(ClinicInfo(Path(PROJECT_ROOT / "data" / "clinic.md")))
CHECK = {"type": "function", "function": {"name": "check_availability", "parameters": {}}}
BOOK = {"type": "function", "function": {"name": "book_slot", "parameters": {}}}


def run(message: str) -> tuple[list[str], str]:
    """One patient message through the model, the real clinic tool and a small availability stand-in."""
    model = OfflineChatModel(clock=Clock("America/New_York", datetime(2026, 11, 23, 9)), clinic_name="C")
    bound = model.bind_tools([CLINIC_TOOL, CHECK, BOOK])
    history: list[BaseMessage] = [HumanMessage(message)]
    calls: list[str] = []
    for _ in range(5):
        answer = bound.invoke(history)
        assert isinstance(answer, AIMessage)
        history.append(answer)
        if not answer.tool_calls:
            return calls, str(answer.content)
        (call,) = answer.tool_calls
        calls.append(call["name"])
        if call["name"] == "clinic_info":
            body = CLINIC_TOOL.invoke(call["args"])
        else:
            a = call["args"]
            body = json.dumps(
                {"ok": True, "date": a["date"], "appointment_type": a["appointment_type"], "slots": ["09:00", "10:00"]}
            )
        history.append(ToolMessage(body, tool_call_id=call["id"], name=call["name"]))
    raise AssertionError("the turn never ended")


@pytest.mark.parametrize(
    ("message", "source"),
    [
        ("do you have parking?", "Parking and accessibility"),
        ("where do i park when i come in", "Parking and accessibility"),
        ("is the building wheelchair accessible", "Parking and accessibility"),
        ("whats ur cancellation policy", "Cancellation and late arrival policy"),
        ("is there a fee if i cancel late?", "Cancellation and late arrival policy"),
        ("do u take medicaid", "Insurance accepted"),
        ("what insurance do you accept", "Insurance accepted"),
        ("where r u located", "Address and directions"),
        ("what should i bring to my first visit", "What to bring"),
        ("do i need to fast before my physical", "Preparation for your appointment"),
        ("what are your opening hours", "Opening hours and holidays"),
        ("whats the clinic phone number", "Contact"),
        # a question saying "bring" is what to bring, whatever else it names (nlu-card25)
        ("what should i bring to a physical?", "What to bring"),
        ("what do i need to bring for my checkup", "What to bring"),
        ("do i need to bring anything for the blood work", "What to bring"),
        ("how should i prepare for a physical", "Preparation for your appointment"),
        # which building: where the clinic is, not the parking garage "under the building"
        ("is it the building with the pharmacy?", "Address and directions"),
        ("which building are you in", "Address and directions"),
        ("how long does it take to get there by subway", "Address and directions"),
    ],
)
def test_a_front_desk_question_is_answered_from_its_section(message: str, source: str) -> None:
    calls, reply = run(message)
    assert calls == ["clinic_info"]
    assert reply.endswith(f"(Source: {source})")


def test_a_question_mixed_with_a_booking_request_gets_both() -> None:
    calls, reply = run("do you take aetna? also i need a follow up friday afternoon")
    assert calls == ["check_availability", "clinic_info"]
    assert "Aetna" in reply and "(Source: Insurance accepted)" in reply and "9:00 AM" in reply


@pytest.mark.parametrize(
    "message",
    [
        "do you do laser tattoo removal?",
        "how long will it take?",  # no visit lengths in the file: never "the medications you take"
    ],
)
def test_a_question_the_file_does_not_cover_points_to_the_phone_without_guessing(message: str) -> None:
    calls, reply = run(message)
    assert calls == ["clinic_info"]
    assert "don't have that in our clinic's information" in reply and "(555) 014-2200" in reply


@pytest.mark.parametrize(
    "message",
    [
        "need a checkup tuesday morning",
        "can i see a doctor tomorrow?",
        "Hi, I'm June Park, june.park@example.com, 555 010 0149, a follow-up please",
        "cancel my appointment",
        "what's the weather like",
    ],
)
def test_booking_and_other_messages_do_not_ask_the_clinic_file(message: str) -> None:
    calls, _ = run(message)
    assert "clinic_info" not in calls


def test_without_the_clinic_tool_bound_it_is_never_called() -> None:
    model = OfflineChatModel(clock=Clock("America/New_York", datetime(2026, 11, 23, 9)), clinic_name="C")
    answer = model.bind_tools([CHECK, BOOK]).invoke([HumanMessage("do you have parking?")])
    assert isinstance(answer, AIMessage) and not answer.tool_calls
