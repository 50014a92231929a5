"""The FastAPI application and its one composition root.

`create_app(settings)` builds the clock and the scheduling service, mounts the service's routes,
and on start-up (the lifespan) the tools' HTTP client, the tools and the agent runtimes, once
each; handlers receive them through api/deps.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware

from agent.models.stub import StubScript
from agent.runtime import AgentRuntime
from agent.sessions import IdSpace
from api.ai_sdk import router as ai_sdk_router
from api.chat import router as chat_router
from api.deps import AppServices, Scheduler
from api.errors import install_error_handlers
from api.evaluation import ScriptEvaluator
from api.hardening import BodySizeLimitMiddleware, SecurityHeadersMiddleware
from api.middleware import RequestIdMiddleware
from api.openapi import install_openapi
from api.playground.router import router as playground_router
from api.playground.sessions import SESSION_PREFIX, StaffSessions
from api.widget import router as widget_router
from core.clock import Clock, clinic_timezone
from core.gc_tuning import tune_after_startup
from core.logging import configure_logging
from core.settings import Settings, get_settings
from scheduler.service import SchedulerService
from tools.catalog import all_tools
from tools.clinic_info import ClinicInfo
from tools.holds import SlotHolds
from tools.http import SchedulerHttpClient

LOCAL_ORIGINS = r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$"
GZIP_MINIMUM_BYTES = 500  # below this, the gzip header and a round of CPU save nothing


def create_app(
    settings: Settings | None = None,
    *,
    stub_script: StubScript | None = None,
    model_hook: Callable[[Any], Any] | None = None,
    evaluator: ScriptEvaluator | None = None,
) -> FastAPI:
    """Build the app for `settings` (default: the environment's).

    `stub_script` feeds the `stub` model and `model_hook` may adjust the model (tests, scripts);
    `evaluator` lets the playground replay its scripts k times (api/evaluation.py).
    """
    settings = settings or get_settings()
    clock = Clock(clinic_timezone(settings.clinic_timezone, settings.schedule_file), settings.scheduler_now)
    scheduler = SchedulerService.from_settings(settings, clock)
    services = AppServices(settings, clock, scheduler, evaluator=evaluator)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await scheduler.start()
        try:
            async with AsyncExitStack() as stack:
                base_url = settings.scheduler_base_url  # unset: this app, in-process (ASGI)
                client = SchedulerHttpClient(
                    base_url,
                    app=None if base_url else app,
                    timeout=settings.scheduler_timeout,
                    retries=settings.scheduler_retries,
                )
                stack.push_async_callback(client.aclose)
                clinic = ClinicInfo(settings.clinic_info_path, settings.clinic_info_threshold)
                tools = all_tools(client, clinic)
                services.runtime = await stack.enter_async_context(
                    AgentRuntime.open(
                        settings,
                        clock=clock,
                        tools=tools,
                        stub_script=stub_script,
                        model_hook=model_hook,
                        holds=SlotHolds(client),
                        ids=IdSpace(reserved=(SESSION_PREFIX,)),
                    )
                )
                if settings.playground_token:
                    # Staff sessions share the sessions database (any worker continues one) but
                    # not the runtime: a patient's endpoint never reaches a `pg-` session.
                    services.playground = await stack.enter_async_context(
                        AgentRuntime.open(
                            settings,
                            clock=clock,
                            tools=tools,
                            stub_script=stub_script,
                            model_hook=model_hook,
                            ids=IdSpace(prefix=SESSION_PREFIX),
                            name="playground",
                        )
                    )
                    services.staff_sessions = StaffSessions(services.playground.sessions.db)
                tune_after_startup()
                yield
        finally:
            services.runtime = services.playground = services.staff_sessions = None
            await scheduler.stop()

    app = FastAPI(
        title="Clinic scheduling agent",
        summary="A Calendly-like scheduling service and the conversational agent that books it.",
        lifespan=lifespan,
    )
    app.state.services = services
    install_error_handlers(app)
    install_openapi(app)  # issue 16: the document lists the answers the app really gives
    # Compressed when the client asks (Accept-Encoding: gzip) and the body is worth it: the
    # widget's files, the demo page, JSON. Never the event streams (text/event-stream is
    # excluded by Starlette), which compression would hold back until a buffer fills.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=6)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_origin_regex=None if settings.cors_origins else LOCAL_ORIGINS,
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["Content-Type", "X-Request-ID", "Authorization"],
    )
    app.add_middleware(BodySizeLimitMiddleware, limit=settings.max_body_bytes)  # issue 16: before any read
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)  # issue 16: on every answer, 413s too
    app.add_middleware(RequestIdMiddleware)
    app.include_router(scheduler.router())
    app.include_router(chat_router)
    app.include_router(ai_sdk_router)  # POST /api/chat/ui: the same turns for the AI SDK's useChat
    if settings.playground_token:  # off: no routes at all (404), and none in /openapi.json
        app.include_router(playground_router)
    app.include_router(widget_router)

    @app.get("/health", tags=["ops"])
    async def health(service: Scheduler) -> dict[str, object]:
        """Liveness, and whether the slot data is usable."""
        return {"status": "ok", "slot_data": "ok" if service.healthy else "unusable"}

    return app


def app_from_environment() -> FastAPI:
    """The app for the environment's settings: uvicorn's factory for `serve` worker processes,
    each of which imports this module afresh (so each configures its own logging)."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
