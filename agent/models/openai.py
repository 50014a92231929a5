"""`ChatOpenAI` with bounded waits and a strict reading of streamed tool-call arguments.

- Waits: the stream goes through agent/models/watch.py (`bounded`), so a hang before the first
  token or a stall mid-reply ends within the settings' bounds, not the client's timeout.
- Arguments: LangChain assembles streamed tool-call arguments with a *partial* JSON parser, so
  arguments cut off mid-way (`{"patient_name": "Tru`) silently become a complete-looking call.
  Here the raw argument text of each streamed call is parsed strictly at the end of the stream;
  calls whose text is not JSON are listed in the message's `additional_kwargs[UNPARSED]`
  (id -> error), which the tool-call guard (agent/tool_guard.py) sends back to the model.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk
from langchain_openai import ChatOpenAI

from agent.models.base import UNPARSED
from agent.models.watch import bounded


class BoundedChatOpenAI(ChatOpenAI):
    """ChatOpenAI whose streamed replies start within `first_token_seconds` and never go silent
    for longer than `stall_seconds`."""

    first_token_seconds: float = 30.0
    stall_seconds: float = 15.0

    async def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        raw: dict[int, list[str]] = {}
        ids: dict[int, str] = {}
        stream = bounded(
            super()._astream(*args, **kwargs),
            first_token_seconds=self.first_token_seconds,
            stall_seconds=self.stall_seconds,
        )
        async for chunk in stream:
            if isinstance(chunk.message, AIMessageChunk):
                for piece in chunk.message.tool_call_chunks:
                    index = piece.get("index") or 0
                    raw.setdefault(index, []).append(piece.get("args") or "")
                    if piece.get("id"):
                        ids[index] = str(piece["id"])
            yield chunk
        unparsed = {ids.get(i, str(i)): error for i, parts in raw.items() if (error := _json_error("".join(parts)))}
        if unparsed:
            yield ChatGenerationChunk(message=AIMessageChunk(content="", additional_kwargs={UNPARSED: unparsed}))


def _json_error(text: str) -> str | None:
    """Why `text` is not a JSON object, or None if it is one (empty text: no arguments)."""
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"the arguments are not valid JSON ({exc.msg} at character {exc.pos}); they may have been cut off"
    return None if isinstance(value, dict) else "the arguments must be a JSON object"
