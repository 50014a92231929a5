"""Turn.events(): tokens that queue up behind a busy reader go out as one event, in order."""

from __future__ import annotations

import asyncio

from agent import events
from agent.turn import RunningTurn as Turn


async def _read(turn: Turn) -> list[dict]:
    return [event async for event in turn.events()]


async def test_tokens_waiting_in_the_queue_are_merged_and_nothing_else_is() -> None:
    turn = Turn("s", asyncio.Queue())
    for event in [
        events.session("s"),
        events.token("Hel"),
        events.token("lo "),
        events.token("there"),
        events.tool_call("c1", "check_availability", {}),
        events.token("Bye"),
        events.done("Hello there Bye", None),
    ]:
        turn.queue.put_nowait(event)
    turn.queue.put_nowait(None)
    got = await _read(turn)
    assert [e["type"] for e in got] == ["session", "token", "tool_call", "token", "done"]
    assert got[1]["text"] == "Hello there" and got[3]["text"] == "Bye"


async def test_the_end_of_the_queue_right_after_tokens_still_ends_the_stream() -> None:
    turn = Turn("s", asyncio.Queue())
    for event in [events.token("a"), events.token("b"), None]:
        turn.queue.put_nowait(event)
    assert await _read(turn) == [events.token("ab")]


async def test_a_reader_that_keeps_up_gets_every_token_as_it_comes() -> None:
    turn = Turn("s", asyncio.Queue())
    reader = turn.events()
    turn.queue.put_nowait(events.token("one "))
    assert await anext(reader) == events.token("one ")
    turn.queue.put_nowait(events.token("two"))
    assert await anext(reader) == events.token("two")
    turn.queue.put_nowait(None)
    assert [e async for e in reader] == []
