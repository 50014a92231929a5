"""A scripted model drives the real graph, tools and service: confirmation is enforced in code."""

from __future__ import annotations

from agent.events import TERMINAL
from agent.models.stub import StubScript
from api.deps import runtime_of
from api.main import create_app
from core.settings import Settings
from tests.agent.conftest import AgentApp
from tests.support import stub_turns
from tests.support.stub_turns import BOOK, CHECK_ARGS, OFFER

# The shared turns, the check narrowed to the morning (the offer names morning times).
CHECK = {"tool_calls": [{**stub_turns.CHECK["tool_calls"][0], "args": {**CHECK_ARGS, "time_of_day": "morning"}}]}


def types(events: list[dict]) -> list[str]:
    """Event types, a run of `token` events counted once (tokens that queue up go out merged)."""
    out: list[str] = []
    for event in events:
        if not (event["type"] == "token" and out and out[-1] == "token"):
            out.append(event["type"])
    return out


async def offer_and_request_booking(agent_app) -> str:
    agent_app.script.extend([CHECK, OFFER])
    first = await agent_app.turn(None, "Can I get a follow-up next Tuesday morning?")
    assert types(first) == ["session", "tool_call", "tool_result", "token", "done"]
    assert "".join(e["text"] for e in first if e["type"] == "token") == OFFER["text"]
    assert first[2]["ok"] and "09:00" in first[2]["data"]["slots"]
    session_id = first[0]["session_id"]
    agent_app.script.extend([BOOK])
    second = await agent_app.turn(session_id, "9:00 please. Jane Roe, jane@example.com, 555 0100")
    assert types(second) == ["session", "tool_call", "confirm", "done"]
    confirm = second[2]
    assert confirm["name"] == "book_slot" and confirm["id"] == second[1]["id"]
    assert confirm["summary"] == (
        "Book a follow-up on Tuesday, December 1 at 9:00 AM for Jane Roe, jane@example.com, 555 0100?"
    )  # the type in words, the time as the clinic (en_US) shows it
    assert second[-1]["pending"] == confirm
    assert await agent_app.bookings() == [], "nothing is booked before the patient's yes"
    return session_id


async def test_a_24_hour_clinic_gets_24_hour_confirmations_and_says_so_in_the_session(tmp_path) -> None:
    script = StubScript()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/bookings.db",
        scheduler_now="2026-11-23T09:00:00",
        llm_provider="stub",
        clinic_locale="en_GB",
    )
    app = create_app(settings, stub_script=script)
    async with app.router.lifespan_context(app):
        clinic = AgentApp(app, runtime_of(app), script)
        clinic.script.extend([CHECK, OFFER, BOOK])
        first = await clinic.turn(None, "Can I get a follow-up next Tuesday morning?")
        assert first[0] == {"type": "session", "session_id": first[0]["session_id"], "time_format": "24h"}
        second = await clinic.turn(first[0]["session_id"], "9:00 please. Jane Roe, jane@example.com, 555 0100")
        assert "Book a follow-up on Tuesday, December 1 at 09:00 for Jane Roe" in second[2]["summary"]
        transcript = await clinic.runtime.transcript(first[0]["session_id"])
        assert transcript["pending"]["summary"] == second[2]["summary"]  # read back from the checkpoint


async def test_yes_books_and_reports_the_booking(agent_app) -> None:
    session_id = await offer_and_request_booking(agent_app)
    agent_app.script.extend([{"text": "Booked."}])
    third = await agent_app.turn(session_id, "Yes, please")
    assert types(third)[:2] == ["session", "tool_result"] and third[-1]["type"] == "done"
    (booking,) = await agent_app.bookings()
    assert (booking.date, booking.start_time, booking.appointment_type, booking.patient_email) == (
        "2026-12-01",
        "09:00",
        "followup",
        "jane@example.com",
    )
    assert third[-1]["booking"]["booking_id"] == booking.booking_id
    assert third[-1]["booking"]["confirmation_code"] == booking.confirmation_code
    assert third[-1]["pending"] is None


async def test_no_leaves_the_database_untouched_and_reaches_the_model(agent_app) -> None:
    session_id = await offer_and_request_booking(agent_app)
    agent_app.script.extend([{"text": "No problem. Which time would suit you better?"}])
    third = await agent_app.turn(session_id, "no, make it 9:30 instead")
    assert await agent_app.bookings() == []
    rejected = [e for e in third if e["type"] == "tool_result"]
    assert rejected and rejected[0]["ok"] is False and "make it 9:30 instead" in rejected[0]["data"]["message"]
    assert third[-1]["type"] == "done" and third[-1]["pending"] is None
    transcript = await agent_app.runtime.transcript(session_id)
    answers = [m for m in transcript["messages"] if m.get("confirmation") is not None]
    assert answers == [{"role": "user", "text": "no, make it 9:30 instead", "confirmation": False}]


async def test_a_yes_with_conditions_is_not_a_yes(agent_app) -> None:
    session_id = await offer_and_request_booking(agent_app)
    agent_app.script.extend([{"text": "Sure, let me check 10:00."}])
    await agent_app.turn(session_id, "yes but at 10 instead")
    assert await agent_app.bookings() == []


async def test_confirm_button_answers(agent_app) -> None:
    session_id = await offer_and_request_booking(agent_app)
    agent_app.script.extend([{"text": "Done."}])
    third = await agent_app.turn(session_id, confirm=True)
    assert third[-1]["booking"] and len(await agent_app.bookings()) == 1


async def test_every_turn_ends_with_exactly_one_terminal_event_even_on_failure(agent_app) -> None:
    events = await agent_app.turn(None, "hello")  # the script is empty: the model fails
    assert [e["type"] for e in events if e["type"] in TERMINAL] == ["error"]
    assert events[-1]["type"] == "error" and "ran out of replies" in events[-1]["message"]


async def test_bad_tool_arguments_come_back_to_the_model(agent_app) -> None:
    agent_app.script.extend(
        [
            {
                "tool_calls": [
                    {"name": "check_availability", "args": {"date": "next tuesday", "appointment_type": "followup"}}
                ]
            },
            {"text": "Let me use the right date format."},
        ]
    )
    events = await agent_app.turn(None, "next tuesday")
    result = next(e for e in events if e["type"] == "tool_result")
    assert result["ok"] is False and "date" in result["data"]["message"]
    assert events[-1]["type"] == "done" and events[-1]["reply"] == "Let me use the right date format."


async def test_model_call_limit_ends_a_runaway_turn(agent_app) -> None:
    from agent.graph import MODEL_CALLS_PER_TURN
    from agent.limits import MODEL_LIMIT_REPLY

    loop = {
        "tool_calls": [{"name": "check_availability", "args": {"date": "2026-12-01", "appointment_type": "followup"}}]
    }
    agent_app.script.extend([loop] * 20)
    events = await agent_app.turn(None, "loop forever")
    calls = [e for e in events if e["type"] == "tool_call"]
    assert events[-1]["type"] == "done" and events[-1]["reply"] == MODEL_LIMIT_REPLY
    assert len(calls) == MODEL_CALLS_PER_TURN and len(agent_app.script.queue) == 20 - MODEL_CALLS_PER_TURN
    agent_app.script.queue.clear()
    agent_app.script.extend([{"text": "Hello again."}])
    again = await agent_app.turn(events[0]["session_id"], "hello")
    assert again[-1]["reply"] == "Hello again.", "the next message starts a fresh count"


async def test_tool_call_limit_refuses_the_calls_beyond_it_and_the_model_answers(agent_app) -> None:
    from agent.graph import TOOL_CALLS_PER_TURN

    many = {
        "tool_calls": [
            {"name": "check_availability", "args": {"date": f"2026-12-0{day}", "appointment_type": "followup"}}
            for day in range(1, 9)
        ]
    }
    agent_app.script.extend([many, {"text": "Here is what I found."}])
    events = await agent_app.turn(None, "every day next week")
    results = [e for e in events if e["type"] == "tool_result"]
    assert len(results) == 8
    refused = {r["id"] for r in results if r["data"].get("error") == "tool_call_limit" and not r["ok"]}
    calls = [e["id"] for e in events if e["type"] == "tool_call"]
    assert refused == set(calls[TOOL_CALLS_PER_TURN:]), "the calls beyond the limit, in the model's order"
    assert events[-1]["type"] == "done" and events[-1]["reply"] == "Here is what I found."


async def test_transient_model_errors_are_retried_then_apologised(agent_app, monkeypatch) -> None:
    from agent.models import stub

    calls = 0

    def flaky(self, messages):
        nonlocal calls
        calls += 1
        raise ConnectionError("model endpoint unreachable")

    monkeypatch.setattr(stub.StubChatModel, "_reply", flaky)
    events = await agent_app.turn(None, "hello")
    assert calls == 3  # first try and two retries with backoff
    assert events[-1] == {"type": "error", "message": events[-1]["message"], "retryable": True}
    assert "unavailable" in events[-1]["message"] and "Traceback" not in events[-1]["message"]
