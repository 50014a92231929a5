"""While the patient decides, the slot is theirs: held when the confirmation is asked, used by the
booking, given back on a no. And a change sent twice (same tool call) happens once."""

from __future__ import annotations

import json

import httpx

from tests.support.sse import chat
from tests.support.stub_turns import BOOK, CHECK, OFFER
from tools import context
from tools.http import SchedulerHttpClient
from tools.scheduling import build_tools

SLOT = {"appointment_type": "followup", "date": "2026-12-01"}
OTHER_PATIENT = {"name": "Sam Poe", "email": "sam@example.com", "phone": "555 0199"}


def free_times(client: httpx.Client) -> list[str]:
    body = client.get("/api/calendly/availability", params=SLOT).json()
    return [s["start_time"] for s in body["available_slots"]]


def ask_to_book(client: httpx.Client) -> str:
    sid = chat(client, message="A follow-up next Tuesday?")[0]["session_id"]
    asked = chat(client, session_id=sid, message="9:00, Jane Roe, jane@example.com, 555 0100")
    assert asked[-1]["pending"]["name"] == "book_slot"
    return sid


def test_the_slot_is_held_while_the_patient_decides_and_the_booking_uses_the_hold(stub_server) -> None:
    server = stub_server()
    server.script.extend([CHECK, OFFER, BOOK, {"text": "Booked."}])
    with server.client(timeout=30) as client:
        assert "09:00" in free_times(client)
        sid = ask_to_book(client)
        assert "09:00" not in free_times(client), "nobody else is offered the slot while the patient decides"
        other = client.post("/api/calendly/book", json={**SLOT, "start_time": "09:00", "patient": OTHER_PATIENT})
        assert other.status_code == 409 and "held" in other.json()["detail"]
        done = chat(client, session_id=sid, confirm=True)[-1]
    assert done["type"] == "done" and done["booking"]["start_time"] == "09:00", "the patient's own hold books"


def test_saying_no_gives_the_slot_back(stub_server) -> None:
    server = stub_server()
    server.script.extend([CHECK, OFFER, BOOK, {"text": "What would you like to change?"}])
    with server.client(timeout=30) as client:
        sid = ask_to_book(client)
        assert "09:00" not in free_times(client)
        declined = chat(client, session_id=sid, confirm=False)
        assert declined[-1]["type"] == "done" and declined[-1]["booking"] is None
        assert "09:00" in free_times(client), "the hold was released at once, not left to expire"


def test_an_emergency_typed_at_the_card_gets_the_guidance_and_gives_the_slot_back(stub_server) -> None:
    server = stub_server()
    server.script.extend([CHECK, OFFER, BOOK])  # nothing after the card: the model is not called again
    with server.client(timeout=30) as client:
        sid = ask_to_book(client)
        answered = chat(client, session_id=sid, message="wait i have crushing chest pain")
        assert [e["type"] for e in answered if e["type"] == "safety"] == ["safety"]
        done = answered[-1]
        assert done["type"] == "done" and done["booking"] is None and done["pending"] is None
        assert "911" in done["reply"]
        assert "09:00" in free_times(client), "the hold was given back as for a no"


async def test_the_same_tool_call_sent_twice_books_once(live_server) -> None:
    server = live_server()
    client = SchedulerHttpClient(server.url)
    _, book = build_tools(client)
    args = {
        **SLOT,
        "start_time": "10:00",
        "patient_name": "Jane Roe",
        "patient_email": "jane@example.com",
        "patient_phone": "555 0100",
    }
    try:
        with context.call_context(idempotency_key="session-a/call-1"):
            first = json.loads(await book.ainvoke(args))
            again = json.loads(await book.ainvoke(args))  # a retry, or a resumed confirmation
        with context.call_context(idempotency_key="session-a/call-2"):
            other_call = json.loads(await book.ainvoke(args))  # a different call for the same slot
    finally:
        await client.aclose()
    assert first["ok"] and again == first, "the repeat is answered with the first booking, not 'taken'"
    assert other_call["ok"] is False and other_call["error"] == "slot_taken"
