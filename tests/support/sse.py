"""A small Server-Sent Events reader for tests (httpx streaming responses)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx


def parse_block(block: list[str]) -> dict[str, Any] | None:
    """One SSE event (lines up to a blank line) -> {"event", "data"}; comments are skipped."""
    event, data = None, []
    for line in block:
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
    if event is None and not data:
        return None
    return {"event": event, "data": json.loads("\n".join(data))}


class _Blocks:
    """Collects lines into events: `feed` returns an event at each blank line that ends one."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def feed(self, line: str) -> dict[str, Any] | None:
        if line:
            self.lines.append(line)
            return None
        block, self.lines = self.lines, []
        return parse_block(block)


def parse_text(text: str) -> list[dict[str, Any]]:
    """Every event of a complete stream body."""
    blocks = _Blocks()
    lines = text.replace("\r\n", "\n").split("\n") + [""]
    return [event for line in lines if (event := blocks.feed(line)) is not None]


def iter_events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    blocks = _Blocks()
    for line in response.iter_lines():
        if (event := blocks.feed(line)) is not None:
            yield event


async def aiter_events(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    blocks = _Blocks()
    async for line in response.aiter_lines():
        if (event := blocks.feed(line)) is not None:
            yield event


def chat(client: httpx.Client, **body: Any) -> list[dict[str, Any]]:
    """POST /api/chat and collect every event's data (asserting SSE framing on the way)."""
    with client.stream("POST", "/api/chat", json=body) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        events = []
        for sse in iter_events(response):
            assert sse["event"] == sse["data"]["type"], "the SSE event name is the event's type"
            events.append(sse["data"])
        return events
