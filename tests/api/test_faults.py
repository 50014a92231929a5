"""The fault suite: a misbehaving model provider, one scenario each, through the real chat endpoint.

The app runs under uvicorn with the real openai provider (langchain-openai, the openai SDK)
talking over loopback HTTP to tests/support/openai_server.py, which streams SSE like the real
API and misbehaves as the scenario says. For every scenario the test checks: exactly one
terminal event (`done` or `error`), how many model calls the turn made (retries included),
what the patient sees, that nothing was booked without the patient's yes (the scheduling
service's own list), and that the server still serves (a following turn in the same session).
Time bounds are the settings', made small here (FAST) so the suite stays quick.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from agent.events import MODEL_UNAVAILABLE
from agent.limits import MODEL_LIMIT_REPLY, TOOL_LIMIT_RESULT
from agent.tool_guard import CANNOT_FIX_REPLY
from core.clock import Clock
from scheduler.service import SchedulerService
from scheduler.store import Booking
from tests.support.openai_server import OpenAICompatibleServer, Reply, openai_provider
from tests.support.servers import LiveServer
from tests.support.sse import chat
from tests.support.stub_turns import BOOK_ARGS, CHECK_ARGS

HELLO = "Hello, how can I help?"
FOLLOWING = "Happy to help with anything else."
FAST = {"first_token_seconds": 5.0, "stream_stall_seconds": 2.0, "model_retries": 2}  # roomy on a busy machine


class Script:
    """The provider's answers in order; once they run out, a plain reply (the following turn)."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)

    def __call__(self, body: dict[str, Any]) -> Reply:
        return self.replies.pop(0) if self.replies else Reply(text=FOLLOWING)


@dataclass
class Faulty:
    """A live app whose model is the local server; `turn()` sends one message over HTTP."""

    server: LiveServer
    model: OpenAICompatibleServer
    session_id: str | None = None

    def turn(self, **body: Any) -> tuple[list[dict[str, Any]], int]:
        """One turn's events, and how many model calls it made."""
        before = len(self.model.requests)
        if self.session_id:
            body["session_id"] = self.session_id
        with self.server.client(timeout=30.0) as client:
            events = chat(client, **body)
        self.session_id = events[0]["session_id"]
        terminal = [e for e in events if e["type"] in ("done", "error")]
        assert len(terminal) == 1 and events[-1] is terminal[0], "exactly one terminal event, last"
        return events, len(self.model.requests) - before

    def bookings(self) -> list[Booking]:
        """What the scheduling service holds (its own store, opened on the app's database)."""
        settings = self.server.settings
        service = SchedulerService.from_settings(settings, Clock("UTC"))

        async def read() -> list[Booking]:
            await service.start()
            try:
                return await service.bookings()
            finally:
                await service.stop()

        return asyncio.run(read())

    def still_serving(self) -> None:
        """A following turn in the same session is answered normally."""
        events, calls = self.turn(message="Thanks. One more question?")
        assert calls == 1 and events[-1]["type"] == "done" and events[-1]["reply"] == FOLLOWING


Start = Callable[..., Faulty]


@pytest.fixture
def faulty(live_server: Callable[..., LiveServer]) -> Iterator[Start]:
    """Factory: `faulty(*replies, **settings)` -> a Faulty app whose provider follows the script."""
    models: list[OpenAICompatibleServer] = []

    def start(*replies: Reply, **settings: Any) -> Faulty:
        model = OpenAICompatibleServer(Script(*replies)).__enter__()
        models.append(model)
        server = live_server(
            **openai_provider(model),
            **{**FAST, **settings},
        )
        return Faulty(server, model)

    yield start
    for model in models:
        model.__exit__(None, None, None)


def text_of(events: list[dict[str, Any]]) -> str:
    """What the patient read: the streamed tokens."""
    return "".join(e["text"] for e in events if e["type"] == "token").strip()


def tool_results(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool results the model was sent in one request (JSON content parsed)."""
    return [json.loads(m["content"]) for m in request["body"]["messages"] if m["role"] == "tool"]


def assert_try_again(events: list[dict[str, Any]]) -> None:
    error = events[-1]
    assert error == {"type": "error", "message": MODEL_UNAVAILABLE, "retryable": True}
    assert not any(e["type"] == "confirm" for e in events)


# --------------------------------------------------------------------------- provider errors


def test_429_with_retry_after_is_waited_for_then_answered(faulty: Start) -> None:
    app = faulty(Reply(status=429, text="Rate limit reached", headers={"Retry-After": "1"}), Reply(text=HELLO))
    events, calls = app.turn(message="Hello")
    assert calls == 2, "one 429, one retry"
    assert events[-1]["type"] == "done" and events[-1]["reply"] == HELLO == text_of(events)
    first, second = app.model.requests
    assert second["at"] - first["at"] >= 0.99, "the retry waited what Retry-After asked (1 s)"
    assert app.bookings() == []
    app.still_serving()


def test_429_without_retry_after_is_retried_with_backoff(faulty: Start) -> None:
    app = faulty(Reply(status=429, text="Rate limit reached"), Reply(text=HELLO))
    events, calls = app.turn(message="Hello")
    assert calls == 2 and events[-1]["type"] == "done" and text_of(events) == HELLO
    assert app.bookings() == []
    app.still_serving()


def test_a_retry_after_beyond_the_first_token_bound_is_not_waited_for(faulty: Start) -> None:
    """Retries share the patient's wait: a retry that could not start in time is not made."""
    app = faulty(Reply(status=429, headers={"Retry-After": "3"}), Reply(text=HELLO), first_token_seconds=1.0)
    events, calls = app.turn(message="Hello")
    assert calls == 1
    assert_try_again(events)
    app.model.respond = Script()  # the provider recovers (its queued answer is dropped)
    app.still_serving()


def test_500_every_time_gives_three_calls_then_try_again(faulty: Start) -> None:
    """MODEL_RETRIES=2: three calls in all, counted once (the OpenAI client itself never retries)."""
    app = faulty(*[Reply(status=500, text="server error")] * 3, first_token_seconds=10.0)
    events, calls = app.turn(message="Hello")
    assert calls == 3
    assert_try_again(events)
    assert text_of(events) == "" and app.bookings() == []
    app.still_serving()


# --------------------------------------------------------------------------- broken streams


def test_a_hang_before_the_first_byte_ends_at_the_first_token_bound(faulty: Start) -> None:
    app = faulty(Reply(fault="hang"), first_token_seconds=1.0)
    events, calls = app.turn(message="Hello")
    assert calls == 1, "the hang used the whole wait: no retry"
    assert_try_again(events)
    app.still_serving()


def test_a_stall_mid_stream_ends_at_the_stall_bound_without_a_retry(faulty: Start) -> None:
    app = faulty(Reply(text="Let me check that for you", fault="stall", fault_after=3), stream_stall_seconds=0.5)
    events, calls = app.turn(message="Hello")
    assert calls == 1, "text had streamed: a retry would show it twice"
    assert text_of(events) == "Let me", "what streamed before the stall"
    assert_try_again(events)
    app.still_serving()


def test_a_malformed_chunk_ends_the_turn_with_the_error(faulty: Start) -> None:
    app = faulty(Reply(text="Let me check that for you", fault="malformed", fault_after=2))
    events, calls = app.turn(message="Hello")
    assert calls == 1
    assert text_of(events) == "Let"
    assert_try_again(events)
    app.still_serving()


def test_a_stream_cut_mid_reply_ends_the_turn_with_the_error(faulty: Start) -> None:
    app = faulty(Reply(text="Let me check that for you", fault="cut", fault_after=3))
    events, calls = app.turn(message="Hello")
    assert calls == 1
    assert text_of(events) == "Let me"
    assert_try_again(events)
    app.still_serving()


# --------------------------------------------------------------------------- broken tool calls


def booking_by_confirm(app: Faulty, events: list[dict[str, Any]]) -> None:
    """The card shows the valid call; nothing is booked until the patient's yes, then one booking."""
    (card,) = [e for e in events if e["type"] == "confirm"]
    assert card["args"] == BOOK_ARGS
    assert (
        card["summary"]
        == "Book a follow-up on Tuesday, December 1 at 9:00 AM for Jane Roe, jane@example.com, 555 0100?"
    )
    assert app.bookings() == [], "nothing booked before the patient's yes"
    app.model.respond = Script(Reply(text="Booked, see you then."))
    confirmed, calls = app.turn(confirm=True)
    assert calls == 1 and confirmed[-1]["type"] == "done" and confirmed[-1]["booking"]
    (booking,) = app.bookings()
    assert (booking.patient_name, booking.start_time) == ("Jane Roe", "09:00")


CUT_OFF = json.dumps(BOOK_ARGS)[:60]  # '{"date": ..., "patient_name": "Ja' and no more


def test_cut_off_json_arguments_go_back_to_the_model_not_to_a_card(faulty: Start) -> None:
    app = faulty(
        Reply(tool_calls=[("call_1", "book_slot", CUT_OFF)]), Reply(tool_calls=[("call_2", "book_slot", BOOK_ARGS)])
    )
    events, calls = app.turn(message="Book me at 9:00, Jane Roe, jane@example.com, 555 0100")
    assert calls == 2, "one broken call, one fixed"
    (error,) = tool_results(app.model.requests[1])
    assert error["error"] == "invalid_tool_call" and "not valid JSON" in error["message"]
    assert events[-1]["type"] == "done" and events[-1]["pending"]["id"] == "call_2"
    booking_by_confirm(app, events)
    app.still_serving()


def test_unparseable_arguments_the_model_cannot_fix_end_with_a_clear_reply(faulty: Start) -> None:
    broken = Reply(tool_calls=[("call_x", "book_slot", '{"date": 2026-12-01, "start_time": }')])
    app = faulty(broken, broken, broken)
    events, calls = app.turn(message="Book me at 9:00")
    assert calls == 3, "the first call and two chances to fix it"
    assert events[-1]["type"] == "done" and events[-1]["pending"] is None
    assert events[-1]["reply"] == CANNOT_FIX_REPLY == text_of(events)
    assert not any(e["type"] in ("confirm", "tool_call") for e in events)
    assert app.bookings() == []
    app.still_serving()


def test_missing_arguments_go_back_to_the_model_not_to_a_card(faulty: Start) -> None:
    missing = {k: v for k, v in BOOK_ARGS.items() if k not in ("appointment_type", "patient_phone")}
    app = faulty(
        Reply(tool_calls=[("call_1", "book_slot", missing)]), Reply(tool_calls=[("call_2", "book_slot", BOOK_ARGS)])
    )
    events, calls = app.turn(message="Book me at 9:00, Jane Roe, jane@example.com, 555 0100")
    assert calls == 2
    (error,) = tool_results(app.model.requests[1])
    assert error["message"] == "book_slot: appointment_type: Field required; patient_phone: Field required"
    assert not any(e["type"] == "tool_call" and e["id"] == "call_1" for e in events), "no card, no event for it"
    booking_by_confirm(app, events)
    app.still_serving()


def test_a_call_to_an_unknown_tool_goes_back_to_the_model(faulty: Start) -> None:
    app = faulty(Reply(tool_calls=[("call_1", "cancel_all_bookings", {})]), Reply(text=HELLO))
    events, calls = app.turn(message="Hello")
    assert calls == 2
    (error,) = tool_results(app.model.requests[1])
    offered = sorted(t["function"]["name"] for t in app.model.requests[0]["body"]["tools"])
    assert "book_slot" in offered and "cancel_all_bookings" not in offered
    assert error["message"] == f"there is no tool named 'cancel_all_bookings'; the tools are {', '.join(offered)}"
    assert events[-1]["type"] == "done" and events[-1]["reply"] == HELLO and app.bookings() == []
    app.still_serving()


def test_an_endless_tool_loop_stops_at_the_turn_limits(faulty: Start) -> None:
    loop = [Reply(tool_calls=[(f"call_{i}", "check_availability", CHECK_ARGS)]) for i in range(8)]
    app = faulty(*loop)
    events, calls = app.turn(message="Anything on Tuesday?")
    assert calls == 8, "MODEL_CALLS_PER_TURN: the ninth call is never made"
    results = [e for e in events if e["type"] == "tool_result"]
    assert len(results) == 8 and all(r["ok"] for r in results[:6]), "six tool calls run"
    assert all(r["data"] == json.loads(TOOL_LIMIT_RESULT) for r in results[6:]), "the rest are refused"
    assert events[-1]["type"] == "done" and events[-1]["reply"] == MODEL_LIMIT_REPLY and app.bookings() == []
    app.still_serving()


def test_a_fault_after_the_booking_ran_leaves_one_booking_and_nothing_to_confirm_again(faulty: Start) -> None:
    """The model hangs on the reply after the patient's yes: the booking stands, once."""
    app = faulty(Reply(tool_calls=[("call_1", "book_slot", BOOK_ARGS)]), first_token_seconds=1.0)
    events, calls = app.turn(message="Book me at 9:00, Jane Roe, jane@example.com, 555 0100")
    assert calls == 1 and events[-1]["pending"]["id"] == "call_1" and app.bookings() == []
    app.model.respond = Script(Reply(fault="hang"))
    confirmed, calls = app.turn(confirm=True)
    assert calls == 1
    (result,) = [e for e in confirmed if e["type"] == "tool_result"]
    assert result["name"] == "book_slot" and result["ok"]
    assert_try_again(confirmed)
    assert len(app.bookings()) == 1
    with app.server.client() as client:
        again = client.post("/api/chat", json={"session_id": app.session_id, "confirm": True})
    assert again.status_code == 409, "no confirmation is waiting any more: a second yes books nothing"
    app.model.respond = Script()
    app.still_serving()
    assert len(app.bookings()) == 1
