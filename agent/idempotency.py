"""An idempotency key for every tool call that changes something, derived from the call itself.

A tool that books (or later moves or cancels) declares a hidden `idempotency_key` argument
(tools/schemas.py: never shown to the model). This middleware fills it with a hash of the
session and the model's tool-call id, so the same call sent again (a retry after a timeout, a
confirmation resumed after a crash) is the same request to the scheduling service, which answers
it once. A different call, even with the same arguments, is a different key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware

KEY_FIELD = "idempotency_key"


def idempotency_key(session_id: str, tool_call_id: str) -> str:
    """A stable key for one tool call of one session (no patient data in it)."""
    return hashlib.sha256(f"{session_id}\x1f{tool_call_id}".encode()).hexdigest()[:40]


def _takes_key(tool: Any) -> bool:
    schema = getattr(tool, "args_schema", None)
    return KEY_FIELD in (getattr(schema, "model_fields", None) or {})


class IdempotencyKeyMiddleware(AgentMiddleware[Any, Any]):
    """Adds `idempotency_key` to the calls of tools that declare it."""

    async def awrap_tool_call(self, request: Any, handler: Callable[[Any], Awaitable[Any]]) -> Any:
        call = request.tool_call
        if request.tool is None or not _takes_key(request.tool):
            return await handler(request)
        config = getattr(request.runtime, "config", None) or {}
        session_id = str((config.get("configurable") or {}).get("thread_id", ""))
        args = {**call["args"], KEY_FIELD: idempotency_key(session_id, str(call["id"]))}
        return await handler(request.override(tool_call={**call, "args": args}))
