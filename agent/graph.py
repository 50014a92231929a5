"""The agent graph: `create_agent` with the project's middleware.

- the system prompt is rendered from the prompt file (or a staff override) on every model call,
  so "today" is always the clock's today;
- `book_slot`, `reschedule_booking` and `cancel_booking` pause the run for the patient's
  explicit yes (human-in-the-loop);
- per-message limits on model and tool calls (agent/limits.py: no extra graph nodes);
  broken tool calls go back to the model before any card or tool (agent/tool_guard.py);
  retries with backoff on transient model errors, within the first token's deadline.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from langchain.agents import AgentState, create_agent
from langchain.agents.middleware import (
    HumanInTheLoopMiddleware,
    ModelRequest,
    dynamic_prompt,
)
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import ToolCall
from langchain_core.tools import BaseTool
from langgraph.types import Checkpointer

from agent.events import change_summary
from agent.history import booking_changed_by
from agent.holds import SlotHoldMiddleware
from agent.idempotency import IdempotencyKeyMiddleware
from agent.limits import ModelBudgetMiddleware, TurnLimitsMiddleware
from agent.prompts import default_template, render_prompt
from agent.retry import TransientRetryMiddleware
from agent.safety import SafetyGuardMiddleware
from agent.tool_guard import ToolCallGuardMiddleware
from core.clock import Clock
from core.formats import TimeFormat
from tools.holds import SlotHolds

MODEL_CALLS_PER_TURN = 8
TOOL_CALLS_PER_TURN = 6
CONFIRMED_TOOLS = ("book_slot", "reschedule_booking", "cancel_booking")  # each waits for the patient's yes


@dataclass(frozen=True)
class TurnContext:
    """Per-run context: a staff prompt override (playground) or None for the shipped prompt,
    and the client address the turn came from (for the per-day model-call budget)."""

    prompt_template: str | None = None
    client: str | None = None


class SessionState(AgentState[Any]):
    """The agent state, plus the patient's answers to confirmations (for the transcript)."""

    answers: Annotated[list[dict[str, Any]], operator.add]


def build_graph(
    model: BaseChatModel,
    tools: Sequence[BaseTool],
    *,
    clock: Clock,
    clinic_name: str,
    checkpointer: Checkpointer,
    retry_delay: float = 0.5,
    time_format: TimeFormat = "12h",
    model_retries: int = 2,
    first_token_seconds: float | None = None,
    holds: SlotHolds | None = None,
    budget: ModelBudgetMiddleware | None = None,
) -> Any:
    """Compile the agent for one model; `time_format` is how the confirmation shows the time;
    `first_token_seconds` bounds the wait for each reply's first token, retries included;
    `budget` caps model calls per conversation and per client a day."""

    def summary(tool_call: ToolCall, state: Any, runtime: Any) -> str:
        args = dict(tool_call["args"])
        messages = state.get("messages", []) if isinstance(state, dict) else []
        return change_summary(tool_call["name"], args, booking_changed_by(args, messages), time_format)

    @dynamic_prompt
    def system_prompt(request: ModelRequest) -> str:
        context = request.runtime.context if request.runtime else None
        template = getattr(context, "prompt_template", None) or default_template()
        return render_prompt(template, clock=clock, clinic_name=clinic_name, time_format=time_format)

    return create_agent(
        model,
        list(tools),
        middleware=[
            SafetyGuardMiddleware(),  # first: a red-flag emergency ends the turn before any model call
            system_prompt,
            TurnLimitsMiddleware(model_calls=MODEL_CALLS_PER_TURN, tool_calls=TOOL_CALLS_PER_TURN),
            *([SlotHoldMiddleware(holds)] if holds else []),  # the slot waits with the confirmation
            ToolCallGuardMiddleware(tools, checked=CONFIRMED_TOOLS),  # broken calls: back to the model, not a card
            TransientRetryMiddleware(
                max_retries=model_retries,
                initial_delay=retry_delay,
                max_delay=4.0,
                first_token_seconds=first_token_seconds,
            ),
            *([budget] if budget else []),  # inside the retries: every call that would cost counts
            IdempotencyKeyMiddleware(),  # a change sent twice (retry, resumed confirmation) happens once
            HumanInTheLoopMiddleware(
                {name: {"allowed_decisions": ["approve", "reject"], "description": summary} for name in CONFIRMED_TOOLS}
            ),
        ],
        state_schema=SessionState,
        context_schema=TurnContext,
        checkpointer=checkpointer,
    )
