"""One base for the project's own chat models (the stub, the offline model, the benchmark's).

Each of them decides a whole reply at once (`_reply`) and then streams it the way a real
provider does: the text in word-sized pieces, then one last chunk with the tool calls, the
token usage and the finish reason. LangChain's streaming and callbacks run unchanged on top.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from abc import abstractmethod
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

# `additional_kwargs` key of a reply whose streamed tool-call arguments were not JSON (call id ->
# why), set by agent/models/openai.py and read by agent/tool_guard.py. Here, so that reading it
# does not import langchain-openai.
UNPARSED = "unparsed_tool_calls"


def pieces(text: str) -> list[str]:
    """Word-sized stream pieces whose concatenation is exactly `text`."""
    return re.findall(r"\S+\s*|\s+", text) if text else []


def chunks_of(message: AIMessage) -> Iterator[AIMessageChunk]:
    """`message` as a provider would stream it."""
    for piece in pieces(message.text):
        yield AIMessageChunk(content=piece)
    yield AIMessageChunk(
        content="",
        tool_call_chunks=[
            tool_call_chunk(name=c["name"], args=json.dumps(c["args"]), id=c["id"], index=i)
            for i, c in enumerate(message.tool_calls)
        ],
        usage_metadata=message.usage_metadata,
        response_metadata=message.response_metadata,
        chunk_position="last",
    )


class StreamingChatModel(BaseChatModel):
    """A chat model whose subclasses only decide the reply; the streaming is written once here.

    `reply_delay` seconds pass before a reply starts (a model's latency) and `piece_delay`
    seconds before each streamed piece, so timing behaviour is observable in tests.
    """

    reply_delay: float = 0.0
    piece_delay: float = 0.0

    @abstractmethod
    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        """The whole answer to this history: text and/or tool calls, with usage metadata."""

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        time.sleep(self.reply_delay)
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        # on the event loop: the base class would hand the call to a thread
        await asyncio.sleep(self.reply_delay)
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        time.sleep(self.reply_delay)
        for chunk in chunks_of(self._reply(messages)):
            if self.piece_delay:
                time.sleep(self.piece_delay)
            yield ChatGenerationChunk(message=chunk)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        # LangChain reports each chunk to the callbacks (token streaming) itself
        if self.reply_delay:
            await asyncio.sleep(self.reply_delay)
        for chunk in chunks_of(self._reply(messages)):
            if self.piece_delay:
                await asyncio.sleep(self.piece_delay)
            yield ChatGenerationChunk(message=chunk)
