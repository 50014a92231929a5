"""The tool-call guard on its own: which calls are broken, and what goes back to the model."""

from __future__ import annotations

import json
from typing import Any

from langchain.agents.middleware import ModelRequest, ModelResponse
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import StructuredTool

from agent.models.base import UNPARSED
from agent.tool_guard import CANNOT_FIX_REPLY, ToolCallGuardMiddleware
from core.formats import HHMM_PATTERN
from tests.support.stub_turns import BOOK_ARGS, CHECK_ARGS
from tools.schemas import BookSlotArgs, CheckAvailabilityArgs


def tool(name: str, schema: type) -> StructuredTool:
    return StructuredTool.from_function(lambda **kwargs: "{}", name=name, description=name, args_schema=schema)


GUARD = ToolCallGuardMiddleware(
    [tool("book_slot", BookSlotArgs), tool("check_availability", CheckAvailabilityArgs)], checked=["book_slot"]
)


def call(call_id: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"id": call_id, "name": name, "args": args, "type": "tool_call"}


def test_valid_calls_and_unchecked_tools_pass() -> None:
    reply = AIMessage("", tool_calls=[call("a", "book_slot", BOOK_ARGS), call("b", "check_availability", {})])
    assert GUARD.problems(reply) == {}, "check_availability checks its own arguments when it runs"


def test_each_kind_of_broken_call_is_named() -> None:
    reply = AIMessage(
        "",
        tool_calls=[
            call("a", "book_slot", {**BOOK_ARGS, "start_time": "9am"}),
            call("b", "send_email", {}),
            call("c", "check_availability", {"date": "2026-12-01"}),
        ],
        invalid_tool_calls=[{"id": "d", "name": "book_slot", "args": "{", "error": None, "type": "invalid_tool_call"}],
        additional_kwargs={UNPARSED: {"c": "cut off"}},
    )
    assert GUARD.problems(reply) == {
        "a": f"book_slot: start_time: String should match pattern '^{HHMM_PATTERN}$'",
        "b": "there is no tool named 'send_email'; the tools are book_slot, check_availability",
        "c": "check_availability: cut off",
        "d": "book_slot: the arguments are not valid JSON",
    }


async def test_every_call_of_a_broken_reply_is_answered_and_the_fix_is_kept() -> None:
    broken = AIMessage("", tool_calls=[call("a", "check_availability", CHECK_ARGS), call("b", "book_slot", {})])
    fixed = AIMessage("", tool_calls=[call("c", "book_slot", BOOK_ARGS)])
    replies, seen = [broken, fixed], []

    async def handler(request: ModelRequest) -> ModelResponse:
        seen.append(request.messages)
        return ModelResponse(result=[replies.pop(0)])

    request = ModelRequest(model=GenericFakeChatModel(messages=iter([])), messages=[HumanMessage("book it")])
    response = await GUARD.awrap_model_call(request, handler)
    assert isinstance(response, ModelResponse) and response.result == [fixed]
    first, second = seen
    assert first == [HumanMessage("book it")] and second[:2] == [HumanMessage("book it"), broken]
    answers = {m.tool_call_id: json.loads(m.text) for m in second[2:] if isinstance(m, ToolMessage)}
    assert answers["a"]["message"] == "not run: another tool call in the same reply was invalid"
    assert answers["b"]["message"].startswith("book_slot: date: Field required; start_time: Field required")
    assert all(m.status == "error" for m in second[2:] if isinstance(m, ToolMessage))


async def test_a_model_that_never_fixes_its_call_gets_two_chances_then_the_patient_a_clear_reply() -> None:
    calls: list[int] = []

    async def handler(request: ModelRequest) -> ModelResponse:
        calls.append(1)
        return ModelResponse(result=[AIMessage("", tool_calls=[call(f"x{len(calls)}", "nope", {})])])

    request = ModelRequest(model=GenericFakeChatModel(messages=iter([])), messages=[HumanMessage("hi")])
    response = await GUARD.awrap_model_call(request, handler)
    assert len(calls) == 3 and isinstance(response, AIMessage) and response.content == CANNOT_FIX_REPLY
