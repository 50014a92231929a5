"""The bounds on a model's stream (agent/models/watch.py), on their own: quick, in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from agent.models.watch import ModelStalled, bounded, watching


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
