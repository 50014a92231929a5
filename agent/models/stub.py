"""A scripted chat model for tests, scripted conversations and benchmarks.

Each model call takes the next reply from a shared queue: `{"text": ...}` or
`{"tool_calls": [{"name": ..., "args": {...}}]}`. Text streams word by word, with optional
per-token latency, so streaming behaviour is observable. Running out of replies is an error
that says so, not a silent empty answer.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from pydantic import ConfigDict, Field

from agent.models.base import StreamingChatModel

Reply = dict[str, Any]


class StubExhausted(RuntimeError):
    """The model was called more often than the script has replies."""


class StubScript:
    """The queue of replies shared by every binding of a StubChatModel."""

    def __init__(self, replies: Sequence[Reply] = ()) -> None:
        self.queue: deque[Reply] = deque(replies)
        self.consumed: list[Reply] = []

    def extend(self, replies: Sequence[Reply]) -> None:
        self.queue.extend(replies)

    def pop(self) -> Reply:
        if not self.queue:
            raise StubExhausted(
                f"the stub model ran out of replies (it was called a {len(self.consumed) + 1}. time; "
                "add a reply to this turn's `stub` list)"
            )
        reply = self.queue.popleft()
        self.consumed.append(reply)
        return reply


class StubChatModel(StreamingChatModel):
    """Replays a StubScript; `piece_delay` seconds before each streamed piece."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: StubScript = Field(default_factory=StubScript)
    render: Callable[[str], str] | None = None  # fills {{booking.confirmation_code}} in text and arguments

    @property
    def _llm_type(self) -> str:
        return "stub"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> StubChatModel:
        return self

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        reply = self.script.pop()
        render = self.render or (lambda value: value)
        calls = [
            {
                "name": c["name"],
                "args": {k: render(v) if isinstance(v, str) else v for k, v in dict(c.get("args", {})).items()},
                "id": c.get("id") or f"call_{uuid.uuid4().hex[:12]}",
            }
            for c in reply.get("tool_calls", [])
        ]
        text = reply.get("text", "")
        text = render(text) if text else text
        words = len(text.split())
        return AIMessage(
            content=text,
            tool_calls=calls,
            usage_metadata={"input_tokens": 0, "output_tokens": words, "total_tokens": words},
        )
