"""`POST /api/chat/ui`, the Vercel AI SDK's UI message stream: driven by the SDK's own client
(Node, against `scheduling-agent serve`), and chunk by chunk over HTTP for the protocol's rules
and every refusal."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent import events
from agent.turn import RunningTurn
from api.ai_sdk import UIStream, _Answer
from tests.support.calendly import stored_bookings
from tests.support.node import NODE_DIR, node
from tests.support.stub_turns import BOOK, CHECK, OFFER

CHAT_ID = "chat-0123456789abcdef"
PATIENT = {"patient_name": "Jane Roe", "patient_email": "jane@example.com", "patient_phone": "555 0100"}


def user(text: str, message_id: str = "u1") -> dict[str, Any]:
    return {"id": message_id, "role": "user", "parts": [{"type": "text", "text": text}]}


def approval(message_id: str, call_id: str, approved: Any, name: str = "book_slot") -> dict[str, Any]:
    """The assistant message as the SDK sends it back after addToolApprovalResponse."""
    part = {
        "type": f"tool-{name}",
        "toolCallId": call_id,
        "state": "approval-responded",
        "input": {},
        "approval": {"id": call_id, "approved": approved},
    }
    return {"id": message_id, "role": "assistant", "parts": [{"type": "step-start"}, part]}


def post(client: httpx.Client, *messages: dict[str, Any], chat_id: str = CHAT_ID, **extra: Any) -> httpx.Response:
    return client.post("/api/chat/ui", json={"id": chat_id, "messages": list(messages), **extra})


def chunks(response: httpx.Response) -> list[Any]:
    """The stream's chunks, checking its framing: `data: <json>` blocks ending with `[DONE]`."""
    assert response.status_code == 200, response.text
    assert response.headers["x-vercel-ai-ui-message-stream"] == "v1"
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "content-encoding" not in response.headers
    blocks = [b for b in response.text.split("\n\n") if b.strip() and not b.startswith(":")]
    assert all(b.startswith("data: ") and "\n" not in b for b in blocks), blocks
    assert blocks[-1] == "data: [DONE]"
    return [json.loads(b.removeprefix("data: ")) for b in blocks[:-1]]


def kinds(stream: list[dict[str, Any]]) -> list[str]:
    return [c["type"] for c in stream if c["type"] != "text-delta"]


def text_of(stream: list[dict[str, Any]]) -> str:
    return "".join(c["delta"] for c in stream if c["type"] == "text-delta")


# ---------------------------------------------------------------- the SDK's own client


def test_the_ai_sdk_client_books_through_its_approval_flow(serve_process: Any, node_packages: Path) -> None:
    server = serve_process(llm_provider="offline")
    proc = subprocess.run(
        [node(), str(NODE_DIR / "ai_sdk_chat.mjs"), server.url], capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, f"{proc.stderr[-4000:]}\n{proc.stdout[-2000:]}"
    result = json.loads(proc.stdout)
    booked = [p for m in result["messages"] for p in m["parts"] if p["type"] == "data-booking"]
    assert len(booked) == 1
    card = booked[0]["data"]
    rows = stored_bookings(server.env["DATABASE_URL"])
    assert [(r["booking_id"], r["confirmation_code"], r["patient_email"]) for r in rows] == [
        (card["booking_id"], card["confirmation_code"], "jane@example.com")
    ], "one booking, the approved one; the declined chat booked nothing"
    with server.client() as client:  # the chat id is the session: the transcript is the same conversation
        transcript = client.get(f"/api/chat/{result['booked']}").json()
        assert [m["text"] for m in transcript["messages"] if m["role"] == "user"][0].startswith("Can I get")
        assert transcript["pending"] is None


# ---------------------------------------------------------------- the protocol, chunk by chunk


def test_a_turn_streams_text_tools_and_offered_slots(stub_server: Any) -> None:
    server = stub_server()
    server.script.extend([CHECK, OFFER])
    with server.client() as client:
        stream = chunks(post(client, user("A follow-up next Tuesday?")))
    expected = "start start-step tool-input-available tool-output-available data-slots text-start text-end"
    assert kinds(stream) == [*expected.split(), "finish-step", "finish"]
    start, _, call, result, slots, text_start, text_end, *_, finish = [c for c in stream if c["type"] != "text-delta"]
    assert start["messageMetadata"] == {"session_id": CHAT_ID, "time_format": "12h"} and start["messageId"].startswith(
        "msg-"
    )
    assert call["toolName"] == "check_availability" and call["input"] == CHECK["tool_calls"][0]["args"]
    assert result["toolCallId"] == call["toolCallId"] and result["output"]["ok"] is True
    assert slots["id"] == call["toolCallId"] and slots["data"]["slots"] == result["output"]["slots"]
    assert slots["data"]["day"] == "Tuesday, December 1"
    deltas = [c for c in stream if c["type"] == "text-delta"]
    assert deltas and all(d["id"] == text_start["id"] == text_end["id"] for d in deltas)
    assert text_of(stream) == OFFER["text"]
    assert finish["finishReason"] == "stop" and finish["messageMetadata"]["pending"] is False


def test_the_booking_is_an_approval_request_and_only_true_books(stub_server: Any) -> None:
    server = stub_server()
    server.script.extend([BOOK, {"text": "Booked, see you then."}])
    with server.client() as client:
        asked = chunks(post(client, user("9:00, Jane Roe, jane@example.com, 555 0100")))
        assert kinds(asked) == "start start-step tool-input-available tool-approval-request finish-step finish".split()
        message_id = asked[0]["messageId"]
        call_id = asked[2]["toolCallId"]
        request = asked[3]
        assert request["approvalId"] == request["toolCallId"] == call_id
        summary = request["approvalDescriptor"]["summary"]  # the confirm event's question, whatever its wording
        assert "Tuesday, December 1" in summary and "Jane Roe" in summary
        assert asked[-1]["finishReason"] == "tool-calls" and asked[-1]["messageMetadata"]["pending"] is True
        assert stored_bookings(server.settings.database_url) == []

        for not_an_approval in ("yes", 1, None):  # anything but the JSON boolean is refused
            refused = post(client, approval(message_id, call_id, not_an_approval))
            assert refused.status_code == 400, refused.text
        assert stored_bookings(server.settings.database_url) == []

        done = chunks(post(client, approval(message_id, call_id, True)))
    assert done[0] == {
        "type": "start",
        "messageId": message_id,
        "messageMetadata": {"session_id": CHAT_ID, "time_format": "12h"},
    }
    assert (
        kinds(done)
        == ("start start-step tool-output-available text-start text-end data-booking finish-step finish").split()
    )
    output = done[2]["output"]
    card = next(c for c in done if c["type"] == "data-booking")
    assert done[2]["toolCallId"] == call_id and output["ok"] is True and card["data"] == output
    assert card["id"] == output["booking_id"]
    (row,) = stored_bookings(server.settings.database_url)
    assert (row["booking_id"], row["start_time"]) == (output["booking_id"], "09:00")


def test_a_denied_approval_books_nothing(stub_server: Any) -> None:
    server = stub_server()
    server.script.extend([BOOK, {"text": "No problem. What would you like to change?"}])
    with server.client() as client:
        asked = chunks(post(client, user("9:00, Jane Roe, jane@example.com, 555 0100")))
        call_id = asked[2]["toolCallId"]
        denied = chunks(post(client, approval(asked[0]["messageId"], call_id, False)))
    assert {"type": "tool-output-denied", "toolCallId": call_id} in denied
    assert not [c for c in denied if c["type"] in ("tool-output-available", "data-booking")]
    assert text_of(denied) == "No problem. What would you like to change?"
    assert stored_bookings(server.settings.database_url) == []


def test_a_typed_answer_repeats_the_call_in_the_new_message(stub_server: Any) -> None:
    server = stub_server()
    server.script.extend([BOOK, {"text": "Booked."}, BOOK, {"text": "Fine, I have not booked it."}])
    with server.client() as client:
        first = chunks(post(client, user("9:00, Jane Roe, jane@example.com, 555 0100")))
        yes = chunks(post(client, user("yes please", "u2")))
        # The SDK starts a new message for a typed answer: the call's part comes before its outcome.
        assert kinds(yes)[:4] == ["start", "start-step", "tool-input-available", "tool-output-available"]
        assert yes[2]["toolCallId"] == first[2]["toolCallId"] == yes[3]["toolCallId"]
        assert yes[2]["input"] == {
            "date": "2026-12-01",
            "start_time": "09:00",
            "appointment_type": "followup",
            **PATIENT,
        }
        assert yes[3]["output"]["ok"] is True
        other = chunks(post(client, user("book it again", "u3"), chat_id="chat-fedcba9876543210"))
        no = chunks(post(client, user("no, wait", "u4"), chat_id="chat-fedcba9876543210"))
    assert other[2]["type"] == "tool-input-available"
    assert kinds(no)[2:4] == ["tool-input-available", "tool-output-denied"]
    assert len(stored_bookings(server.settings.database_url)) == 1


def test_a_stale_or_misplaced_approval_is_refused(stub_server: Any) -> None:
    server = stub_server()
    server.script.extend([BOOK])
    with server.client() as client:
        nothing = post(client, approval("m1", "call_none", True))
        assert nothing.status_code == 409 and "waiting for confirmation" in nothing.json()["detail"]
        asked = chunks(post(client, user("9:00, Jane Roe, jane@example.com, 555 0100")))
        stale = post(client, approval(asked[0]["messageId"], "call_an_older_one", True))
        assert stale.status_code == 409
        assert "'call_an_older_one' is not the confirmation this session waits for" in stale.json()["detail"]
        # Refused before anything ran: the booking is still waiting, and nothing is booked.
        assert client.get(f"/api/chat/{CHAT_ID}").json()["pending"]["id"] == asked[2]["toolCallId"]
    assert stored_bookings(server.settings.database_url) == []


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"id": "short", "messages": [user("hi")]}, "id: "),
        ({"id": "has spaces in it!!", "messages": [user("hi")]}, "id: "),
        ({"id": CHAT_ID, "messages": []}, "messages: "),
        ({"id": CHAT_ID}, "messages: "),
        ({"id": CHAT_ID, "messages": [user("hi")], "trigger": "regenerate-message"}, "regenerate-message is not"),
        ({"id": CHAT_ID, "messages": [user("   ")]}, "message: must not be empty"),
        ({"id": CHAT_ID, "messages": [user("x" * 2001)]}, "message: must be at most 2000 characters"),
        (
            {"id": CHAT_ID, "messages": [{"id": "u", "role": "user", "parts": [{"type": "file", "url": "x"}]}]},
            "has no text part",
        ),
        (
            {"id": CHAT_ID, "messages": [{"id": "a", "role": "assistant", "parts": [{"type": "text", "text": "hi"}]}]},
            "exactly one tool approval",
        ),
        ({"id": CHAT_ID, "messages": [{"id": "s", "role": "system", "parts": []}]}, "must be the patient's"),
        ({"id": CHAT_ID, "messages": [{"id": "x", "role": "robot", "parts": []}]}, "messages.0.role: "),
    ],
    ids=[
        "short-id",
        "bad-id",
        "no-messages",
        "missing-messages",
        "regenerate",
        "empty",
        "too-long",
        "no-text",
        "assistant-without-approval",
        "system",
        "unknown-role",
    ],
)
def test_bad_requests_get_400_naming_the_field(shared_client: httpx.Client, body: dict[str, Any], detail: str) -> None:
    response = shared_client.post("/api/chat/ui", json=body)
    assert response.status_code == 400, response.text
    assert detail in response.json()["detail"], response.json()


def test_fields_a_front_end_adds_are_ignored(stub_server: Any) -> None:
    server = stub_server()
    server.script.extend([{"text": "Hello!"}])
    with server.client() as client:
        stream = chunks(post(client, user("hi"), messageId=None, clinicTheme="dark"))
    assert text_of(stream) == "Hello!"


async def test_a_second_message_while_a_turn_streams_gets_409(stub_server: Any) -> None:
    server = stub_server(gated=True)
    server.script.extend([OFFER])
    async with server.async_client(timeout=30) as client:
        body = {"id": CHAT_ID, "messages": [user("hi")]}
        async with client.stream("POST", "/api/chat/ui", json=body) as response:
            async for line in response.aiter_lines():
                if '"text-delta"' in line:
                    break
            busy = await client.post("/api/chat/ui", json={"id": CHAT_ID, "messages": [user("again", "u2")]})
            assert busy.status_code == 409 and "still answering" in busy.json()["detail"]
            server.gate.set()


# ---------------------------------------------------------------- events other issues add


def stream_of(*evts: events.Event, answering: events.Event | None = None, approved: bool | None = None) -> list[Any]:
    turn = RunningTurn("s" * 16, queue=None, answering=answering, approved=approved)  # type: ignore[arg-type]
    translate = UIStream(turn, _Answer(message="hi"))
    return [chunk for event in evts for chunk in translate.chunks(event)]


def test_every_gated_tool_is_an_approval_request_and_unknown_events_become_data_parts() -> None:
    cancel = {"type": "confirm", "id": "c1", "name": "cancel_booking", "args": {"booking_id": "B1"}}
    cancel |= {"summary": "Cancel your consultation on Tuesday?", "action": "cancel"}
    safety = {"type": "safety", "kind": "chest_pain", "message": "Call 911 now."}
    out = stream_of(
        events.session("s" * 16),
        events.token("Let me "),
        events.tool_call("c1", "cancel_booking", {"booking_id": "B1"}),
        cancel,
        safety,
        events.done("Let me", None, pending=cancel),
    )
    assert [c["type"] for c in out] == (
        "start start-step text-start text-delta text-end tool-input-available tool-approval-request data-safety "
        "finish-step finish"
    ).split()
    assert out[6]["approvalDescriptor"] == {"summary": "Cancel your consultation on Tuesday?", "action": "cancel"}
    assert out[7]["data"] == {"kind": "chest_pain", "message": "Call 911 now."}


def test_an_error_ends_the_open_text_first() -> None:
    out = stream_of(events.session("s" * 16), events.token("Hmm"), events.error("Sorry, try again.", True))
    assert [c["type"] for c in out][-3:] == ["text-delta", "text-end", "error"]
    assert out[-1] == {"type": "error", "errorText": "Sorry, try again."}


def test_a_refused_argument_is_a_tool_output_error() -> None:
    bad = events.tool_result("c9", "check_availability", "Error: date: not a valid date", "error")
    out = stream_of(events.session("s" * 16), events.tool_call("c9", "check_availability", {"date": "x"}), bad)
    assert out[-1] == {"type": "tool-output-error", "toolCallId": "c9", "errorText": "Error: date: not a valid date"}
