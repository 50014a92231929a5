"""LangSmith's bookkeeping inline when tracing is off.

`create_agent` wraps every middleware `wrap_*` hook in `langsmith.traceable`, which sets up and
closes its (possibly disabled) run in a worker thread: two thread hand-offs per hook per model or
tool call, about twenty per turn here. With tracing off that work is a few dictionary reads, so
it runs on the event loop; with LANGSMITH_TRACING on, LangSmith's own default (a thread) is kept.
Installed through LangSmith's public `set_runtime_overrides` hook.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from typing import Any

import langsmith
from langsmith.utils import tracing_is_enabled


async def _inline_unless_tracing(
    default: Callable[..., Awaitable[Any]],
    ctx: contextvars.Context,
    func: Callable[..., Any],
    /,
    *args: Any,
    **kwargs: Any,
) -> Any:
    if tracing_is_enabled():
        return await default(ctx, func, *args, **kwargs)
    return ctx.run(func, *args, **kwargs)


def install() -> None:
    """Process-wide and idempotent."""
    langsmith.set_runtime_overrides(aio_to_thread=_inline_unless_tracing)
