"""The playground's staff sessions: what the checkpoint does not hold, kept per process.

Each staff session remembers when it started and the prompt and model staff chose. The least
recently used are forgotten beyond `MAX_SESSIONS`, with their conversation.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

MAX_SESSIONS = 500
SESSION_PREFIX = "pg-"


@dataclass
class PlaygroundSession:
    """When it started and the settings staff chose for it."""

    now: datetime
    provider: str
    model: str | None = None
    temperature: float | None = None
    prompt: str | None = None  # None: the shipped prompt
    turns: int = 0
    usage: dict[str, int] = field(default_factory=lambda: {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0})

    def add_usage(self, usage: dict[str, int]) -> None:
        for key, value in usage.items():
            self.usage[key] = self.usage.get(key, 0) + int(value or 0)


class StaffSessions:
    """Playground sessions by id, least recently used first."""

    def __init__(self, limit: int = MAX_SESSIONS) -> None:
        self.limit = limit
        self._sessions: OrderedDict[str, PlaygroundSession] = OrderedDict()

    @staticmethod
    def new_id() -> str:
        return SESSION_PREFIX + secrets.token_urlsafe(15)

    def get(self, session_id: str) -> PlaygroundSession | None:
        return self._sessions.get(session_id)

    def record_turn(self, session_id: str, chosen: PlaygroundSession) -> PlaygroundSession:
        """Keep `chosen` settings for the session (new, or evicted meanwhile: `chosen` itself)
        and count a turn; the session becomes the most recently used."""
        kept = self._sessions.get(session_id)
        if kept is None:
            kept = self._sessions[session_id] = chosen
        else:
            kept.provider, kept.model, kept.temperature, kept.prompt = (
                chosen.provider,
                chosen.model,
                chosen.temperature,
                chosen.prompt,
            )
            self._sessions.move_to_end(session_id)
        kept.turns += 1
        return kept

    def evict(self) -> list[str]:
        """Drop the least recently used beyond the limit; returns their ids."""
        gone = []
        while len(self._sessions) > self.limit:
            old, _ = self._sessions.popitem(last=False)
            gone.append(old)
        return gone
