"""The app under uvicorn with a benchmark model: fixed latency per call, state-driven replies.

The model reads the conversation (not a shared script), so any number of sessions can run at
once: "check <date>" -> check_availability; after its result -> an offer; "book <date> <time>
<email>" -> book_slot; after the booking -> a confirmation. Its first text token carries the
model's monotonic clock (`@<t>|`), so the client can measure first-token delivery delay.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from fastapi import FastAPI
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from api.main import create_app
from core.logging import configure_logging
from core.settings import Settings


class BenchModel(BaseChatModel):
    latency: float = 1.0

    @property
    def _llm_type(self) -> str:
        return "bench"

    def bind_tools(self, tools: Any, **kwargs: Any) -> BenchModel:
        return self

    def _decide(self, messages: list[BaseMessage]) -> AIMessage:
        last = messages[-1]
        if isinstance(last, ToolMessage):
            data = json.loads(last.content) if isinstance(last.content, str) and last.content.startswith("{") else {}
            if last.name == "check_availability":
                return AIMessage(
                    content=f"On {data.get('day')} I have {', '.join(data.get('slots', [])[:3])} free. Which one?"
                )
            return AIMessage(content=f"Booked: {data.get('booking_id')}, code {data.get('confirmation_code')}.")
        words = str(last.content).split() if isinstance(last, HumanMessage) else []
        call_id = f"call_{uuid.uuid4().hex[:10]}"
        if words[:1] == ["check"]:
            return AIMessage(
                content="",
                tool_calls=[
                    {
                        "name": "check_availability",
                        "id": call_id,
                        "args": {"date": words[1], "appointment_type": "consultation"},
                    }
                ],
            )
        if words[:1] == ["book"]:
            return AIMessage(
                content="",
                tool_calls=[
                    {
                        "name": "book_slot",
                        "id": call_id,
                        "args": {
                            "date": words[1],
                            "start_time": words[2],
                            "appointment_type": "consultation",
                            "patient_name": "Bench Patient",
                            "patient_email": words[3],
                            "patient_phone": "555 0100",
                        },
                    }
                ],
            )
        return AIMessage(content="How can I help?")

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        time.sleep(self.latency)
        return ChatResult(generations=[ChatGeneration(message=self._decide(messages))])

    async def _astream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        message = self._decide(messages)
        await asyncio.sleep(self.latency)
        if message.tool_calls:
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content="",
                    tool_call_chunks=[
                        tool_call_chunk(name=c["name"], args=json.dumps(c["args"]), id=c["id"], index=i)
                        for i, c in enumerate(message.tool_calls)
                    ],
                )
            )
            return
        words = str(message.content).split(" ")
        for i, word in enumerate(words):
            text = (f"@{time.monotonic():.6f}|" if i == 0 else "") + word + (" " if i < len(words) - 1 else "")
            chunk = AIMessageChunk(content=text)
            if run_manager:
                await run_manager.on_llm_new_token(text, chunk=ChatGenerationChunk(message=chunk))
            yield ChatGenerationChunk(message=chunk)


def make_app() -> FastAPI:
    """The app with the benchmark model, latency from `BENCH_LATENCY`.

    A module-level factory because uvicorn spawns its workers: each imports this module and
    builds its own app, so each configures its own logging here.
    """
    settings = Settings(llm_provider="stub")
    configure_logging(settings.log_level)
    latency = float(os.environ.get("BENCH_LATENCY", "1.0"))
    return create_app(settings, model_hook=lambda _model: BenchModel(latency=latency))


def main() -> None:
    """`chat_bench_server.py PORT LATENCY [WORKERS]`: serve until SIGTERM."""
    port, latency = int(sys.argv[1]), float(sys.argv[2])
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    os.environ["BENCH_LATENCY"] = str(latency)  # inherited by the spawned workers
    configure_logging(Settings(llm_provider="stub").log_level)  # the parent's own lines (workers > 1)
    uvicorn.run(
        "chat_bench_server:make_app",
        factory=True,
        workers=workers,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    os.environ.setdefault("LLM_PROVIDER", "stub")
    main()
