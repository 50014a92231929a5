"""A scripted chat model for tests, scripted conversations and benchmarks.

Each model call takes the next reply from a shared queue: `{"text": ...}` or
`{"tool_calls": [{"name": ..., "args": {...}}]}`. Text streams word by word, with optional
per-token latency, so streaming behaviour is observable. Running out of replies is an error
that says so, not a silent empty answer.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

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


def _words(text: str) -> list[str]:
    parts = text.split(" ")
    return [p + (" " if i < len(parts) - 1 else "") for i, p in enumerate(parts)]


class StubChatModel(BaseChatModel):
    """Replays a StubScript; `token_delay` seconds between streamed pieces (and before the first)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: StubScript = Field(default_factory=StubScript)
    token_delay: float = 0.0
    render: Callable[[str], str] | None = None  # e.g. fills {{booking.confirmation_code}}

    @property
    def _llm_type(self) -> str:
        return "stub"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> StubChatModel:  # type: ignore[override]
        return self

    def _message(self) -> AIMessage:
        reply = self.script.pop()
        calls = [
            {"name": c["name"], "args": dict(c.get("args", {})), "id": c.get("id") or f"call_{uuid.uuid4().hex[:12]}"}
            for c in reply.get("tool_calls", [])
        ]
        text = reply.get("text", "")
        if self.render and text:
            text = self.render(text)
        words = len(text.split())
        return AIMessage(
            content=text,
            tool_calls=calls,
            usage_metadata={"input_tokens": 0, "output_tokens": words, "total_tokens": words},
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._message())])

    def _chunks(self, message: AIMessage) -> Iterator[AIMessageChunk]:
        for piece in _words(message.content) if message.content else []:  # type: ignore[arg-type]
            yield AIMessageChunk(content=piece)
        if message.tool_calls:
            yield AIMessageChunk(
                content="",
                tool_call_chunks=[
                    tool_call_chunk(name=c["name"], args=json.dumps(c["args"]), id=c["id"], index=i)
                    for i, c in enumerate(message.tool_calls)
                ],
            )
        yield AIMessageChunk(content="", usage_metadata=message.usage_metadata, chunk_position="last")

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in self._chunks(self._message()):
            if self.token_delay:
                time.sleep(self.token_delay)
            if run_manager and isinstance(chunk.content, str) and chunk.content:
                run_manager.on_llm_new_token(chunk.content, chunk=ChatGenerationChunk(message=chunk))
            yield ChatGenerationChunk(message=chunk)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._chunks(self._message()):
            if self.token_delay:
                await asyncio.sleep(self.token_delay)
            if run_manager and isinstance(chunk.content, str) and chunk.content:
                await run_manager.on_llm_new_token(chunk.content, chunk=ChatGenerationChunk(message=chunk))
            yield ChatGenerationChunk(message=chunk)
