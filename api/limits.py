"""Limits for one client on the chat endpoints (issue 16), checked before a turn starts, so a
refusal is a plain 429 with `Retry-After`, never a stream (README "Limits").

Per client address: chat messages a minute and new sessions an hour; per session: messages a
minute. The counters are in this process's memory (core/ratelimit.py).
"""

from __future__ import annotations

from starlette.requests import Request

from core.clock import Clock
from core.ratelimit import HOUR, MINUTE, Limit, Limiter, client_address
from core.settings import Settings


class ChatLimits:
    """The chat endpoints' limits for one app."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.limiter = Limiter(clock)
        self.turns = Limit("client-turns", settings.limit_client_turns_per_minute, MINUTE, "messages from your address")
        self.sessions = Limit(
            "client-sessions", settings.limit_client_sessions_per_hour, HOUR, "new conversations from your address"
        )
        self.session_turns = Limit(
            "session-turns", settings.limit_session_turns_per_minute, MINUTE, "messages in this conversation"
        )

    @staticmethod
    def client(request: Request) -> str:
        """The request's client address (see core.ratelimit.client_address)."""
        return client_address(request.scope.get("client"))

    @property
    def counts_sessions(self) -> bool:
        return self.sessions.amount > 0

    def admit(self, client: str, session_id: str | None, *, new: bool) -> None:
        """Count a turn from `client` in `session_id` (`new`: it starts a conversation), or
        raise RateLimited and count nothing."""
        checks = [(self.turns, client)]
        if new:
            checks.append((self.sessions, client))
        if session_id is not None:
            checks.append((self.session_turns, session_id))
        self.limiter.check(*checks)

    def started(self, session_id: str) -> None:
        """A conversation started without an id of its own: its first message counts for it too."""
        self.limiter.count(self.session_turns, session_id)
