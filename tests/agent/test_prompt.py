"""The system prompt is a readable file, rendered with the clinic, the injected clock and the types."""

from __future__ import annotations

from datetime import datetime

from agent.prompts import PROMPT_FILE, default_template, render_prompt
from core.clock import Clock


def test_prompt_is_a_file_with_the_rules() -> None:
    text = PROMPT_FILE.read_text()
    assert PROMPT_FILE.suffix == ".md" and text == default_template()
    for rule in (
        "Offer only times that `check_availability` returned",
        "full name, e-mail address and phone number",
        "booking id and the confirmation code",
        "answer only from the sections it returns",
        "offer the phone number",
        "Never give medical advice",
        "three to five",
        "weekday",
    ):
        assert rule in text, rule


def test_render_uses_the_clock_and_leaves_other_braces_alone() -> None:
    clock = Clock("America/New_York", datetime(2026, 11, 25, 14, 5))
    rendered = render_prompt(
        default_template() + '\nExample: {"date": "{{unknown}}"}', clock=clock, clinic_name="Test Clinic"
    )
    assert "Test Clinic" in rendered and "Today is Wednesday, 2026-11-25" in rendered
    assert "America/New_York" in rendered and "14:05" in rendered
    assert "- followup (15 min)" in rendered and "- specialist (60 min)" in rendered
    assert "{{clinic_name}}" not in rendered and '{"date": "{{unknown}}"}' in rendered


def test_the_prompt_asks_for_times_in_the_clinics_format() -> None:
    clock = Clock("America/New_York", datetime(2026, 11, 25, 14, 5))
    twelve = render_prompt(default_template(), clock=clock, clinic_name="C")
    assert "9:00 AM, 10:30 AM or 2:00 PM" in twelve and "12-hour times with AM/PM" in twelve
    twenty_four = render_prompt(default_template(), clock=clock, clinic_name="C", time_format="24h")
    assert "09:00, 10:30 or 14:00" in twenty_four and "24-hour times" in twenty_four
    assert "{{time_" not in twelve + twenty_four


def test_the_prompt_and_every_tool_schema_stay_within_the_token_budget() -> None:
    from agent.budget import PROMPT_BUDGET, prompt_tokens

    tokens = prompt_tokens()
    assert tokens["total"] <= PROMPT_BUDGET, tokens
    assert tokens["tool_schemas"] > 1000, "all six tools are counted"
