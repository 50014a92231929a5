"""The OpenAI provider without internet: real langchain-openai and openai SDK code against a local
OpenAI-compatible server that streams a tool call (Chat Completions `tool_calls` deltas), then text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.deps import runtime_of
from api.main import create_app
from tests.support.openai_server import OpenAICompatibleServer, Reply, answered, openai_settings

REPLY = "Tuesday, December 1 has 9:00 and 9:30 free. Which one suits you?"


CHECK = {"date": "2026-12-01", "appointment_type": "followup", "time_of_day": "morning"}


def respond(body: dict[str, Any]) -> Reply:
    """A tool call first; once its result is in the conversation, the reply."""
    return Reply(text=REPLY) if answered(body) else Reply(tool_calls=[("call_local1", "check_availability", CHECK)])


@pytest.fixture
def openai_server() -> Iterator[OpenAICompatibleServer]:
    with OpenAICompatibleServer(respond) as server:
        yield server


async def test_openai_streams_a_tool_call_then_text(openai_server: OpenAICompatibleServer, tmp_path: Path) -> None:
    settings = openai_settings(f"sqlite:///{tmp_path}/b.db", openai_server)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        turn = await runtime_of(app).start_turn(None, "A follow-up next Tuesday morning, please")
        events = [e async for e in turn.events()]

    kinds = [e["type"] for e in events]
    call = next(e for e in events if e["type"] == "tool_call")
    result = next(e for e in events if e["type"] == "tool_result")
    tokens = [e["text"] for e in events if e["type"] == "token"]
    assert call["name"] == "check_availability" and call["args"]["date"] == "2026-12-01"
    assert result["ok"] and result["data"]["slots"][:3] == ["08:30", "08:45", "09:00"], "the tool really ran"
    assert len(tokens) >= 10 and "".join(tokens).strip() == REPLY, "the text streamed piece by piece"
    assert kinds.index("tool_result") < kinds.index("token") and kinds[-1] == "done"
    assert events[-1]["reply"] == REPLY

    first, second = openai_server.requests
    assert first["path"] == "/v1/chat/completions" and first["auth"] == "Bearer sk-local-test"
    assert first["body"]["stream"] is True and first["body"]["model"] == "local-model"
    assert {t["function"]["name"] for t in first["body"]["tools"]} == {
        "check_availability",
        "book_slot",
        "find_booking",
        "reschedule_booking",
        "cancel_booking",
        "clinic_info",
    }
    system = first["body"]["messages"][0]
    assert system["role"] == "system" and "Monday, 2026-11-23" in system["content"]
    tool_message = next(m for m in second["body"]["messages"] if m["role"] == "tool")
    assert tool_message["tool_call_id"] == "call_local1" and '"08:30"' in tool_message["content"]
