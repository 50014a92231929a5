"""Per-message limits on model and tool calls, as wrap-style middleware (no graph nodes).

LangChain's `ModelCallLimitMiddleware` and `ToolCallLimitMiddleware` keep their counters in the
state, so together they add three graph nodes (three LangGraph supersteps) around every model
call. Measured on the chat benchmark that was about a quarter of a turn's CPU. These limits
count from the conversation instead: the model calls and tool results since the patient's last
message. They end a runaway turn the same way (`exit_behavior="end"` / `"continue"`): a
closing reply without tools, and refused tool calls the model can read, so the saved
conversation stays well-formed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agent.confirmation import REJECTED
from core.ratelimit import DAY, Limit, Limiter, RateLimited

MODEL_LIMIT_REPLY = (
    "I'm sorry, I couldn't finish that request. Could you tell me again, in one message, what you would like to book?"
)
SESSION_BUDGET_REPLY = (
    "This conversation has reached its length limit, so I can't answer here any more. "
    "Please start a new conversation, or call the clinic."
)
DAY_BUDGET_REPLY = (
    "I've answered as many messages from your connection as I can today. Please try again tomorrow, or call the clinic."
)
TOOL_LIMIT_RESULT = (
    '{"ok": false, "error": "tool_call_limit", "message": "Too many tool calls for this message; '
    'answer the patient with what you already know."}'
)


def _since_last_patient_message(messages: Sequence[BaseMessage]) -> Sequence[BaseMessage]:
    """The messages after the patient's last words: a message, or a reply typed at a confirmation
    card (the card's tool result says "User rejected ... with reason: ..."), so questions asked at
    the card one after another each get a turn's calls."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if isinstance(message, HumanMessage) or (
            isinstance(message, ToolMessage) and message.status == "error" and _typed_at_card(message)
        ):
            return messages[index + 1 :]
    return messages


def _typed_at_card(message: ToolMessage) -> bool:
    content = message.content
    return isinstance(content, str) and REJECTED.match(content.strip()) is not None


class TurnLimitsMiddleware(AgentMiddleware[Any, Any]):
    """At most `model_calls` model calls and `tool_calls` tool calls per patient message."""

    def __init__(self, *, model_calls: int, tool_calls: int) -> None:
        super().__init__()
        self.model_calls = model_calls
        self.tool_calls = tool_calls

    async def awrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], Awaitable[ModelResponse]]
    ) -> ModelResponse | AIMessage:
        turn = _since_last_patient_message(request.messages)
        if sum(isinstance(m, AIMessage) for m in turn) >= self.model_calls:
            return AIMessage(content=MODEL_LIMIT_REPLY)
        return await handler(request)

    async def awrap_tool_call(self, request: Any, handler: Callable[[Any], Awaitable[Any]]) -> Any:
        call = request.tool_call
        messages = request.state.get("messages", []) if isinstance(request.state, dict) else []
        if _tool_calls_before(_since_last_patient_message(messages), call["id"]) >= self.tool_calls:
            return ToolMessage(TOOL_LIMIT_RESULT, tool_call_id=call["id"], name=call["name"], status="error")
        return await handler(request)


def _tool_calls_before(turn: Sequence[BaseMessage], call_id: str) -> int:
    """Tool calls already run this turn, plus those ahead of `call_id` in the same model reply
    (parallel calls run together, so their results are not in the state yet)."""
    done = sum(isinstance(m, ToolMessage) for m in turn)
    for message in reversed(turn):
        if isinstance(message, AIMessage):
            ids = [c["id"] for c in message.tool_calls]
            return done + (ids.index(call_id) if call_id in ids else 0)
    return done


class ModelBudgetMiddleware(AgentMiddleware[Any, Any]):
    """Model-call budgets, so a runaway or abusive conversation stops costing: at most
    `per_session` model calls in one conversation (counted from it: the assistant's messages,
    so the count is shared by every worker and survives a restart), and at most `per_day` per
    client address a day (the turn's context `client`; counted in this process, on the clock).
    Over budget, the patient gets a closing reply and no model is called. 0 switches one off."""

    def __init__(self, *, per_session: int, per_day: int, limiter: Limiter) -> None:
        super().__init__()
        self.per_session = per_session
        self.daily = Limit("model-calls", per_day, DAY, "model calls")
        self.limiter = limiter

    async def awrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], Awaitable[ModelResponse]]
    ) -> ModelResponse | AIMessage:
        if self.per_session and sum(isinstance(m, AIMessage) for m in request.messages) >= self.per_session:
            return AIMessage(content=SESSION_BUDGET_REPLY)
        client = getattr(request.runtime.context, "client", None) if request.runtime else None
        if client is not None:
            try:
                self.limiter.check((self.daily, client))
            except RateLimited:
                return AIMessage(content=DAY_BUDGET_REPLY)
        return await handler(request)
