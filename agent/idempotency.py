"""An idempotency key for every tool call that changes something, derived from the call itself.

The key is a hash of the session and the model's tool-call id, so the same call sent again (a
retry after a timeout, a confirmation resumed after a crash) is the same request to the
scheduling service, which answers it once; a different call, even with the same arguments, is a
different key. It reaches the tool through tools/context.py, never as an argument the model
could set.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware

from agent.history import CHANGE_TOOLS
from tools.context import call_context


def idempotency_key(session_id: str, tool_call_id: str) -> str:
    """A stable key for one tool call of one session (no patient data in it)."""
    return hashlib.sha256(f"{session_id}\x1f{tool_call_id}".encode()).hexdigest()[:40]


class IdempotencyKeyMiddleware(AgentMiddleware[Any, Any]):
    """Gives each call of a change-making tool its key."""

    async def awrap_tool_call(self, request: Any, handler: Callable[[Any], Awaitable[Any]]) -> Any:
        call = request.tool_call
        if call["name"] not in CHANGE_TOOLS:
            return await handler(request)
        config = getattr(request.runtime, "config", None) or {}
        session_id = str((config.get("configurable") or {}).get("thread_id", ""))
        with call_context(idempotency_key=idempotency_key(session_id, str(call["id"]))):
            return await handler(request)
