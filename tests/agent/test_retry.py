"""Transient model errors are retried by type (the openai SDK's hierarchy, which langchain-openai's
own errors subclass) and paced by the provider's `Retry-After`, within a bound."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2 as httpx  # the HTTP client this openai SDK is built on (its errors carry its types)
import openai
import pytest

from agent.retry import TransientRetryMiddleware, is_transient, retry_after
from api.deps import runtime_of
from api.main import create_app
from tests.support.openai_server import OpenAICompatibleServer, Reply, openai_settings

REQUEST = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")


def response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers or {}, request=REQUEST)


def status_error(cls: type[openai.APIStatusError], status: int, headers: dict[str, str] | None = None) -> Any:
    return cls("provider said no", response=response(status, headers), body=None)


def test_langchain_openai_errors_are_transient_whatever_their_names() -> None:
    """The errors langchain-openai actually raises; the old exact-name match missed every one."""
    from langchain_openai.chat_models import base

    assert is_transient(status_error(base.OpenAIRateLimitError, 429))
    assert is_transient(status_error(base.OpenAIAPIError, 500))
    assert is_transient(base.OpenAIConnectionError(request=REQUEST))
    assert not is_transient(status_error(base.OpenAIAuthenticationError, 401))


def test_openai_errors_and_their_subclasses_are_transient() -> None:
    errors: list[BaseException] = [
        status_error(openai.RateLimitError, 429),
        status_error(openai.InternalServerError, 503),
        openai.APITimeoutError(request=REQUEST),
        openai.APIConnectionError(request=REQUEST),
    ]
    renamed = type("OpenAIRateLimitError", (openai.RateLimitError,), {})  # a name the old exact match missed
    errors.append(status_error(renamed, 429))
    assert all(is_transient(e) for e in errors)


def test_client_errors_are_not_retried() -> None:
    assert not is_transient(status_error(openai.BadRequestError, 400))
    assert not is_transient(status_error(openai.AuthenticationError, 401))
    assert not is_transient(ValueError("bad arguments"))


def test_retry_after_is_read_and_bounded() -> None:
    assert retry_after(status_error(openai.RateLimitError, 429, {"Retry-After": "3"})) == 3.0
    assert retry_after(status_error(openai.RateLimitError, 429, {"retry-after-ms": "250"})) == 0.25
    date = {"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT"}
    assert retry_after(status_error(openai.RateLimitError, 429, date), now=1445412480.0) == 10.0
    assert retry_after(status_error(openai.RateLimitError, 429, {"Retry-After": "soon"})) is None
    assert retry_after(status_error(openai.RateLimitError, 429)) is None
    assert retry_after(openai.APITimeoutError(request=REQUEST)) is None

    middleware = TransientRetryMiddleware(initial_delay=0.0, max_delay=4.0)
    assert middleware.delay_for(0, status_error(openai.RateLimitError, 429, {"Retry-After": "3"})) == 3.0
    assert middleware.delay_for(0, status_error(openai.RateLimitError, 429, {"Retry-After": "3600"})) == 4.0
    assert middleware.delay_for(0, status_error(openai.RateLimitError, 429)) == 0.0


@pytest.mark.parametrize("headers", [{"retry-after-ms": "20"}, {}], ids=["with-retry-after", "without"])
async def test_a_429_then_success_gives_one_reply_after_two_calls(tmp_path: Path, headers: dict[str, str]) -> None:
    calls: list[int] = []

    def respond(body: dict[str, Any]) -> Reply:
        calls.append(1)
        if len(calls) == 1:
            return Reply(status=429, text="Rate limit reached", headers=headers)
        return Reply(text="Hello, how can I help?")

    with OpenAICompatibleServer(respond) as server:
        settings = openai_settings(f"sqlite:///{tmp_path}/b.db", server)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            turn = await runtime_of(app).start_turn(None, "Hello")
            events = [e async for e in turn.events()]
        assert len(server.requests) == 2, "one 429, one retry that succeeded"

    terminal = [e for e in events if e["type"] in {"done", "error"}]
    assert [e["type"] for e in terminal] == ["done"], "exactly one terminal event, and not an error"
    assert terminal[0]["reply"].strip() == "Hello, how can I help?"
