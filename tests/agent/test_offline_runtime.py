"""The offline model as the app's default LLM: the project's own graph and turn runner, end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from api.deps import runtime_of, services
from api.main import create_app
from core.settings import Settings


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[Any]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/bookings.db",
        scheduler_now="2026-11-23T09:00:00",
        llm_provider="offline",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def turn(app: Any, session_id: str | None, message: str | None = None, confirm: bool | None = None) -> list[dict]:
    started = await runtime_of(app).start_turn(session_id, message, confirm)
    return [event async for event in started.events()]


def kinds(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


async def test_offline_model_books_end_to_end(app: Any) -> None:
    first = await turn(app, None, "Hi! Can I get a follow-up next Tuesday morning?")
    session_id = first[0]["session_id"]
    assert kinds(first)[:3] == ["session", "tool_call", "tool_result"]
    assert first[1]["args"] == {"date": "2026-12-01", "appointment_type": "followup", "time_of_day": "morning"}
    tokens = [e["text"] for e in first if e["type"] == "token"]
    done = first[-1]
    assert done["type"] == "done" and tokens  # merged into fewer events when they queue up
    assert "".join(tokens).strip() == done["reply"].strip()
    assert "Tuesday, December 1" in done["reply"] and "8:30" in done["reply"]
    assert done["usage"]["output_tokens"] > 0 and done["usage"]["input_tokens"] > 0

    second = await turn(app, session_id, "9:00 please. Jane Roe, jane@example.com, 555 0100")
    assert kinds(second) == ["session", "tool_call", "confirm", "done"]
    assert second[2]["args"]["start_time"] == "09:00"
    assert await services(app).scheduler.bookings() == []

    third = await turn(app, session_id, "yes")
    (booking,) = await services(app).scheduler.bookings()
    assert third[-1]["booking"]["booking_id"] == booking.booking_id
    assert booking.confirmation_code in third[-1]["reply"] and "9:00" in third[-1]["reply"]


async def test_declining_by_button_reaches_the_model(app: Any) -> None:
    first = await turn(app, None, "physical on Wednesday at 9:00 for Jane Roe, jane@example.com, 555 0100")
    assert first[-1]["pending"] is not None
    second = await turn(app, first[0]["session_id"], confirm=False)
    assert "haven't booked anything" in second[-1]["reply"]
    assert await services(app).scheduler.bookings() == []
