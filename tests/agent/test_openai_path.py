"""The OpenAI provider without internet: real langchain-openai and openai SDK code against a local
OpenAI-compatible server that streams a tool call (Chat Completions `tool_calls` deltas), then text."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from api.deps import runtime_of
from api.main import create_app
from core.settings import Settings

REPLY = "Tuesday, December 1 has 9:00 and 9:30 free. Which one suits you?"


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-local",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "local-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


class FakeOpenAI(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeOpenAI.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        answered = any(m["role"] == "tool" for m in body["messages"])
        if not answered:
            args = json.dumps({"date": "2026-12-01", "appointment_type": "followup", "time_of_day": "morning"})
            self.wfile.write(
                _chunk(
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_local1",
                                "type": "function",
                                "function": {"name": "check_availability", "arguments": ""},
                            }
                        ],
                    }
                )
            )
            for i in range(0, len(args), 16):  # the arguments arrive in pieces, as from a real server
                self.wfile.write(_chunk({"tool_calls": [{"index": 0, "function": {"arguments": args[i : i + 16]}}]}))
            self.wfile.write(_chunk({}, "tool_calls"))
        else:
            self.wfile.write(_chunk({"role": "assistant", "content": ""}))
            for word in REPLY.split(" "):
                self.wfile.write(_chunk({"content": word + " "}))
                self.wfile.flush()
            self.wfile.write(_chunk({}, "stop"))
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


@pytest.fixture
def openai_server() -> Iterator[str]:
    FakeOpenAI.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


async def test_openai_streams_a_tool_call_then_text(openai_server: str, tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/b.db",
        scheduler_now="2026-11-23T09:00:00",
        llm_provider="openai",
        openai_api_key="sk-local-test",
        openai_base_url=openai_server,
        openai_model="local-model",
    )
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

    first, second = FakeOpenAI.requests
    assert first["path"] == "/v1/chat/completions" and first["auth"] == "Bearer sk-local-test"
    assert first["body"]["stream"] is True and first["body"]["model"] == "local-model"
    assert {t["function"]["name"] for t in first["body"]["tools"]} == {"check_availability", "book_slot"}
    system = first["body"]["messages"][0]
    assert system["role"] == "system" and "Monday, 2026-11-23" in system["content"]
    tool_message = next(m for m in second["body"]["messages"] if m["role"] == "tool")
    assert tool_message["tool_call_id"] == "call_local1" and '"08:30"' in tool_message["content"]
