"""A local OpenAI-compatible server for tests: Chat Completions over SSE, as real servers stream it
(tool-call arguments in pieces, text word by word, a usage chunk when asked), answering what
the test's `respond(body)` decides. Real langchain-openai and openai SDK code talks to it over
loopback HTTP: no internet, no key.

    with OpenAICompatibleServer(respond) as server:   # server.url: ".../v1"; server.requests
        ...
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from core.settings import Settings


@dataclass
class Reply:
    """One model answer: text, or tool calls as (id, name, args)."""

    text: str = ""
    tool_calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200  # not 200: an error answer (JSON, no stream) with `headers`, as providers send
    headers: dict[str, str] = field(default_factory=dict)


Respond = Callable[[dict[str, Any]], Reply]


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-local",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "local-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


def _usage(body: dict[str, Any], reply: Reply) -> bytes:
    prompt = sum(len(str(m.get("content") or "").split()) for m in body["messages"])
    completion = len(reply.text.split()) + 10 * len(reply.tool_calls)
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    chunk = {"id": "chatcmpl-local", "object": "chat.completion.chunk", "created": 0, "model": "local-model"}
    return f"data: {json.dumps({**chunk, 'choices': [], 'usage': usage})}\n\n".encode()


class OpenAICompatibleServer:
    """`POST /v1/chat/completions` (stream: true) on a loopback port, answered by `respond`."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with owner._lock:
                    owner.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                    reply = owner.respond(body)
                if reply.status != 200:
                    self._error(reply)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self._stream(reply)
                if (body.get("stream_options") or {}).get("include_usage"):
                    self.wfile.write(_usage(body, reply))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _error(self, reply: Reply) -> None:
                payload = json.dumps({"error": {"message": reply.text or "error", "type": "error"}}).encode()
                self.send_response(reply.status)
                for name, value in {"Content-Type": "application/json", **reply.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, reply: Reply) -> None:
                if reply.tool_calls:
                    heads = [
                        {"index": i, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
                        for i, (call_id, name, _) in enumerate(reply.tool_calls)
                    ]
                    self.wfile.write(_chunk({"role": "assistant", "content": None, "tool_calls": heads}))
                    for i, (_, _, args) in enumerate(reply.tool_calls):
                        text = json.dumps(args)
                        for start in range(0, len(text), 16):  # the arguments arrive in pieces
                            piece = {"index": i, "function": {"arguments": text[start : start + 16]}}
                            self.wfile.write(_chunk({"tool_calls": [piece]}))
                    self.wfile.write(_chunk({}, "tool_calls"))
                    return
                self.wfile.write(_chunk({"role": "assistant", "content": ""}))
                for word in reply.text.split(" "):
                    self.wfile.write(_chunk({"content": word + " "}))
                    self.wfile.flush()
                self.wfile.write(_chunk({}, "stop"))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> OpenAICompatibleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def answered(body: dict[str, Any]) -> bool:
    """Whether the request already carries a tool result (the model's second call of a turn)."""
    return any(m["role"] == "tool" for m in body["messages"])


def openai_settings(database_url: str, server: OpenAICompatibleServer) -> Settings:
    """Settings for the app's openai provider talking to `server` (a frozen clock, a test key)."""
    return Settings(
        database_url=database_url,
        scheduler_now="2026-11-23T09:00:00",
        llm_provider="openai",
        openai_api_key="sk-local-test",
        openai_base_url=server.url,
        openai_model="local-model",
    )
