"""The app under uvicorn with a benchmark model: fixed latency per call, state-driven replies.

The model reads the conversation (not a shared script), so any number of sessions can run at
once: "check <date>" -> check_availability; after its result -> an offer; "book <date> <time>
<email>" -> book_slot; after the booking -> a confirmation. Its first text token carries the
model's monotonic clock (`@<t>|`), so the client can measure first-token delivery delay.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from typing import Any

import uvicorn
from fastapi import FastAPI
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agent.models.base import StreamingChatModel
from api.main import create_app
from core.logging import configure_logging
from core.settings import Settings


def _call(name: str, args: dict[str, Any]) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "id": f"call_{uuid.uuid4().hex[:10]}", "args": args}])


class BenchModel(StreamingChatModel):
    """Decides from the last message; `reply_delay` is the model's latency per call."""

    @property
    def _llm_type(self) -> str:
        return "bench"

    def bind_tools(self, tools: Any, **kwargs: Any) -> BenchModel:
        return self

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        last = messages[-1]
        if isinstance(last, ToolMessage):
            data = json.loads(last.content) if isinstance(last.content, str) and last.content.startswith("{") else {}
            if last.name == "check_availability":
                text = f"On {data.get('day')} I have {', '.join(data.get('slots', [])[:3])} free. Which one?"
            else:
                text = f"Booked: {data.get('booking_id')}, code {data.get('confirmation_code')}."
            # the first token carries the model's clock: the client measures first-token delivery
            return AIMessage(content=f"@{time.monotonic():.6f}|{text}")
        words = str(last.content).split() if isinstance(last, HumanMessage) else []
        if words[:1] == ["check"]:
            return _call("check_availability", {"date": words[1], "appointment_type": "consultation"})
        if words[:1] == ["book"]:
            return _call(
                "book_slot",
                {
                    "date": words[1],
                    "start_time": words[2],
                    "appointment_type": "consultation",
                    "patient_name": "Bench Patient",
                    "patient_email": words[3],
                    "patient_phone": "555 0100",
                },
            )
        return AIMessage(content=f"@{time.monotonic():.6f}|How can I help?")


# Hundreds of sessions from one loopback address, each booking with its own e-mail: the limits for
# one client (README "Limits") would refuse most of them. The benchmark measures the chat path.
LIMITS_OFF: dict[str, object] = {name: 0 for name in Settings.model_fields if name.startswith("limit_")}


def make_app() -> FastAPI:
    """The app with the benchmark model, latency from `BENCH_LATENCY`.

    A module-level factory because uvicorn spawns its workers: each imports this module and
    builds its own app, so each configures its own logging here.
    """
    settings = Settings(llm_provider="stub").model_copy(update=LIMITS_OFF)
    configure_logging(settings.log_level, settings.log_format)
    latency = float(os.environ.get("BENCH_LATENCY", "1.0"))
    return create_app(settings, model_hook=lambda _model: BenchModel(reply_delay=latency))


def main() -> None:
    """`chat_bench_server.py PORT LATENCY [WORKERS]`: serve until SIGTERM."""
    port, latency = int(sys.argv[1]), float(sys.argv[2])
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    os.environ["BENCH_LATENCY"] = str(latency)  # inherited by the spawned workers
    parent = Settings(llm_provider="stub")
    configure_logging(parent.log_level, parent.log_format)  # the parent's own lines (workers > 1)
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
