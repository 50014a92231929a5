"""A booking made in a turn stays in its conversation, whatever happens to the stream or the process.

Two ways a turn used to lose the booking it had just made: the patient's connection dropped
after `book_slot` ran (the turn was cancelled, its checkpoint never written), or the server died
before the turn ended. In both the booking was in the database while the conversation still
waited for the patient's yes, and the second yes answered "slot taken" by their own booking.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from tests.support.killed_turn import BOOKED, PATIENT, KillAfterBooking
from tests.support.openai_server import OpenAICompatibleServer, openai_provider
from tests.support.servers import wait_until
from tests.support.sse import aiter_events, chat, iter_events
from tests.support.stub_turns import BOOK, CHECK, OFFER


def confirmed_bookings(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT date, start_time FROM bookings WHERE status = 'confirmed'").fetchall()


def chat_once_free(client: httpx.Client, **body: Any) -> list[dict[str, Any]] | None:
    """One POST /api/chat, or None on the 409 a session answers while its last turn is still
    finishing (its reply is saved just before the session is released)."""
    with client.stream("POST", "/api/chat", json=body) as response:
        if response.status_code == 409:
            return None
        assert response.status_code == 200, response.read()
        return [sse["data"] for sse in iter_events(response)]


def transcript(client: httpx.Client, sid: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/chat/{sid}")
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def booking_results(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m["role"] == "tool_result" and m["name"] == "book_slot"]


async def test_a_patient_who_disconnects_right_after_the_booking_still_has_it_in_the_conversation(
    stub_server, tmp_path: Path
) -> None:
    database = tmp_path / "shared.db"
    server = stub_server(gated=True, database_url=f"sqlite:///{database}")
    server.script.extend([CHECK, OFFER, BOOK, {"text": BOOKED}, {"text": "You're all set, see you then."}])
    server.gate.set()  # the first two turns answer at once
    with server.client(timeout=30) as client:
        sid = chat(client, message="A follow-up next Tuesday?")[0]["session_id"]
        assert chat(client, session_id=sid, message=PATIENT)[-1]["pending"]["name"] == "book_slot"
    server.gate.clear()
    server.first_sent.clear()

    async with server.async_client(timeout=30) as client:
        async with client.stream("POST", "/api/chat", json={"session_id": sid, "confirm": True}) as response:
            async for sse in aiter_events(response):
                if sse["data"]["type"] == "tool_result":
                    assert sse["data"]["name"] == "book_slot" and sse["data"]["ok"]
                    break  # the patient's connection drops: the booking has just been made
    assert server.first_sent.wait(10), "the turn went on to the reply after its reader left"
    server.gate.set()

    with server.client(timeout=30) as client:
        messages = wait_until(
            lambda: (m := transcript(client, sid)) and m[-1]["role"] == "assistant" and m,
            15.0,
            what="the turn to finish without its reader",
        )
        assert messages[-1]["text"] == BOOKED
        assert [r["data"]["start_time"] for r in booking_results(messages)] == ["09:00"]
        assert client.get(f"/api/chat/{sid}").json()["pending"] is None
        # The patient, not knowing, says yes again: nothing is booked twice, no "slot taken".
        again = wait_until(lambda: chat_once_free(client, session_id=sid, message="yes"), 10.0, what="a free session")
    assert again[-1]["type"] == "done" and again[-1]["reply"] == "You're all set, see you then."
    assert not [e for e in again if e["type"] == "tool_call"]
    assert confirmed_bookings(database) == [("2026-12-01", "09:00")]
    assert server.outcome[0] == "finished", "the disconnect did not cancel the approved turn"


def test_a_server_killed_right_after_the_booking_leaves_it_in_the_conversation(serve_process) -> None:
    model = KillAfterBooking()
    with OpenAICompatibleServer(model) as openai:
        server = serve_process(
            **openai_provider(openai),
            session_lease_seconds=1.0,
        )
        database = server.workdir / "bookings.db"
        with server.client(timeout=30) as client:
            asked = chat(client, message=f"Book me a follow-up Tuesday December 1 at 9. {PATIENT}")
            sid = asked[0]["session_id"]
            assert asked[-1]["pending"]["name"] == "book_slot"
            with client.stream("POST", "/api/chat", json={"session_id": sid, "confirm": True}) as response:
                assert response.status_code == 200
                assert model.holding.wait(15), "the model was asked for the reply after the booking"
                server.kill()  # SIGKILL: no shutdown, no end-of-turn checkpoint
        model.release.set()
        assert confirmed_bookings(database) == [("2026-12-01", "09:00")]

        server.start()
        with server.client(timeout=30) as client:
            messages = transcript(client, sid)
            assert [r["data"]["start_time"] for r in booking_results(messages)] == ["09:00"]

            def yes_once_the_lease_is_free() -> list[dict[str, Any]] | None:
                reply = client.post("/api/chat", json={"session_id": sid, "message": "yes"})
                if reply.status_code == 409:  # the dead server's lease: it runs out within a second
                    return None
                assert reply.status_code == 200, reply.text
                return chat_events(reply)

            again = wait_until(yes_once_the_lease_is_free, 10.0, 0.2, "the dead server's lease to run out")
            assert again[-1]["type"] == "done", again[-1]
            assert BOOKED in again[-1]["reply"] and "You're all set" in again[-1]["reply"]
            assert "taken" not in again[-1]["reply"]
            assert not [e for e in again if e["type"] == "tool_call"], "nothing is booked again"
            later = chat(client, session_id=sid, message="thanks!")
        assert later[-1]["type"] == "done", "the session is usable again"
        assert confirmed_bookings(database) == [("2026-12-01", "09:00")]
        server.stop()


def chat_events(response: httpx.Response) -> list[dict[str, Any]]:
    """The events of an already-read SSE response."""
    return [
        json.loads(line.removeprefix("data:").strip())
        for line in response.text.splitlines()
        if line.startswith("data:")
    ]
