"""A playground conversation exported as a script replays green with the script runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from api.main import create_app
from conversations import format_result, load_script, run_script
from tests.api.playground.conftest import STAFF, running_app, settings_for, turn


async def export(client: Any, session_id: str, tmp_path: Path) -> tuple[Path, dict[str, Any], str]:
    response = await client.get(f"/api/playground/sessions/{session_id}/export", headers=STAFF)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-yaml")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="playground-') and disposition.endswith('.yaml"')
    path = tmp_path / disposition.split('filename="')[1].rstrip('"')
    path.write_text(response.text, encoding="utf-8")
    return path, yaml.safe_load(response.text), response.text


async def replay(path: Path) -> None:
    result = await run_script(load_script(path), create_app)
    assert result.passed, format_result(result, verbose=True)


async def test_an_exported_booking_replays_green(tmp_path: Path) -> None:
    prompt = "You are the assistant of {{clinic_name}}.\nToday is {{weekday}}, {{today}}.\nBe brief."
    async with running_app(settings_for(tmp_path)) as (_, client):
        first = await turn(client, message="Hi, I'd like a consultation tomorrow morning", prompt=prompt)
        session_id = first[0]["session_id"]
        await turn(client, session_id=session_id, message="10:00 please", prompt=prompt)
        pending = await turn(
            client, session_id=session_id, message="Jane Roe, jane@example.com, 555 010 0100", prompt=prompt
        )
        assert pending[-1]["pending"]["name"] == "book_slot"
        done = await turn(client, session_id=session_id, confirm=True, prompt=prompt)
        booking = done[-1]["booking"]
        assert booking and booking["start_time"] == "10:00"

        path, script, text = await export(client, session_id, tmp_path)

    assert script["llm"] == "stub" and script["now"] == "2026-11-23T09:00:00"
    assert script["prompt"] == prompt and "prompt: |" in text  # multi-line prompts stay readable
    assert [list(t)[0] for t in script["turns"]] == ["user", "user", "user", "user"]
    assert script["turns"][3]["user"] == "yes"  # the button's answer, which replays the same
    # The model's actual replies are the stub: a tool call, then the offer it made.
    first_turn = script["turns"][0]
    assert first_turn["stub"][0] == {
        "tool_calls": [
            {
                "name": "check_availability",
                "args": {"date": "2026-11-24", "appointment_type": "consultation", "time_of_day": "morning"},
            }
        ]
    }
    assert "Tuesday, November 24" in first_turn["stub"][1]["text"]
    assert first_turn["expect"]["tool_results"] == [{"name": "check_availability", "ok": True}]
    assert script["turns"][1]["expect"] == {"no_tool_calls": True}
    assert script["turns"][2]["expect"]["confirm"]["name"] == "book_slot"
    last = script["turns"][3]
    assert last["expect"]["tool_results"] == [{"name": "book_slot", "ok": True}]
    assert booking["booking_id"] not in text and booking["confirmation_code"] not in text
    assert (
        "{{booking.booking_id}}" in last["stub"][0]["text"]
        and "{{booking.confirmation_code}}" in last["stub"][0]["text"]
    )
    assert script["end"]["bookings"] == [
        {
            "date": "2026-11-24",
            "start_time": "10:00",
            "appointment_type": "consultation",
            "patient_email": "jane@example.com",
        }
    ]
    # Only the day the conversation looked at is in the snapshot, with the booked slot free again.
    assert list(script["slots"]) == ["2026-11-24"]
    ten = next(s for s in script["slots"]["2026-11-24"]["consultation"] if s["start_time"] == "10:00")
    assert ten["available"] is True

    await replay(path)


async def test_an_export_with_a_decline_and_a_taken_slot_replays_green(tmp_path: Path) -> None:
    async with running_app(settings_for(tmp_path)) as (_, client):
        first = await turn(client, message="A physical on Friday at 10:30 please")
        session_id = first[0]["session_id"]
        await turn(client, session_id=session_id, message="Ben Ross, ben.ross@example.com, 555 432 1098")
        declined = await turn(client, session_id=session_id, confirm=False)
        assert declined[-1]["pending"] is None
        again = await turn(client, session_id=session_id, message="Book 10:30 after all")
        assert again[-1]["pending"] is not None
        # Another patient takes 10:30 before the yes: the booking fails with 409.
        other = await client.post(
            "/api/calendly/book",
            json={
                "appointment_type": "physical",
                "date": "2026-11-27",
                "start_time": "10:30",
                "patient": {"name": "Other Person", "email": "other@example.com", "phone": "555 000 1111"},
            },
        )
        assert other.status_code == 201, other.text
        taken = await turn(client, session_id=session_id, message="yes")
        results = [e for e in taken if e["type"] == "tool_result"]
        assert results[0]["name"] == "book_slot" and results[0]["data"]["error"] == "slot_taken"

        path, script, _ = await export(client, session_id, tmp_path)

    assert script["turns"][2]["confirm"] is False and "user" not in script["turns"][2]  # the button's no
    assert script["turns"][4]["expect"]["tool_results"][0] == {"name": "book_slot", "ok": False}
    slots = {s["start_time"]: s["available"] for s in script["slots"]["2026-11-27"]["physical"]}
    assert slots["10:30"] is False and slots["11:15"] is True  # the other patient's booking is kept
    assert script["end"]["bookings"] == []

    await replay(path)
