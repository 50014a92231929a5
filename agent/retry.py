"""Retries of transient model errors, matched by type and paced by the provider's `Retry-After`.

langchain-openai raises subclasses of the openai SDK's errors (`OpenAIRateLimitError` ...), so
matching class names exactly missed them: a 429 got one call and an error. Here the openai
hierarchy decides (`isinstance`), and a 429/503 that says when to come back is waited for,
bounded by `max_delay` so a hostile or confused provider cannot park a patient's turn.

With `first_token_seconds`, all attempts of one model call share one deadline for the reply's
first token (agent/models/watch.py): no retry starts that could not finish in time, and a reply
that already streamed something is never retried (the patient would see its start twice).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import httpx2  # the HTTP client the openai SDK is built on: a stream cut mid-way raises its errors
import openai
from langchain.agents.middleware import ModelRequest, ModelResponse, ModelRetryMiddleware
from langchain.agents.middleware._retry import calculate_delay
from langchain_core.messages import AIMessage
from langgraph.errors import GraphBubbleUp

from agent.models.watch import ModelWatch, watching

TRANSIENT: tuple[type[BaseException], ...] = (
    openai.RateLimitError,
    openai.APITimeoutError,  # a subclass of APIConnectionError; listed for the reader
    openai.APIConnectionError,
    openai.InternalServerError,
    httpx.TransportError,
    httpx2.TransportError,
    TimeoutError,  # with agent/models/watch.py's ModelStalled
    ConnectionError,
)


def is_transient(exc: BaseException) -> bool:
    """Whether another call may well succeed: rate limits, timeouts, dropped connections, 5xx."""
    if isinstance(exc, TRANSIENT):
        return True
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and status >= 500


def retry_after(exc: BaseException, *, now: float | None = None) -> float | None:
    """Seconds the provider asked us to wait (`retry-after-ms`, `Retry-After` seconds or HTTP date)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


class TransientRetryMiddleware(ModelRetryMiddleware):
    """`ModelRetryMiddleware` that waits what the provider's `Retry-After` says, within `max_delay`.

    Only the async path (the app's) honours `Retry-After`; the inherited sync path still retries
    by type with plain backoff.
    """

    def __init__(
        self,
        *,
        max_retries: int = 2,
        initial_delay: float = 0.5,
        max_delay: float = 4.0,
        first_token_seconds: float | None = None,
    ) -> None:
        self.first_token_seconds = first_token_seconds
        super().__init__(
            max_retries=max_retries,
            retry_on=is_transient,
            on_failure="error",
            initial_delay=initial_delay,
            max_delay=max_delay,
        )

    def delay_for(self, attempt: int, exc: BaseException) -> float:
        """The backoff for this attempt, or the provider's wish if longer; never above `max_delay`."""
        backoff = calculate_delay(
            attempt,
            backoff_factor=self.backoff_factor,
            initial_delay=self.initial_delay,
            max_delay=self.max_delay,
            jitter=self.jitter,
        )
        asked = retry_after(exc)
        return min(max(backoff, asked or 0.0), self.max_delay)

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any] | AIMessage:
        """Call the model; on a transient error wait (backoff or `Retry-After`) and call again,
        while the first token's deadline leaves time for it."""
        if self.first_token_seconds is None:
            return await self._attempts(request, handler, None)
        with watching(self.first_token_seconds) as watch:
            return await self._attempts(request, handler, watch)

    async def _attempts(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
        watch: ModelWatch | None,
    ) -> ModelResponse[Any] | AIMessage:
        loop = asyncio.get_running_loop()
        for attempt in range(self.max_retries + 1):
            try:
                return await handler(request)
            except GraphBubbleUp:
                raise
            except Exception as exc:
                if not is_transient(exc) or (watch and watch.streamed):
                    raise
                if attempt >= self.max_retries:
                    return self._handle_failure(exc, attempt + 1)
                delay = self.delay_for(attempt, exc)
                if watch and loop.time() + delay >= watch.deadline:
                    raise  # the patient's wait for a first token would be over before the retry
                await asyncio.sleep(delay)
        raise RuntimeError("unreachable: the retry loop always returns")
