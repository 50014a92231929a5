"""`OfflineChatModel`: the rule-based, network-free chat model the agent uses by default.

It is a real LangChain chat model: the agent graph binds the two tools to it, it answers with
real tool calls (so the same tools, service, confirmation step and streaming run as with an
LLM), and text replies stream word by word. It keeps no state: each call folds the messages it
is given (see `state.py`) and asks the policy for the next step (see `policy.py`).
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, PrivateAttr

from agent.models.base import StreamingChatModel
from agent.offline.clinic import CLINIC
from agent.offline.manage import MANAGE_TOOLS
from agent.offline.memo import Memo
from agent.offline.policy import Action, decide
from agent.offline.replies import Replies
from agent.offline.state import text_of
from core.clock import Clock
from core.formats import TimeFormat

MODEL_NAME = "offline-rules"


@functools.lru_cache(maxsize=256)
def _words(text: str) -> int:
    """An approximate token count; cached, as every call counts the same system prompt again."""
    return len(text.split())


class OfflineChatModel(StreamingChatModel):
    """A deterministic scheduling assistant that speaks through the agent's real tools."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    clock: Clock
    clinic_name: str = "the clinic"
    time_format: TimeFormat = "12h"
    tool_names: tuple[str, ...] = ()
    # shared by the copies `bind_tools` makes: the agent's bound model and this one fold alike
    _memo: Memo = PrivateAttr(default_factory=Memo)

    @property
    def _llm_type(self) -> str:
        return MODEL_NAME

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": MODEL_NAME, "clinic_name": self.clinic_name, "time_format": self.time_format}

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """A copy that knows the tool names; tool calls for tools it was not given are never made."""
        names = tuple(
            t.name if isinstance(t, BaseTool) else convert_to_openai_tool(t)["function"]["name"] for t in tools
        )
        return self.model_copy(update={"tool_names": names})

    # --- the decision ----------------------------------------------------------------------

    def _act(self, messages: list[BaseMessage]) -> tuple[str, dict[str, Any] | None, UsageMetadata]:
        """(reply text, tool call or None, usage) for this history."""
        today = self.clock.today()
        state = self._memo.state(messages, today)  # folded afresh, or from the last call's state
        say = Replies(self.clinic_name, today, self.time_format)
        bound = set(self.tool_names)
        action: Action = decide(
            state,
            say,
            clinic_tool=not bound or CLINIC in bound,
            manage_tools=not bound or set(MANAGE_TOOLS) <= bound,
        )
        call: dict[str, Any] | None = None
        text = action.text or ""
        if action.tool:
            if self.tool_names and action.tool not in self.tool_names:
                text = say.service_down()
            else:
                call = {
                    "name": action.tool,
                    "args": action.args or {},
                    "id": f"call_{uuid.uuid4().hex}",
                    "type": "tool_call",
                }
        self._memo.keep(messages, state)
        prompt = sum(_words(text_of(m)) for m in messages)
        produced = _words(text) + (_words(json.dumps(call["args"])) + 1 if call else 0)
        usage = UsageMetadata(input_tokens=prompt, output_tokens=produced, total_tokens=prompt + produced)
        return text, call, usage

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        text, call, usage = self._act(messages)
        return AIMessage(
            content=text,
            tool_calls=[call] if call else [],
            usage_metadata=usage,
            response_metadata={"model_name": MODEL_NAME, "finish_reason": "tool_calls" if call else "stop"},
        )


# Messages that reach most rules: reading them once compiles the patterns and loads the spelling
# dictionary, which otherwise the first patients' messages pay for (about 150 ms in all).
_WARM_UP = (
    "hi, can I book a follow-up next tuesday afternoon at 2:30? I'm Jane Roe, jane@example.com, 555 0100",
    "not monday or wednesday, a fisical on the 3rd of december after 3ish, i work mornings",
    "need to cancel my appointment, code ABCD2345, jane@example.com",
    "any later times? the second one. yes thats right",
    "what are your opening hours, is there parking?",
    "2 weeks from tomorrow, the dermatologist, between 10 and 12, for my son Tom Baker",
    "today or yesterday, 12/3 or thurs? 2pm onwards, the earliest i can do is 3, 10-12",
    "im on lates so mornings or early afternoon, wed for a consult, 2-4pm; i work mornings so afternoons",
    "i was seen on the 3rd. i start work at 1 so before then, or maybe the 9th",
)


@functools.cache
def warm_up() -> None:
    """Read the warm-up messages once per process (the app calls this when it builds the model)."""
    model = OfflineChatModel(clock=Clock("UTC", datetime(2026, 1, 5, 9, 0)))
    for text in _WARM_UP:
        model._act([HumanMessage(text)])
