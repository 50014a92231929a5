"""Scripted model replies shared by the chat tests, and a stub model the test can hold mid-reply."""

from __future__ import annotations

import asyncio
from typing import Any

from agent.models.stub import StubChatModel

CHECK_ARGS = {"date": "2026-12-01", "appointment_type": "followup"}
CHECK = {"tool_calls": [{"name": "check_availability", "args": CHECK_ARGS}]}
OFFER = {"text": "Tuesday, December 1: 8:30, 9:00 or 9:30. Which would you like?"}
BOOK_ARGS: dict[str, Any] = {
    "date": "2026-12-01",
    "start_time": "09:00",
    "appointment_type": "followup",
    "patient_name": "Jane Roe",
    "patient_email": "jane@example.com",
    "patient_phone": "555 0100",
}
BOOK = {"tool_calls": [{"name": "book_slot", "args": BOOK_ARGS}]}


class GatedStub(StubChatModel):
    """Streams its first word, then waits for the test to open the gate before the rest."""

    gate: Any = None
    first_sent: Any = None
    outcome: Any = None  # a list shared with the test (typed Any so pydantic does not copy it)

    async def _astream(self, messages, stop=None, run_manager=None, **kwargs):
        first = True
        try:
            async for chunk in super()._astream(messages, stop, run_manager, **kwargs):
                yield chunk
                if first and chunk.message.content:
                    first = False
                    self.first_sent.set()
                    for _ in range(750):  # up to 15 s, in small awaits so cancellation lands
                        if self.gate.is_set():
                            break
                        await asyncio.sleep(0.02)
            self.outcome.append("finished")
        except asyncio.CancelledError:
            self.outcome.append("cancelled")
            raise
