"""Limits for one client over real HTTP (issue 16, "Abuse"): each refused at N+1 with 429, a
`Retry-After` that matches the window on the clinic clock and a clear message, and allowed again
once the clock has moved past the window (no sleeping).

The test servers run with every limit off (tests/support/servers.py); each test switches on
the one it tests. Clock frozen at Monday 2026-11-23 09:00 (clinic-local): a minute's and an
hour's window both end a full window later.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import httpx
import pytest

from agent.limits import DAY_BUDGET_REPLY, SESSION_BUDGET_REPLY
from api.deps import services
from api.main import create_app
from core.clock import Clock
from tests.support.calendly import API, book, book_ok, stored_bookings
from tests.support.openai_server import OpenAICompatibleServer, Reply, openai_provider
from tests.support.servers import LiveServer
from tests.support.sse import chat
from tests.support.stub_turns import BOOK

TUESDAY = "2026-11-24"


def clock_of(server: LiveServer) -> Clock:
    return services(server.app).clock


def seconds_left(clock: Clock, window: int) -> int:
    """What Retry-After must say: the seconds to the end of the clock's current window."""
    now = clock.now().timestamp()
    return math.ceil((math.floor(now / window) + 1) * window - now)


def post_chat(client: httpx.Client, **body: Any) -> httpx.Response:
    return client.post("/api/chat", json=body, headers={"Accept": "text/event-stream"})


def assert_limited(response: httpx.Response, clock: Clock, window: int, message: str) -> None:
    """A plain 429 (JSON, not a stream) with the right Retry-After and the message."""
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/json"), "refused before any stream"
    retry_after = int(response.headers["retry-after"])
    assert retry_after == seconds_left(clock, window) and retry_after > 0
    assert response.json() == {"detail": f"{message} Please try again in {_wait(retry_after)}."}


def _wait(seconds: int) -> str:
    return f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"


# --------------------------------------------------------------------------- chat


def test_chat_messages_per_client_address(live_server) -> None:
    server = live_server(limit_client_turns_per_minute=3)
    clock = clock_of(server)
    with server.client() as client:
        sid = chat(client, message="Hello")[0]["session_id"]
        chat(client, session_id=sid, message="A follow-up next Tuesday?")
        chat(client, message="Hi, a new conversation counts for the same address")
        limited = post_chat(client, session_id=sid, message="One more")
        assert_limited(limited, clock, 60, "Too many messages from your address: at most 3 per minute.")
        assert post_chat(client, message="Another new one").status_code == 429, "new conversations too"
        # A refused request counted nothing: after the window the next three pass again.
        clock.advance(timedelta(seconds=limited_retry(limited)))
        for text in ("Back again", "Still here", "Last one"):
            chat(client, session_id=sid, message=text)
        assert post_chat(client, session_id=sid, message="Over").status_code == 429


def limited_retry(response: httpx.Response) -> int:
    return int(response.headers["retry-after"])


def test_a_proxy_address_is_one_client_unless_forwarded_for_is_trusted(live_server) -> None:
    untrusted = live_server(limit_client_turns_per_minute=1)
    with untrusted.client() as client:
        assert post_chat_from(client, "203.0.113.7").status_code == 200
        assert post_chat_from(client, "203.0.113.8").status_code == 429, "the header is ignored by default"
    trusted = live_server(limit_client_turns_per_minute=1, trust_forwarded_for=True)
    with trusted.client() as client:
        assert post_chat_from(client, "203.0.113.7").status_code == 200
        assert post_chat_from(client, "203.0.113.8").status_code == 200, "another client"
        assert post_chat_from(client, "203.0.113.7").status_code == 429


def post_chat_from(client: httpx.Client, forwarded_for: str) -> httpx.Response:
    response = client.post("/api/chat", json={"message": "Hello"}, headers={"X-Forwarded-For": forwarded_for})
    response.read()
    return response


def test_new_sessions_per_client_address_per_hour(live_server) -> None:
    server = live_server(limit_client_sessions_per_hour=2)
    clock = clock_of(server)
    with server.client() as client:
        first = chat(client, message="Hello")[0]["session_id"]
        chat(client, message="Hello again")
        limited = post_chat(client, message="A third conversation")
        assert_limited(limited, clock, 3600, "Too many new conversations from your address: at most 2 per hour.")
        assert limited_retry(limited) == 3600
        chat(client, session_id=first, message="An existing conversation goes on")
        clock.advance(timedelta(minutes=59, seconds=59))
        assert post_chat(client, message="Not yet").status_code == 429
        clock.advance(timedelta(seconds=1))
        chat(client, message="A new hour, a new conversation")


def test_new_chats_over_the_ai_sdk_endpoint_count_too(live_server) -> None:
    server = live_server(limit_client_sessions_per_hour=1)
    clock = clock_of(server)

    def ui(chat_id: str) -> httpx.Response:
        body = {"id": chat_id, "messages": [{"id": "m1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]}]}
        response = server_client.post("/api/chat/ui", json=body)
        response.read()
        return response

    with server.client() as server_client:
        assert ui("chat-aaaaaaaaaaaaaaaa").status_code == 200
        assert ui("chat-aaaaaaaaaaaaaaaa").status_code == 200, "the same chat is not a new one"
        limited = ui("chat-bbbbbbbbbbbbbbbb")
        assert_limited(limited, clock, 3600, "Too many new conversations from your address: at most 1 per hour.")


def test_messages_per_session(live_server) -> None:
    server = live_server(limit_session_turns_per_minute=2)
    clock = clock_of(server)
    with server.client() as client:
        sid = chat(client, message="Hello")[0]["session_id"]  # the first message counts for its session
        chat(client, session_id=sid, message="A follow-up next Tuesday?")
        limited = post_chat(client, session_id=sid, message="And another")
        assert_limited(limited, clock, 60, "Too many messages in this conversation: at most 2 per minute.")
        chat(client, message="Another conversation is not limited by this one")
        clock.advance(timedelta(seconds=60))
        chat(client, session_id=sid, message="A minute later")


# --------------------------------------------------------------------------- booking endpoints


def test_book_and_cancel_requests_per_client_address(live_server) -> None:
    server = live_server(limit_client_bookings_per_minute=3)
    clock = clock_of(server)
    with server.client() as client:
        first = book_ok(client, TUESDAY, "09:00")
        book_ok(client, TUESDAY, "10:00")
        cancel = client.post(
            f"{API}/bookings/{first['booking_id']}/cancel", json={"confirmation_code": first["confirmation_code"]}
        )
        assert cancel.status_code == 200
        limited = book(client, TUESDAY, "11:00")
        assert_limited(limited, clock, 60, "Too many booking requests from your address: at most 3 per minute.")
        again = client.post(
            f"{API}/bookings/{first['booking_id']}/cancel", json={"confirmation_code": first["confirmation_code"]}
        )
        assert again.status_code == 429, "cancel is limited too"
        assert (
            client.get(f"{API}/availability", params={"date": TUESDAY, "appointment_type": "followup"}).status_code
            == 200
        )
        assert len(stored_bookings(server.settings.database_url)) == 2, "nothing written when refused"
        clock.advance(timedelta(seconds=60))
        assert book(client, TUESDAY, "11:00").status_code == 201


def test_the_agents_own_booking_calls_are_not_counted_as_one_client(stub_server) -> None:
    server = stub_server(limit_client_bookings_per_minute=1)
    server.script.extend([BOOK, {"text": "Booked."}])
    with server.client() as client:
        book_ok(client, TUESDAY, "10:00")
        assert book(client, TUESDAY, "11:00").status_code == 429, "this address has used its limit"
        sid = chat(client, message="Book it")[0]["session_id"]
        done = chat(client, session_id=sid, confirm=True)[-1]
    assert done["booking"]["start_time"] == "09:00", "the agent's in-process call was not refused"


# --------------------------------------------------------------------------- model-call budgets


@pytest.fixture
def model_server():
    with OpenAICompatibleServer(lambda body: Reply(text="Happy to help. What would you like to book?")) as server:
        yield server


def openai_live_server(live_server, model_server: OpenAICompatibleServer, **settings: Any) -> LiveServer:
    return live_server(
        **openai_provider(model_server),
        app_factory=create_app,
        **settings,
    )


def test_a_session_over_its_model_call_budget_gets_a_reply_without_a_model_call(
    live_server, model_server: OpenAICompatibleServer
) -> None:
    server = openai_live_server(live_server, model_server, limit_session_model_calls=2)
    with server.client() as client:
        sid = chat(client, message="Hello")[0]["session_id"]
        chat(client, session_id=sid, message="A follow-up?")
        assert len(model_server.requests) == 2
        over = chat(client, session_id=sid, message="And again")
        assert over[-1]["type"] == "done" and over[-1]["reply"] == SESSION_BUDGET_REPLY
        assert len(model_server.requests) == 2, "no model call over budget"
        chat(client, message="A new conversation has its own budget")
        assert len(model_server.requests) == 3


def test_a_client_over_its_daily_model_call_budget(live_server, model_server: OpenAICompatibleServer) -> None:
    server = openai_live_server(live_server, model_server, limit_client_model_calls_per_day=2)
    clock = clock_of(server)
    with server.client() as client:
        chat(client, message="Hello")
        chat(client, message="Hello from a second conversation")
        over = chat(client, message="A third")
        assert over[-1]["reply"] == DAY_BUDGET_REPLY
        assert len(model_server.requests) == 2, "no model call over budget"
        clock.advance(timedelta(days=1))
        assert chat(client, message="The next day")[-1]["reply"] == "Happy to help. What would you like to book?"
        assert len(model_server.requests) == 3


def test_a_refused_message_counts_for_no_limit(live_server) -> None:
    server = live_server(limit_client_turns_per_minute=3, limit_session_turns_per_minute=1)
    with server.client() as client:
        sid = chat(client, message="Hello")[0]["session_id"]  # address 1 of 3
        for _ in range(3):  # refused by the session's limit: the address's count stays at 1
            assert post_chat(client, session_id=sid, message="Again").status_code == 429
        chat(client, message="A second conversation")
        chat(client, message="A third conversation")
        limited = post_chat(client, message="A fourth")
        assert limited.json()["detail"].startswith("Too many messages from your address: at most 3 per minute.")


def test_the_agent_tells_the_model_the_patient_holds_the_most_upcoming_bookings(stub_server) -> None:
    server = stub_server(limit_upcoming_bookings=1)
    server.script.extend([BOOK, {"text": "You already have an upcoming booking."}])
    patient = {"name": "Jane Roe", "email": "jane@example.com", "phone": "555 0100"}  # BOOK's patient
    with server.client() as client:
        book_ok(client, TUESDAY, "10:00", patient=patient)
        sid = chat(client, message="Book it")[0]["session_id"]
        events = chat(client, session_id=sid, confirm=True)
    result = next(e for e in events if e["type"] == "tool_result")
    assert result["ok"] is False and result["data"]["error"] == "too_many_upcoming"
    assert "already has 1 upcoming booking, the most one patient may hold" in result["data"]["message"]
    assert "alternatives" not in result["data"], "no other times offered"
    assert events[-1]["type"] == "done" and not events[-1].get("booking")
    assert len(stored_bookings(server.settings.database_url)) == 1


def test_retries_count_against_the_daily_budget(live_server) -> None:
    answers = iter([Reply(status=500, headers={}), Reply(text="Hello! How can I help?")])
    with OpenAICompatibleServer(lambda body: next(answers, Reply(text="unexpected call"))) as model_server:
        server = openai_live_server(live_server, model_server, limit_client_model_calls_per_day=2)
        with server.client() as client:
            first = chat(client, message="Hello")  # one failed call, one retry: both cost
            assert first[-1]["reply"] == "Hello! How can I help?"
            assert chat(client, message="Again")[-1]["reply"] == DAY_BUDGET_REPLY
        assert len(model_server.requests) == 2


def test_holds_lookups_and_reschedules_count_as_booking_requests(live_server) -> None:
    server = live_server(limit_client_bookings_per_minute=3)
    with server.client() as client:
        hold = client.post(
            f"{API}/holds", json={"appointment_type": "followup", "date": TUESDAY, "start_time": "09:00"}
        )
        assert hold.status_code == 201, hold.text
        lookup = client.post(f"{API}/bookings/lookup", json={"confirmation_code": "ABCDEFGH", "email": "a@example.com"})
        assert lookup.status_code == 404
        moved = client.post(
            f"{API}/bookings/APPT-1/reschedule",
            json={"confirmation_code": "ABCDEFGH", "date": TUESDAY, "start_time": "10:00"},
        )
        assert moved.status_code == 404
        for refused in (
            client.post(f"{API}/holds", json={"appointment_type": "followup", "date": TUESDAY, "start_time": "10:00"}),
            client.post(f"{API}/bookings/lookup", json={"confirmation_code": "ABCDEFGH", "email": "a@example.com"}),
        ):
            assert refused.status_code == 429 and "Retry-After" in refused.headers
