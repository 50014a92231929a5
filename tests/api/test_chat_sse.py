"""The chat endpoint over real HTTP: SSE framing, order, streaming, sessions and refusals."""

from __future__ import annotations

import asyncio

from api.deps import runtime_of
from tests.support.servers import wait_until
from tests.support.sse import aiter_events, chat
from tests.support.stub_turns import BOOK, CHECK, OFFER


def types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


def test_a_booking_conversation_over_sse(stub_server) -> None:
    server = stub_server()
    server.script.extend([CHECK, OFFER, BOOK, {"text": "Booked, see you then."}])
    with server.client() as client:
        first = chat(client, message="A follow-up next Tuesday?")
        sid = first[0]["session_id"]
        assert types(first)[:3] == ["session", "tool_call", "tool_result"] and types(first)[-1] == "done"
        assert set(types(first)[3:-1]) == {"token"}
        second = chat(client, session_id=sid, message="9:00, Jane Roe, jane@example.com, 555 0100")
        assert types(second) == ["session", "tool_call", "confirm", "done"]
        third = chat(client, session_id=sid, confirm=True)
        assert types(third)[:2] == ["session", "tool_result"] and types(third)[-1] == "done"
        booking = third[-1]["booking"]
        stored = client.get(
            f"/api/calendly/bookings/{booking['booking_id']}",
            params={"confirmation_code": booking["confirmation_code"]},
        )
        assert stored.status_code == 200 and stored.json()["details"]["start_time"] == "09:00"
        for events in (first, second, third):
            assert sum(e["type"] in ("done", "error") for e in events) == 1 and events[0]["type"] == "session"


def test_failure_still_ends_with_one_error_event(stub_server) -> None:
    server = stub_server()  # empty script: the model fails on its first call
    with server.client() as client:
        events = chat(client, message="hello")
    assert types(events) == ["session", "error"] and events[-1]["retryable"] is False


async def test_tokens_arrive_before_the_model_finishes(stub_server) -> None:
    server = stub_server(gated=True)
    server.script.extend([OFFER])
    seen_before_gate: list[dict] = []
    async with server.async_client(timeout=30) as client:
        async with client.stream("POST", "/api/chat", json={"message": "hi"}) as response:
            events = aiter_events(response)
            async for sse in events:
                seen_before_gate.append(sse["data"])
                if sse["event"] == "token":
                    break
            assert server.outcome == [], "the model is still generating"
            server.gate.set()
            rest = [sse["data"] async for sse in events]
    assert types(seen_before_gate) == ["session", "token"] and seen_before_gate[1]["text"] == "Tuesday, "
    assert rest[-1]["type"] == "done" and rest[-1]["reply"] == OFFER["text"]
    assert server.outcome == ["finished"]


async def test_second_message_while_a_turn_runs_gets_409_and_disconnect_cancels(stub_server) -> None:
    server = stub_server(gated=True)
    server.script.extend([OFFER, {"text": "Still here."}])
    async with server.async_client(timeout=30) as client:
        async with client.stream("POST", "/api/chat", json={"message": "hi"}) as response:
            sid = None
            stream = aiter_events(response)  # kept referenced: dropping it would close the connection
            async for sse in stream:
                if sse["event"] == "session":
                    sid = sse["data"]["session_id"]
                if sse["event"] == "token":
                    break
            busy = await client.post("/api/chat", json={"session_id": sid, "message": "again"})
            assert busy.status_code == 409 and "still answering" in busy.json()["detail"]
        # Leaving the `stream` block closed the connection mid-turn: the run ends although the
        # model is still held at the gate, and the session is free again.
        runtime = runtime_of(server.app)
        await asyncio.to_thread(wait_until, lambda: not runtime._active, 10.0, 0.02, "the turn to end")
        assert not server.gate.is_set()
        server.gate.set()
        response = await client.post("/api/chat", json={"session_id": sid, "message": "are you there?"})
        assert response.status_code == 200 and '"reply": "Still here."' in response.text
        transcript = (await client.get(f"/api/chat/{sid}")).json()["messages"]
        assert "Tuesday," not in str(transcript), "no half reply was kept"
        assert [m["text"] for m in transcript][-2:] == ["are you there?", "Still here."]


def test_bad_input_is_refused_with_specific_messages(stub_server) -> None:
    server = stub_server()
    server.script.extend([{"text": "Hello!"}])
    with server.client() as client:
        sid = chat(client, message="hi")[0]["session_id"]
        cases = [
            ({"message": ""}, 400, "message: must not be empty"),
            ({"message": "   \n "}, 400, "message: must not be empty"),
            ({"message": "x" * 2001}, 400, "at most 2000 characters"),
            ({"session_id": "no-such-session", "message": "hi"}, 404, "no session"),
            ({"session_id": sid, "confirm": True}, 409, "no booking waiting for confirmation"),
            ({"session_id": sid}, 400, "either a message or a confirm"),
            ({"session_id": sid, "message": "hi", "confirm": True}, 400, "either a message or a confirm"),
            ({"message": "hi", "colour": "blue"}, 400, "colour: is not an accepted field"),
        ]
        for body, status, text in cases:
            response = client.post("/api/chat", json=body)
            assert response.status_code == status, (body, response.text)
            assert text in response.json()["detail"], (body, response.text)
        not_json = client.post("/api/chat", content=b"{not json", headers={"content-type": "application/json"})
        assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["detail"]
        assert client.post("/api/chat", json={"message": "x" * 2000}).status_code in (200,)  # the limit is inclusive


def test_sessions_are_isolated_and_can_be_forgotten(stub_server) -> None:
    server = stub_server()
    server.script.extend([{"text": "Hello Ann."}, {"text": "Hello Bob."}])
    with server.client() as client:
        a = chat(client, message="I am Ann")[0]["session_id"]
        b = chat(client, message="I am Bob")[0]["session_id"]
        assert a != b and len(a) >= 20
        transcript_a = client.get(f"/api/chat/{a}").json()
        assert [m["text"] for m in transcript_a["messages"]] == ["I am Ann", "Hello Ann."]
        assert client.delete(f"/api/chat/{a}").status_code == 204
        assert client.get(f"/api/chat/{a}").status_code == 404
        assert client.post("/api/chat", json={"session_id": a, "message": "hi"}).status_code == 404
        assert client.delete(f"/api/chat/{a}").status_code == 404
        assert [m["text"] for m in client.get(f"/api/chat/{b}").json()["messages"]] == ["I am Bob", "Hello Bob."]


def test_sessions_and_pending_confirmations_survive_a_restart(stub_server, tmp_path) -> None:
    database_url = f"sqlite:///{tmp_path}/shared.db"
    first = stub_server(database_url=database_url)
    first.script.extend([CHECK, OFFER, BOOK])
    with first.client() as client:
        sid = chat(client, message="A follow-up next Tuesday?")[0]["session_id"]
        assert (
            types(chat(client, session_id=sid, message="9:00, Jane Roe, jane@example.com, 555 0100"))[-2] == "confirm"
        )
    first.stop()

    second = stub_server(database_url=database_url)
    second.script.extend([{"text": "All booked."}])
    with second.client() as client:
        transcript = client.get(f"/api/chat/{sid}").json()
        assert transcript["pending"]["name"] == "book_slot"
        assert transcript["messages"][0] == {"role": "user", "text": "A follow-up next Tuesday?"}
        events = chat(client, session_id=sid, message="yes")
        assert events[-1]["type"] == "done" and events[-1]["booking"]["start_time"] == "09:00"


def test_a_turn_that_outlives_its_deadline_ends_with_an_error_and_frees_the_session(stub_server, monkeypatch) -> None:
    from agent import runtime

    monkeypatch.setattr(runtime, "TURN_SECONDS", 0.5)  # the real one is 4 minutes
    server = stub_server(gated=True)  # the model stops after its first word until the gate opens
    server.script.extend([OFFER, {"text": "Back again."}])
    with server.client(timeout=30) as client:
        events = chat(client, message="hi")
        assert types(events) == ["session", "token", "error"]
        assert events[-1] == {"type": "error", "message": runtime.TOO_SLOW, "retryable": True}
        server.gate.set()
        again = chat(client, session_id=events[0]["session_id"], message="hello?")
    assert again[-1]["type"] == "done" and again[-1]["reply"] == "Back again."
    assert server.outcome[0] == "cancelled"
