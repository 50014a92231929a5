"""Rate limits over the injectable clock, with the `limits` library's fixed windows in memory.

`limits`' MemoryStorage reads `time.time()` itself, so a window can't follow the clinic clock
directly. Instead each window is its own key: the window's number on the clock
(`clock seconds // window seconds`) is part of the identifier, so moving the clock (tests, a
frozen demo clock) starts a fresh window, and `Retry-After` is the time to the window's end on
the same clock. The storage's own expiry (real time, the window's length after the first hit:
limits/storage/memory.py `incr`) drops old keys; with a frozen clock nobody moves, it also ends
a window's count after its length in real time, so a demo is not locked out for good.

The counters are per process: with several workers each counts on its own, so a client may
get up to WORKERS x N through.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from core.clock import Clock

MINUTE, HOUR, DAY = 60, 3600, 86400

# The client host the tools' in-process HTTP client presents (tools/http.py): no network peer
# can have it, so the service can tell the agent's own calls from a caller on the internet.
IN_PROCESS_CLIENT = "in-process"


class RateLimited(Exception):
    """A request over a limit: answered 429 with `Retry-After: retry_after` (seconds)."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    """`amount` per `seconds` for one kind of thing (`name` keys it and `what` says it)."""

    name: str
    amount: int  # 0: no limit
    seconds: int
    what: str  # e.g. "chat messages from your address"


class Limiter:
    """Fixed windows on the clinic clock, counted in one in-memory `limits` storage."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._limiter = FixedWindowRateLimiter(MemoryStorage())

    def _window(self, limit: Limit) -> tuple[str, float]:
        """The window's key part and the seconds left in it, on the clock."""
        now = self.clock.now().timestamp()
        number = math.floor(now / limit.seconds)
        return str(number), (number + 1) * limit.seconds - now

    def check(self, *checks: tuple[Limit, str]) -> None:
        """Count one hit for each (limit, key), or none at all and raise RateLimited if any
        is used up (no await in between: atomic on the event loop)."""
        active = [(limit, key) for limit, key in checks if limit.amount > 0]
        for limit, key in active:
            item = RateLimitItemPerSecond(limit.amount, limit.seconds)
            window, left = self._window(limit)
            if not self._limiter.test(item, limit.name, key, window):
                wait = max(1, math.ceil(left))
                raise RateLimited(_message(limit, wait), wait)
        for limit, key in active:
            self.count(limit, key)

    def count(self, limit: Limit, key: str) -> None:
        """Count one hit, whatever the count already is."""
        if limit.amount > 0:
            self._limiter.hit(
                RateLimitItemPerSecond(limit.amount, limit.seconds), limit.name, key, self._window(limit)[0]
            )


def _message(limit: Limit, wait: int) -> str:
    return f"Too many {limit.what}: at most {limit.amount} {_per(limit.seconds)}. Please try again in {_wait(wait)}."


def _wait(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 2 * HOUR:
        return f"{math.ceil(seconds / MINUTE)} minutes"
    return f"{math.ceil(seconds / HOUR)} hours"


def _per(seconds: int) -> str:
    for size, unit in ((DAY, "day"), (HOUR, "hour"), (MINUTE, "minute")):
        if seconds % size == 0:
            count = seconds // size
            return f"per {unit}" if count == 1 else f"per {count} {unit}s"
    return f"per {seconds} seconds"


def client_address(peer: tuple[str, int] | None) -> str:
    """Who a request comes from: the ASGI client host. Behind a proxy that is the proxy, unless
    the server trusts its X-Forwarded-For (`trust_forwarded_for`: uvicorn then sets the client
    from the header, for the proxies in `forwarded_allow_ips` only)."""
    return peer[0] if peer else "unknown"
