"""Opening PostgreSQL the one way this project does: an async psycopg 3 pool.

Every statement awaits the server on the event loop (no thread hand-off, nothing blocks it).
The pool is opened before the app answers (`wait=True`: a wrong URL or a server that is down
fails the start, not the first patient's request) and sized by the settings.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.errors import LockNotAvailable, QueryCanceled
from psycopg_pool import AsyncConnectionPool, PoolTimeout

# A statement that waits longer than this for a lock another transaction holds gives up (the
# API answers 503, as for a busy SQLite file); sent as the session's `lock_timeout`.
LOCK_TIMEOUT_OPTION = "-c lock_timeout={ms}"


async def open_pool(
    url: str,
    *,
    min_size: int,
    max_size: int,
    name: str,
    busy_seconds: float = 10.0,
    autocommit: bool = True,
    **connect_kwargs: Any,
) -> AsyncConnectionPool[AsyncConnection[Any]]:
    """An opened pool of `min_size`..`max_size` connections to `url`; a caller waits up to
    `busy_seconds` for a free one (then psycopg_pool.PoolTimeout) and for a row lock."""
    kwargs: dict[str, Any] = {
        "autocommit": autocommit,
        "options": LOCK_TIMEOUT_OPTION.format(ms=int(busy_seconds * 1000)),
        "application_name": f"scheduling-agent {name}",
        **connect_kwargs,
    }
    pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
        url, min_size=min_size, max_size=max_size, kwargs=kwargs, timeout=busy_seconds, name=name, open=False
    )
    await pool.open(wait=True, timeout=max(busy_seconds, 5.0))
    return pool


# What a wait past DATABASE_BUSY_SECONDS raises: a lock held past `lock_timeout`, a statement
# cancelled by a timeout, no free pool connection.
BUSY_ERRORS: tuple[type[Exception], ...] = (LockNotAvailable, QueryCanceled, PoolTimeout)


def is_busy(exc: BaseException) -> bool:
    """Whether `exc` is PostgreSQL (or its pool) giving up after DATABASE_BUSY_SECONDS."""
    return isinstance(exc, BUSY_ERRORS)
