"""Broken tool calls go back to the model to fix, never to the tools or the patient's confirm card.

The check runs on the model's reply inside the model node (`awrap_model_call`), so a broken
call never reaches the human-in-the-loop pause (which would show it as a card, "Book a None
appointment ... for ?") nor a tool. Broken means:
- arguments that are not JSON: LangChain's `invalid_tool_calls`, and arguments cut off mid-way
  that its partial parser silently completed (agent/models/openai.py marks those, UNPARSED);
- a call to a tool that does not exist;
- arguments of a gated tool (CONFIRMED_TOOLS: `book_slot` ...) that do not fit its schema (the other tools check
  their own arguments when they run, and answer the model the same way).
The model is asked again with its reply and one error ToolMessage per call (the validation
message), at most `fixes` times; if it still cannot make a valid call, the turn ends with a
clear reply to the patient (CANNOT_FIX_REPLY). The failed attempts stay out of the saved
conversation: it holds the fixed reply only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ValidationError

from agent.models.base import UNPARSED

log = logging.getLogger("agent")

CANNOT_FIX_REPLY = (
    "Sorry, something went wrong while I was preparing that, and nothing has been booked or changed. "
    "Could you tell me again, in one message, what you would like?"
)
HINT = "Nothing was run. Fix the call and make it again; ask the patient for anything you do not know."
_NOT_RUN = "not run: another tool call in the same reply was invalid"


class ToolCallGuardMiddleware(AgentMiddleware[Any, Any]):
    """Checks each model reply's tool calls; a reply with a broken one is sent back to be fixed."""

    def __init__(self, tools: Sequence[BaseTool], *, checked: Collection[str], fixes: int = 2) -> None:
        super().__init__()
        self.known = {tool.name: tool for tool in tools}  # not `tools`: that adds tools to the agent
        self.checked = frozenset(checked)
        self.fixes = fixes

    def problems(self, message: AIMessage) -> dict[str, str]:
        """Why each broken call of `message` cannot run, by call id (empty: every call is fine)."""
        found: dict[str, str] = {}
        unparsed: dict[str, str] = message.additional_kwargs.get(UNPARSED) or {}
        for bad in message.invalid_tool_calls:
            detail = f" ({bad['error']})" if bad.get("error") else ""
            found[str(bad.get("id"))] = f"{bad.get('name')}: the arguments are not valid JSON{detail}"
        for call in message.tool_calls:
            call_id, name = str(call["id"]), call["name"]
            tool = self.known.get(name)
            if tool is None:
                found[call_id] = f"there is no tool named {name!r}; the tools are {', '.join(sorted(self.known))}"
            elif call_id in unparsed:
                found[call_id] = f"{name}: {unparsed[call_id]}"
            elif name in self.checked and (error := _schema_error(tool, call["args"])):
                found[call_id] = f"{name}: {error}"
        return found

    async def awrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], Awaitable[ModelResponse]]
    ) -> ModelResponse | AIMessage:
        messages: list[Any] = list(request.messages)
        for attempt in range(self.fixes + 1):
            response = await handler(request if attempt == 0 else request.override(messages=messages))
            reply = next((m for m in response.result if isinstance(m, AIMessage)), None)
            problems = self.problems(reply) if reply is not None else {}
            if reply is None or not problems:
                return response
            # Tool names and counts only: the arguments hold the patient's details.
            log.warning("invalid tool call sent back to the model", extra={"calls": len(problems), "attempt": attempt})
            messages += [reply, *_answers(reply, problems)]
        return AIMessage(content=CANNOT_FIX_REPLY)


def _schema_error(tool: BaseTool, args: dict[str, Any]) -> str | None:
    """The schema's complaint about `args` in one line (field: message; ...), or None."""
    schema = tool.args_schema
    if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        return None
    try:
        schema.model_validate(args)
    except ValidationError as exc:
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors())
    return None


def _answers(reply: AIMessage, problems: dict[str, str]) -> list[BaseMessage]:
    """One error result per call of `reply` (every call needs an answer before the model speaks again)."""
    calls = [(str(c["id"]), c["name"]) for c in reply.tool_calls]
    calls += [(str(c.get("id")), str(c.get("name"))) for c in reply.invalid_tool_calls]
    return [
        ToolMessage(
            json.dumps({"ok": False, "error": "invalid_tool_call", "message": problems.get(i, _NOT_RUN), "hint": HINT}),
            tool_call_id=i,
            name=name,
            status="error",
        )
        for i, name in calls
    ]
