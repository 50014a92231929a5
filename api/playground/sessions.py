"""The playground's staff sessions: what the checkpoint does not hold, in the sessions database.

Each staff session remembers when it started and the prompt and model staff chose, in the
`staff_sessions` table beside the conversations (agent/sessions_db.py: SQLite or PostgreSQL),
so every worker and instance on that database continues any staff session. The least recently
used are forgotten beyond `MAX_SESSIONS`, with their conversation.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent.sessions_db import SessionsDb

MAX_SESSIONS = 500
SESSION_PREFIX = "pg-"
_COLUMNS = "started_at, provider, model, temperature, prompt, turns, usage"


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

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> PlaygroundSession:
        now, provider, model, temperature, prompt, turns, usage = row
        return cls(datetime.fromisoformat(now), provider, model, temperature, prompt, int(turns), json.loads(usage))


def _added(usage: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    total = dict(usage)
    for key, value in more.items():
        total[key] = total.get(key, 0) + int(value or 0)
    return total


class StaffSessions:
    """Playground sessions by id, least recently used first, in the `staff_sessions` table."""

    def __init__(self, db: SessionsDb, limit: int = MAX_SESSIONS) -> None:
        self.db = db
        self.limit = limit

    @staticmethod
    def new_id() -> str:
        return SESSION_PREFIX + secrets.token_urlsafe(15)

    async def get(self, session_id: str) -> PlaygroundSession | None:
        rows = await self.db.fetch(f"SELECT {_COLUMNS} FROM staff_sessions WHERE session_id = ?", (session_id,))
        return PlaygroundSession.from_row(rows[0]) if rows else None

    async def record_turn(self, session_id: str, chosen: PlaygroundSession) -> PlaygroundSession:
        """Keep `chosen` settings for the session (new, or evicted meanwhile: `chosen` itself)
        and count a turn; the session becomes the most recently used. One statement: two
        instances recording turns of one session both count."""
        rows = await self.db.fetch(
            "INSERT INTO staff_sessions (session_id, started_at, provider, model, temperature, prompt, turns, usage,"
            " last_used) VALUES (?, ?, ?, ?, ?, ?, 1, ?, {now}) ON CONFLICT (session_id) DO UPDATE SET"
            " provider = excluded.provider, model = excluded.model, temperature = excluded.temperature,"
            " prompt = excluded.prompt, turns = staff_sessions.turns + 1, last_used = excluded.last_used"
            f" RETURNING {_COLUMNS}",
            (
                session_id,
                chosen.now.isoformat(),
                chosen.provider,
                chosen.model,
                chosen.temperature,
                chosen.prompt,
                json.dumps(chosen.usage),
            ),
        )
        return PlaygroundSession.from_row(rows[0])

    async def add_usage(self, session_id: str, usage: dict[str, int]) -> None:
        """Add a turn's token counts (compare-and-set: an update another instance made in
        between is read again, never overwritten)."""
        while rows := await self.db.fetch("SELECT usage FROM staff_sessions WHERE session_id = ?", (session_id,)):
            old = rows[0][0]
            new = json.dumps(_added(json.loads(old), usage))
            if await self.db.fetch(
                "UPDATE staff_sessions SET usage = ? WHERE session_id = ? AND usage = ? RETURNING 1",
                (new, session_id, old),
            ):
                return

    async def evict(self) -> list[str]:
        """Drop the least recently used beyond the limit; returns their ids."""
        rows = await self.db.fetch(
            "DELETE FROM staff_sessions WHERE session_id NOT IN (SELECT session_id FROM staff_sessions"
            " ORDER BY last_used DESC, session_id LIMIT ?) RETURNING session_id",
            (self.limit,),
        )
        return sorted(sid for (sid,) in rows)
