"""Garbage-collector settings for a long-running server process.

A chat turn allocates tens of thousands of short-lived objects (LangGraph tasks and checkpoints,
LangChain messages and callback managers). With CPython's default young-generation threshold
(700) a loaded worker ran about fifty collections a second, and every full collection walked the
whole start-up heap (LangChain, LangGraph and pydantic schemas: over 100,000 objects): about a
tenth of a worker's CPU in the chat benchmark went to the collector.

After start-up, `gc.freeze()` moves the start-up heap out of the collector's sight (it lives as
long as the process anyway) and a higher threshold makes collections rarer. Reference counting
still frees almost everything at once; only cyclic garbage waits a little longer.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000  # allocations between young collections (CPython's default: 700)


def tune_after_startup() -> None:
    """Freeze what start-up built and make collections rarer (process-wide, idempotent)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
