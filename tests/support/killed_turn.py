"""The model of a server that dies mid-turn, for the tests that SIGKILL one (one server
restarted, or another instance taking over the session)."""

from __future__ import annotations

import threading
from typing import Any

from tests.support.openai_server import Reply
from tests.support.stub_turns import BOOK_ARGS

PATIENT = "9:00, Jane Roe, jane@example.com, 555 0100"
BOOKED = "You're booked for Tuesday, December 1 at 9:00 AM."


class KillAfterBooking:
    """Asks to book; after the booking's result it holds its reply (the test kills the server
    then); later calls answer the conversation as it stands."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.holding = threading.Event()

    def __call__(self, body: dict[str, Any]) -> Reply:
        messages = body["messages"]
        last = messages[-1]
        if last["role"] == "user" and not any(m["role"] == "tool" for m in messages):
            return Reply(tool_calls=[("call_book_1", "book_slot", BOOK_ARGS)])
        if last["role"] == "tool" and not self.holding.is_set():
            self.holding.set()  # the booking ran and its result was saved: now the server dies
            self.release.wait(30)
            return Reply(text="(never seen: the server was killed)")
        if last["role"] == "tool":
            return Reply(text=BOOKED)
        return Reply(text="You're all set, see you then.")
