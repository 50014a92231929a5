"""A running turn as its reader sees it, and the refusals that stop a turn from starting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from agent import events
from agent.models import ModelChoice


class TurnRefused(Exception):
    """A turn that cannot start; `status` is the HTTP status that fits."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownSession(TurnRefused):
    status = 404


class SessionBusy(TurnRefused):
    status = 409


class NothingPending(TurnRefused):
    status = 409


@dataclass
class TurnOptions:
    """Per-turn overrides (the staff playground): prompt template and model choice; and the
    client address the turn came from (the per-day model-call budget counts by it)."""

    prompt_template: str | None = None
    choice: ModelChoice | None = None
    client: str | None = None


_NOTHING: Any = object()


@dataclass
class RunningTurn:
    """A turn whose run feeds `queue`: read `events()` once; closing it early cancels the run.

    `answering` is the `confirm` event this turn answers (None for a plain message) and
    `approved` the answer the runtime read from it, for views that show the decision. An
    approved turn runs its tool (the booking) and is not cancelled when its reader goes away:
    it finishes, so the conversation records what the tool did (the turn's own time limit
    still bounds it).
    """

    session_id: str
    queue: asyncio.Queue[events.Event | None]
    task: asyncio.Task[None] | None = None
    answering: events.Event | None = None
    approved: bool | None = None

    async def events(self) -> AsyncIterator[events.Event]:
        """The turn's events. Tokens that queued up while the reader was busy (a loaded server)
        go out as one `token` event: the same text in fewer, larger writes."""
        held: Any = _NOTHING  # an event taken from the queue while gathering tokens
        try:
            while True:
                event = await self.queue.get() if held is _NOTHING else held
                held = _NOTHING
                if event is None:
                    return
                if event["type"] == "token":
                    texts = [event["text"]]
                    while held is _NOTHING and not self.queue.empty():
                        following = self.queue.get_nowait()
                        if following is not None and following["type"] == "token":
                            texts.append(following["text"])
                        else:
                            held = following
                    if len(texts) > 1:
                        event = events.token("".join(texts))
                yield event
        finally:
            if self.task and not self.task.done() and not self.approved:
                self.task.cancel()
                await asyncio.gather(self.task, return_exceptions=True)
