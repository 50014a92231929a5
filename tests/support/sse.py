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


def iter_events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    block: list[str] = []
    for line in response.iter_lines():
        if line == "":
            if (parsed := parse_block(block)) is not None:
                yield parsed
            block = []
        else:
            block.append(line)


async def aiter_events(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    block: list[str] = []
    async for line in response.aiter_lines():
        if line == "":
            if (parsed := parse_block(block)) is not None:
                yield parsed
            block = []
        else:
            block.append(line)


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
