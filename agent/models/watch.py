"""Bounds on how long a model may take to start a reply, and to go on with it.

A hung provider used to cost the patient the OpenAI client's 60 s per attempt. Here a model
call's stream must deliver its first chunk by a deadline, which the retry middleware
(agent/retry.py) sets once for all attempts of one call (`watching`), so retries share the
patient's wait instead of multiplying it; after that, any silence longer than `stall` seconds
ends the reply. Either way the call fails with `ModelStalled` (a `TimeoutError`: transient).
The watch also records whether anything streamed, because a reply cut after its first tokens
must not be retried (the patient would see its start twice).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


class ModelStalled(TimeoutError):
    """The model sent nothing within its bound (before the first chunk, or mid-stream)."""


@dataclass
class ModelWatch:
    """One model call, across its retries: the first chunk's deadline (event-loop time)."""

    deadline: float
    streamed: bool = False


_current: ContextVar[ModelWatch | None] = ContextVar("model_watch", default=None)


@contextmanager
def watching(first_token_seconds: float) -> Iterator[ModelWatch]:
    """Start the clock for one model call; streams opened inside it report to the watch."""
    watch = ModelWatch(asyncio.get_running_loop().time() + first_token_seconds)
    token = _current.set(watch)
    try:
        yield watch
    finally:
        _current.reset(token)


async def bounded(stream: AsyncIterator[T], *, first_token_seconds: float, stall_seconds: float) -> AsyncIterator[T]:
    """`stream`, failing with ModelStalled if its first item is late (the watch's deadline, or
    `first_token_seconds` from now outside a watch) or a later one is `stall_seconds` late."""
    loop = asyncio.get_running_loop()
    watch = _current.get()
    deadline = watch.deadline if watch else loop.time() + first_token_seconds
    first = True
    try:
        while True:
            wait = max(deadline - loop.time(), 0.0) if first else stall_seconds
            limit = asyncio.timeout(wait)
            try:
                async with limit:
                    item = await anext(stream)
            except StopAsyncIteration:
                return
            except TimeoutError:
                if not limit.expired():
                    raise
                where = "before its first token" if first else "mid-reply"
                raise ModelStalled(f"the model sent nothing for {wait:.1f} s {where}") from None
            if first and watch:
                watch.streamed = True
            first = False
            yield item
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()  # closes the HTTP response of an abandoned stream
