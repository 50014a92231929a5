"""The FastAPI application: the scheduling service, and (as they land) chat, widget, playground."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from agent.runtime import AgentRuntime
from agent.stub import StubScript
from api.calendly.deps import Scheduling
from api.chat import router as chat_router
from api.calendly.router import router as calendly_router
from api.errors import install_error_handlers
from api.middleware import RequestIdMiddleware
from api.playground import router as playground_router
from api.widget import router as widget_router
from core.gc_tuning import tune_after_startup
from core.logging import configure_logging
from core.settings import Settings, get_settings

LOCAL_ORIGINS = r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$"


def create_app(
    settings: Settings | None = None,
    *,
    stub_script: StubScript | None = None,
    model_hook: Callable[[Any], Any] | None = None,
) -> FastAPI:
    """Build the app for `settings` (default: the environment's).

    `stub_script` feeds the `stub` model and `model_hook` may adjust the model (tests, scripts).
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduling = Scheduling.from_settings(settings)
        await scheduling.start()
        app.state.scheduling = scheduling
        try:
            async with AsyncExitStack() as stack:
                app.state.agent = await stack.enter_async_context(AgentRuntime.open(
                    settings, scheduler_app=app, clock=scheduling.clock, stub_script=stub_script, model_hook=model_hook
                ))
                if settings.playground_token:
                    # Staff sessions live apart from patients' (in memory, gone on restart): a
                    # patient's endpoint can never reach one, and dropping one frees it entirely.
                    app.state.playground_agent = await stack.enter_async_context(AgentRuntime.open(
                        settings.model_copy(update={"checkpoint_url": "memory"}), scheduler_app=app,
                        clock=scheduling.clock, stub_script=stub_script, model_hook=model_hook,
                    ))
                tune_after_startup()
                yield
        finally:
            for task in list(app.state.background):
                task.cancel()
            await asyncio.gather(*app.state.background, return_exceptions=True)
            await scheduling.stop()

    app = FastAPI(
        title="Clinic scheduling agent",
        summary="A Calendly-like scheduling service and the conversational agent that books it.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.background = set()
    app.state.playground_sessions = OrderedDict()
    app.state.confirmation_delay = 0.2
    install_error_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_origin_regex=None if settings.cors_origins else LOCAL_ORIGINS,
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["Content-Type", "X-Request-ID", "Authorization"],
    )
    app.add_middleware(RequestIdMiddleware)
    app.include_router(calendly_router)
    app.include_router(chat_router)
    app.include_router(playground_router)  # 404 unless PLAYGROUND_TOKEN is set
    app.include_router(widget_router)

    @app.get("/health", tags=["ops"])
    async def health() -> dict[str, object]:
        """Liveness, and whether the slot data is usable."""
        scheduling: Scheduling = app.state.scheduling
        return {"status": "ok", "slot_data": "ok" if scheduling.service else "unusable"}

    return app


def app_from_environment() -> FastAPI:
    """The app for the environment's settings: uvicorn's factory for `serve` worker processes,
    each of which imports this module afresh (so each configures its own logging)."""
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
