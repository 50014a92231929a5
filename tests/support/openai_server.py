"""A local OpenAI-compatible server for tests: Chat Completions over SSE, as real servers stream it
(HTTP/1.1 chunked, tool-call arguments in pieces, text word by word, a usage chunk when asked),
answering what the test's `respond(body)` decides. Real langchain-openai and openai SDK code
talks to it over loopback HTTP: no internet, no key.

    with OpenAICompatibleServer(respond) as server:   # server.url: ".../v1"; server.requests
        ...

A `Reply` can also misbehave as networks and providers do (`fault`): hang before the first
byte, stall or cut the stream after `fault_after` SSE events, or send a malformed event there.
A hang or stall lasts until the server stops (or `hang_seconds`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from core.settings import Settings

Fault = Literal["hang", "stall", "malformed", "cut"]


@dataclass
class Reply:
    """One model answer: text, or tool calls as (id, name, args); args given as a string are sent
    as they are (e.g. JSON cut off mid-way)."""

    text: str = ""
    tool_calls: list[tuple[str, str, dict[str, Any] | str]] = field(default_factory=list)
    status: int = 200  # not 200: an error answer (JSON, no stream) with `headers`, as providers send
    headers: dict[str, str] = field(default_factory=dict)
    fault: Fault | None = None
    fault_after: int = 2  # SSE events sent before a stall, cut or malformed event
    hang_seconds: float = 60.0  # the longest a hang or stall lasts (the server's exit ends it sooner)


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
        self._stopping = threading.Event()  # ends every hang and stall
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # chunked streams, as real APIs send: a cut is then detectable

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with owner._lock:
                    owner.requests.append(
                        {
                            "path": self.path,
                            "auth": self.headers.get("Authorization"),
                            "body": body,
                            "at": time.monotonic(),
                        }
                    )
                    reply = owner.respond(body)
                if reply.fault == "hang":
                    owner._stopping.wait(reply.hang_seconds)
                    self.close_connection = True
                    return
                if reply.status != 200:
                    self._error(reply)
                    return
                events = self._events(reply)
                if (body.get("stream_options") or {}).get("include_usage"):
                    events.append(_usage(body, reply))
                events.append(b"data: [DONE]\n\n")
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for number, event in enumerate(events):
                    if reply.fault and number == reply.fault_after:
                        self._misbehave(reply)
                        if reply.fault != "malformed":
                            return
                    self._send(event)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def _send(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _misbehave(self, reply: Reply) -> None:
                if reply.fault == "malformed":
                    self._send(b'data: {"id": "chatcmpl-local", "choices": [{"delta": {"content": "Hel\n\n')
                    return
                if reply.fault == "stall":
                    owner._stopping.wait(reply.hang_seconds)
                self.close_connection = True  # a cut: the chunked body never ends

            def _error(self, reply: Reply) -> None:
                payload = json.dumps({"error": {"message": reply.text or "error", "type": "error"}}).encode()
                self.send_response(reply.status)
                for name, value in {"Content-Type": "application/json", **reply.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _events(self, reply: Reply) -> list[bytes]:
                if reply.tool_calls:
                    heads = [
                        {"index": i, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
                        for i, (call_id, name, _) in enumerate(reply.tool_calls)
                    ]
                    events = [_chunk({"role": "assistant", "content": None, "tool_calls": heads})]
                    for i, (_, _, args) in enumerate(reply.tool_calls):
                        text = args if isinstance(args, str) else json.dumps(args)
                        for start in range(0, len(text), 16):  # the arguments arrive in pieces
                            piece = {"index": i, "function": {"arguments": text[start : start + 16]}}
                            events.append(_chunk({"tool_calls": [piece]}))
                    return [*events, _chunk({}, "tool_calls")]
                words = [_chunk({"content": word + " "}) for word in reply.text.split(" ")]
                return [_chunk({"role": "assistant", "content": ""}), *words, _chunk({}, "stop")]

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> OpenAICompatibleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()


def answered(body: dict[str, Any]) -> bool:
    """Whether the request already carries a tool result (the model's second call of a turn)."""
    return any(m["role"] == "tool" for m in body["messages"])


def openai_provider(server: OpenAICompatibleServer) -> dict[str, Any]:
    """The settings that point the app's openai provider at `server` (with a test key): for
    `Settings(...)`, `live_server(...)` or `serve_process(...)`."""
    return {
        "llm_provider": "openai",
        "openai_api_key": "sk-local-test",
        "openai_base_url": server.url,
        "openai_model": "local-model",
    }


def openai_settings(database_url: str, server: OpenAICompatibleServer) -> Settings:
    """Settings for the app's openai provider talking to `server` (a frozen clock, a test key)."""
    return Settings(database_url=database_url, scheduler_now="2026-11-23T09:00:00", **openai_provider(server))
