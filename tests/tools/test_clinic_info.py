"""Retrieval over the shipped data/clinic.md, and its hours agreeing with data/schedule.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT
from tools.clinic_info import ClinicInfo, build_clinic_tool, parse_sections

CLINIC = PROJECT_ROOT / "data" / "clinic.md"
ADDR, HOURS, PARK, INS = (
    "Address and directions",
    "Opening hours and holidays",
    "Parking and accessibility",
    ("Insurance accepted"),
)
BRING, PREP, CANCEL, CONTACT = (
    "What to bring",
    "Preparation for your appointment",
    "Cancellation and late arrival policy",
    "Contact",
)

QUESTIONS = [
    ("where are you located", ADDR),
    ("whats ur address??", ADDR),
    ("how do I get there by subway", ADDR),
    ("which bus goes to the clinic", ADDR),
    ("directions to the clinic pls", ADDR),
    ("what time do you open on saturday", HOURS),
    ("are you open on sunday", HOURS),
    ("r u closed on thanksgiving", HOURS),
    ("opening hours?", HOURS),
    ("do you close for lunch", HOURS),
    ("do you have parkng", PARK),
    ("is there parking", PARK),
    ("where can I park my car", PARK),
    ("is the building wheelchair accesible", PARK),
    ("is there an elevator", PARK),
    ("do you take aetna", INS),
    ("do u accept medicare", INS),
    ("is my blue cross insurance ok", INS),
    ("how much does a consultation cost without insurance", INS),
    ("can I pay with my HSA card", INS),
    ("what should I bring to my first visit", BRING),
    ("do I need my photo ID", BRING),
    ("should I bring a list of my medications", BRING),
    ("do I need to fast before my physical", PREP),
    ("can I eat before the blood work", PREP),
    ("anything to prepare for a specialist visit", PREP),
    ("what's your cancellation policy", CANCEL),
    ("is there a fee if I cancel late", CANCEL),
    ("what happens if I'm 20 minutes late", CANCEL),
    ("how much notice to reschedule", CANCEL),
    ("whats ur phone number", CONTACT),
    ("can I email the front desk", CONTACT),
    ("how do I get a prescription refill", CONTACT),
]

OFF_TOPIC = [
    "do you do covid vaccines",
    "what's the wifi password",
    "who won the game last night",
    "is there a pharmacy downstairs",
    "do you offer acupuncture",
    "what's the weather like",
    "tell me a joke",
    "do you have a dentist",
]


@pytest.fixture(scope="module")
def info() -> ClinicInfo:
    return ClinicInfo(CLINIC)


@pytest.mark.parametrize(("question", "title"), QUESTIONS)
def test_patient_question_retrieves_the_right_section_first(info: ClinicInfo, question: str, title: str) -> None:
    found = info.search(question)
    assert found, question
    assert found[0].title == title


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_question_the_file_does_not_cover_retrieves_nothing(info: ClinicInfo, question: str) -> None:
    assert info.search(question) == []


def test_tool_says_not_in_our_information_with_the_phone(info: ClinicInfo) -> None:
    result = json.loads(build_clinic_tool(info).invoke({"question": "do you offer acupuncture"}))
    assert result["found"] is False
    assert "(555) 014-2200" in result["hint"]
    hit = json.loads(build_clinic_tool(info).invoke({"question": "is there parking"}))
    assert hit["sections"][0]["title"] == PARK


def test_index_is_rebuilt_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "clinic.md"
    shipped = CLINIC.read_text(encoding="utf-8")
    path.write_text(shipped, encoding="utf-8")
    info = ClinicInfo(path)
    assert info.search("do you offer acupuncture") == []
    path.write_text(shipped + "\n## Acupuncture\nWe offer acupuncture on Mondays.\n", encoding="utf-8")
    assert info.search("do you offer acupuncture")[0].title == "Acupuncture"


_DAYS = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri"}
_DAYS |= {"saturday": "sat", "sunday": "sun"}


def test_opening_hours_in_clinic_file_agree_with_schedule() -> None:
    body = dict(parse_sections(CLINIC.read_text(encoding="utf-8")))[HOURS]
    stated = {
        _DAYS[m.group(1).lower()]: m.group(2)
        for m in re.finditer(r"^- (\w+): (\d\d:\d\d-\d\d:\d\d|closed)$", body, flags=re.MULTILINE)
    }
    assert len(stated) == 7
    hours = json.loads((PROJECT_ROOT / "data" / "schedule.json").read_text())["hours"]
    for day in _DAYS.values():
        windows = [w for by_type in hours.values() for w in by_type.get(day, [])]
        expected = f"{min(w[:5] for w in windows)}-{max(w[6:] for w in windows)}" if windows else "closed"
        assert stated[day] == expected, day
