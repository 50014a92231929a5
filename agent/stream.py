"""One run of the agent graph turned into the project's events, as the run goes.

LangGraph streams two things at once here: the model's message chunks (`messages`: the reply's
tokens) and each node's state update (`updates`: the model's tool calls, the tools' results and
the human-in-the-loop pause). This module maps both onto the event format of agent/events.py
and returns the turn's `done` event.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langgraph.types import Durability

from agent import events
from agent.history import CHANGE_TOOLS, pending_confirmation
from agent.safety import SAFETY_MARK
from core.logging import remember_patient_data

UsageKey = Literal["input_tokens", "output_tokens", "total_tokens"]
USAGE_KEYS: tuple[UsageKey, ...] = ("input_tokens", "output_tokens", "total_tokens")


_PATIENT_ARGS = ("patient_email", "patient_phone", "reason")


def remember_patient_args(args: dict[str, Any]) -> None:
    """Mask the patient data among a tool call's arguments in the turn's logs."""
    remember_patient_data(
        *(str(args.get(key) or "") for key in _PATIENT_ARGS), names=[str(args.get("patient_name") or "")]
    )


class _Collector:
    """What a turn has produced so far: the reply, the booking, the usage, the pause."""

    def __init__(self, emit: Callable[[events.Event], None]) -> None:
        self.emit = emit
        self.reply: list[str] = []
        self.booking: dict[str, Any] | None = None
        self.usage: dict[str, int] = dict.fromkeys(USAGE_KEYS, 0)
        self.started: dict[str, float] = {}
        self.model_messages: list[BaseMessage] = []
        self.pending: events.Event | None = None

    def chunk(self, chunk: Any, meta: dict[str, Any]) -> None:
        if not isinstance(chunk, (AIMessageChunk, AIMessage)) or meta.get("langgraph_node") != "model":
            return
        if usage := chunk.usage_metadata:
            for key in USAGE_KEYS:
                self.usage[key] += int(usage.get(key, 0) or 0)
        if text := chunk.text:
            self.reply.append(text)
            self.emit(events.token(text))

    def update(self, node: str, update: Any) -> None:
        if node == "__interrupt__":  # paused for the patient's yes; it lives in the checkpoint
            self.pending = pending_confirmation(update, self.model_messages)
            return
        for msg in (update or {}).get("messages", []) if isinstance(update, dict) else []:
            if isinstance(msg, AIMessage) and (hit := msg.additional_kwargs.get(SAFETY_MARK)):
                self.reply.append(msg.text)  # the safety guard's guidance: the turn's whole reply
                self.emit(events.safety(str(hit.get("category")), msg.text))
            elif node == "model" and isinstance(msg, AIMessage):
                self.model_messages.append(msg)
                if self.reply and msg.tool_calls and not self.reply[-1].endswith(("\n", " ")):
                    self.reply.append("\n")
                for call in msg.tool_calls:
                    remember_patient_args(call["args"])
                    self.started[str(call["id"])] = time.perf_counter()
                    self.emit(events.tool_call(str(call["id"]), call["name"], call["args"]))
            elif isinstance(msg, ToolMessage):
                result = events.tool_result(msg.tool_call_id, str(msg.name), msg.content, msg.status)
                if msg.tool_call_id in self.started:
                    result["ms"] = round((time.perf_counter() - self.started[msg.tool_call_id]) * 1000, 1)
                self.emit(result)
                if result["name"] in CHANGE_TOOLS and result["ok"]:
                    self.booking = result["data"]

    def done(self) -> events.Event:
        if self.pending:
            self.emit(self.pending)
        return events.done("".join(self.reply).strip(), self.booking, self.pending, self.usage)


async def run_graph(
    graph: Any,
    graph_input: Any,
    config: dict[str, Any],
    context: Any,
    emit: Callable[[events.Event], None],
    durability: Durability = "exit",
    *,
    finish_cut_run: bool = False,
) -> events.Event:
    """Run the graph, emit its events as they come, and return the turn's `done` event.

    `durability="exit"` writes one checkpoint, at the turn's end: a turn is saved whole or not at
    all (a cancelled turn leaves no trace) and SQLite sees one write per turn, not ten. A turn
    that changes the world (an approved booking) runs with "sync": each step is saved before
    the next begins, so the tool's result is in the conversation before the reply is written,
    whatever happens to the process afterwards.

    `finish_cut_run`: the session's last run was cut off between its steps (its process died):
    finish it first (a tool it was running runs again with the same idempotency key, so the
    service answers it once), then answer `graph_input`, as one turn.
    """
    collector = _Collector(emit)
    runs: list[tuple[Any, Durability]] = [(None, "sync")] if finish_cut_run else []
    for run_input, run_durability in [*runs, (graph_input, durability)]:
        async for mode, data in graph.astream(
            run_input, config, stream_mode=["messages", "updates"], context=context, durability=run_durability
        ):
            if mode == "messages":
                collector.chunk(*data)
            else:
                for node, update in data.items():
                    collector.update(node, update)
    return collector.done()
