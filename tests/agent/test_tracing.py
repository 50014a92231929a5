"""LangSmith's per-hook bookkeeping runs on the event loop when tracing is off, in a thread when on."""

from __future__ import annotations

import contextvars
import threading

import langsmith
from langsmith._internal._aiter import aio_to_thread

from agent import tracing


async def test_hooks_stay_on_the_loop_thread_unless_tracing_is_on() -> None:
    tracing.install()
    here = threading.get_ident()
    with langsmith.tracing_context(enabled=False):
        assert await aio_to_thread(contextvars.copy_context(), threading.get_ident) == here
    with langsmith.tracing_context(enabled=True):
        assert await aio_to_thread(contextvars.copy_context(), threading.get_ident) != here
