"""The bounds on a model's stream (agent/models/watch.py), on their own: quick, in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from agent.models import make_model
from agent.models.openai import BoundedChatOpenAI
from agent.models.watch import ModelStalled, bounded, watching
from core.clock import Clock
from core.settings import ExplicitSettings


async def stream(*delays: float) -> AsyncIterator[int]:
    """Items 0, 1, ... each after its delay; a delay of -1 never comes."""
    for number, delay in enumerate(delays):
        await asyncio.sleep(3600 if delay < 0 else delay)
        yield number


async def collect(items: AsyncIterator[int]) -> list[int]:
    return [item async for item in items]


async def test_a_prompt_stream_passes_whole() -> None:
    assert await collect(bounded(stream(0, 0, 0), first_token_seconds=1, stall_seconds=1)) == [0, 1, 2]


async def test_nothing_before_the_first_token_deadline_is_a_stall() -> None:
    with pytest.raises(ModelStalled, match="before its first token"):
        await collect(bounded(stream(-1), first_token_seconds=0.05, stall_seconds=10))


async def test_silence_mid_stream_is_a_stall_and_the_watch_knows_something_streamed() -> None:
    got: list[int] = []
    with watching(10) as watch:
        with pytest.raises(ModelStalled, match="mid-reply"):
            async for item in bounded(stream(0, -1), first_token_seconds=10, stall_seconds=0.05):
                got.append(item)
    assert got == [0] and watch.streamed


async def test_attempts_inside_one_watch_share_its_deadline() -> None:
    """The second attempt gets what is left of the first token's wait, not a fresh one."""
    with watching(0.2) as watch:
        with pytest.raises(ModelStalled):
            await collect(bounded(stream(-1), first_token_seconds=10, stall_seconds=10))
        loop = asyncio.get_running_loop()
        assert loop.time() >= watch.deadline
        with pytest.raises(ModelStalled):  # the deadline has passed: even a prompt item is late
            await collect(bounded(stream(0.01), first_token_seconds=10, stall_seconds=10))
    assert not watch.streamed


async def test_errors_of_the_stream_itself_pass_through() -> None:
    async def failing() -> AsyncIterator[int]:
        yield 0
        raise TimeoutError("the client's own timeout")

    with pytest.raises(TimeoutError, match="client's own") as caught:
        await collect(bounded(failing(), first_token_seconds=1, stall_seconds=1))
    assert not isinstance(caught.value, ModelStalled)


def test_the_openai_model_takes_its_bounds_from_the_settings_and_never_retries_on_its_own() -> None:
    """Retries are counted once, by agent/retry.py (MODEL_RETRIES): the OpenAI client's are off."""
    default = make_model(ExplicitSettings(llm_provider="openai", openai_api_key="sk-local"), Clock("UTC"))
    assert isinstance(default, BoundedChatOpenAI)
    assert (default.first_token_seconds, default.stall_seconds, default.max_retries) == (30.0, 15.0, 0)
    assert default.request_timeout == 60.0
    settings = ExplicitSettings(
        llm_provider="openai",
        openai_api_key="sk-local",
        first_token_seconds=5,
        stream_stall_seconds=2,
        openai_timeout=20,
        model_retries=4,
    )
    model = make_model(settings, Clock("UTC"))
    assert isinstance(model, BoundedChatOpenAI)
    assert (model.first_token_seconds, model.stall_seconds, model.request_timeout, model.max_retries) == (5, 2, 20, 0)
