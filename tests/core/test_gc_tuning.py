"""A started app has frozen its start-up heap and collects young objects less often."""

from __future__ import annotations

import gc

from api.main import create_app
from core.gc_tuning import YOUNG_THRESHOLD
from core.settings import Settings


async def test_startup_freezes_the_heap_and_raises_the_young_threshold(tmp_path) -> None:
    saved = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(700, *saved[1:])
    try:
        app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/b.db", llm_provider="stub"))
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() > 10_000  # the imported frameworks, the compiled graph
            assert gc.get_threshold()[0] == YOUNG_THRESHOLD
            gc.collect(0)
            young = gc.get_stats()[0]["collections"]
            kept: list[list[object]] = [[] for _ in range(5000)]  # with the default threshold: seven young collections
            assert gc.get_stats()[0]["collections"] == young
            del kept
    finally:
        gc.set_threshold(*saved)
