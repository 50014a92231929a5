"""The terminal shows the safety guard's guidance on its own, marked line."""

from __future__ import annotations

import io

from agent import events
from api.terminal import Printer


def test_safety_event_is_printed_marked() -> None:
    out = io.StringIO()
    printer = Printer(out, verbose=False)
    printer(events.safety("chest_pain", "Please call 911 now."))
    printer(events.done("Please call 911 now.", None))
    assert out.getvalue() == "agent> !! EMERGENCY !! Please call 911 now.\n"
