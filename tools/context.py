"""What the agent tells a tool about the call it is running, besides the model's arguments.

A change-making tool needs an idempotency key (the same call sent twice happens once) and, for
a booking or a move, the hold placed on its slot while the patient decided. Neither may come from
the model, so neither is an argument: the agent's middleware sets them here around the call
(agent/idempotency.py, agent/holds.py) and the tool reads them. A tool run outside the agent (a
test, a script) sees the empty context.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class CallContext:
    idempotency_key: str | None = None
    hold_id: str | None = None


_CURRENT: ContextVar[CallContext] = ContextVar("tool_call_context", default=CallContext())  # noqa: B039 (frozen)


def current() -> CallContext:
    """The context of the tool call running now."""
    return _CURRENT.get()


@contextmanager
def call_context(**values: str | None) -> Iterator[None]:
    """Add `values` (idempotency_key, hold_id) to the context for the duration of one call."""
    token = _CURRENT.set(replace(_CURRENT.get(), **values))
    try:
        yield
    finally:
        _CURRENT.reset(token)
