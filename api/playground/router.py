"""The prompt playground for staff: `/playground` and `/api/playground/*`.

Off unless PLAYGROUND_TOKEN is set: the app then does not mount these routes at all (404, and
absent from /openapi.json). When on, every API request must carry
`Authorization: Bearer <PLAYGROUND_TOKEN>`, else 401. The page itself is public (200): it holds
no data, only the sign-in form, which keeps the token in the tab's sessionStorage and sends it
with every API call. Patients' chat (`/api/chat`) never sees the overrides: the prompt,
provider, model and temperature chosen here apply to the playground session only.

    GET  /playground                              the page (HTML, CSS and JS inline)
    GET  /api/playground/config                   default prompt, providers (the model each really runs,
                                                  whether it reads the prompt), clinic clock
    GET  /api/playground/prompt                   the shipped prompt template
    POST /api/playground/chat                     a turn, as the same SSE stream as /api/chat
    GET  /api/playground/sessions/{id}            the session's transcript and settings
    GET  /api/playground/sessions/{id}/export     the session as a YAML test script (download)
    POST /api/playground/sessions/{id}/eval       that script run k times with the staff's prompt
                                                  and model: pass^1..pass^k (api/evaluation.py)
"""

from __future__ import annotations

import contextlib
import functools
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.models import ModelChoice
from agent.offline.model import MODEL_NAME as OFFLINE_MODEL_NAME
from agent.prompts import default_template
from agent.turn import RunningTurn, TurnOptions, TurnRefused
from api.chat import stream
from api.deps import ClockDep, PlaygroundRuntime, Scheduler, Services, SettingsDep, StaffSessionsDep
from api.evaluation import default_parallel, trial_model_settings
from api.playground.export import export_script
from api.playground.sessions import SESSION_PREFIX, PlaygroundSession, StaffSessions
from core.clock import Clock
from core.errors import validation_message
from core.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


# --------------------------------------------------------------------------- access


def _authorised(request: Request, token: str | None) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return (
        token is not None
        and scheme.lower() == "bearer"
        and secrets.compare_digest(given.strip().encode(), token.encode())
    )


async def require_staff(request: Request, settings: SettingsDep) -> None:
    """401 without the right bearer token (the routes exist only while a token is configured)."""
    if not _authorised(request, settings.playground_token):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "the playground needs the staff token: Authorization: Bearer <PLAYGROUND_TOKEN>",
            headers={"WWW-Authenticate": 'Bearer realm="playground"'},
        )


page_router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/playground", tags=["playground"], dependencies=[Depends(require_staff)])


@functools.cache
def page_html() -> str:
    """The page with its CSS and JS inlined, read once (the CSP hashes its inline script)."""
    html = (STATIC_DIR / "playground.html").read_text(encoding="utf-8")
    css = (STATIC_DIR / "playground.css").read_text(encoding="utf-8")
    js = (STATIC_DIR / "playground.js").read_text(encoding="utf-8")
    html = html.replace('<link rel="stylesheet" href="playground.css">', f"<style>\n{css}</style>")
    return html.replace('<script src="playground.js"></script>', f"<script>\n{js}</script>")


@page_router.get("/playground")
async def page() -> HTMLResponse:
    """The page, the same for everyone: a browser cannot send a bearer token with a page load,
    so the sign-in form in it asks for the token, and the API it calls checks it."""
    return HTMLResponse(page_html(), headers={**NO_STORE, "X-Frame-Options": "DENY"})


# --------------------------------------------------------------------------- sessions


async def _session(sessions: StaffSessions, session_id: str) -> PlaygroundSession:
    found = await sessions.get(session_id)
    if found is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"session_id: no playground session {session_id!r} "
            f"(the {sessions.limit} most recently used are kept; start a new one)",
        )
    return found


def providers(settings: Settings) -> list[str]:
    """The models staff may pick: the offline model always, OpenAI(-compatible) when configured."""
    names = ["offline"]
    if settings.openai_api_key or settings.openai_base_url:
        names.append("openai")
    if settings.llm_provider == "stub":
        names.append("stub")
    return names


# What each provider really runs, and whether it reads the system prompt at all.
EMBEDDED_MODELS = {"offline": f"{OFFLINE_MODEL_NAME} (embedded, rule-based)", "stub": "stub (scripted replies)"}
READS_PROMPT = {"openai": True, "offline": False, "stub": False}


def model_in_use(settings: Settings, provider: str, model: str | None = None) -> str:
    """The model a provider runs: the chosen/configured name for openai, the embedded one otherwise."""
    return model or settings.openai_model if provider == "openai" else EMBEDDED_MODELS[provider]


def _default_provider(settings: Settings) -> str:
    provider = settings.effective_llm_provider
    return provider if provider in providers(settings) else "offline"


@api.get("/config")
async def config(settings: SettingsDep, clock: ClockDep) -> dict[str, Any]:
    """What the page needs to start: the shipped prompt, the providers, the clinic clock."""
    return {
        "prompt": default_template(),
        "providers": providers(settings),
        "default_provider": _default_provider(settings),
        "default_model": model_in_use(settings, _default_provider(settings)),
        "models": {name: model_in_use(settings, name) for name in providers(settings)},
        "reads_prompt": {name: READS_PROMPT[name] for name in providers(settings)},
        "default_temperature": settings.llm_temperature,
        "clinic_name": settings.clinic_name,
        "now": clock.now().replace(tzinfo=None, microsecond=0).isoformat(),
        "timezone": str(clock.tz),
    }


@api.get("/prompt")
async def prompt() -> dict[str, str]:
    """The shipped system prompt template (`agent/system_prompt.md`)."""
    return {"prompt": default_template()}


class ModelOptions(BaseModel):
    """The prompt and model staff chose (each omitted: the shipped one)."""

    model_config = ConfigDict(extra="forbid")

    prompt: str | None = Field(
        default=None, max_length=50_000, description="System prompt template; omit for the shipped one."
    )
    provider: str | None = Field(default=None, description="offline, or openai when configured; omit for the default.")
    model: str | None = Field(default=None, max_length=100, description="Model name (openai only).")
    temperature: float | None = Field(default=None, ge=0.0, le=2.0, description="Sampling temperature (openai only).")


class PlaygroundChatRequest(ModelOptions):
    """A staff message (or confirmation answer) with the session's prompt and model settings."""

    session_id: str | None = Field(default=None, max_length=100, description="Omit to start a new playground session.")
    message: str | None = Field(default=None, description="The message (1 to 2,000 characters).")
    confirm: bool | None = Field(default=None, description="Answer to a pending confirmation: true books it.")


MAX_TRIALS = 20


class PlaygroundEvalRequest(ModelOptions):
    """How many times to replay the session's script, with which prompt and model."""

    trials: int = Field(default=5, ge=1, le=MAX_TRIALS, description=f"Runs of the script (1 to {MAX_TRIALS}).")


def _options(settings: Settings, clock: Clock, body: ModelOptions) -> tuple[TurnOptions, PlaygroundSession]:
    names = providers(settings)
    provider = body.provider or _default_provider(settings)
    if provider not in names:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"provider: must be one of {', '.join(names)}; got {provider!r}"
        )
    if provider == "openai":
        temperature = None if body.temperature is None else round(body.temperature, 2)  # bounds the graph cache
        choice = ModelChoice("openai", body.model or settings.openai_model, temperature)
    else:
        choice = ModelChoice(provider)  # the offline and stub models take neither a name nor a temperature
    template = body.prompt if body.prompt and body.prompt.strip() and body.prompt != default_template() else None
    chosen = PlaygroundSession(
        now=clock.now(),
        provider=provider,
        model=model_in_use(settings, provider, choice.model),
        temperature=choice.temperature,
        prompt=template,
    )
    return TurnOptions(prompt_template=template, choice=choice), chosen


async def start_playground_turn(
    request: Request, runtime: PlaygroundRuntime, settings: SettingsDep, clock: ClockDep, sessions: StaffSessionsDep
) -> RunningTurn:
    """Parsed here, after the token check, so no request without the token learns anything but 401."""
    try:
        body = PlaygroundChatRequest.model_validate(await request.json())
    except ValueError as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else [{"type": "json_invalid", "loc": ("body",)}]
        raise HTTPException(status.HTTP_400_BAD_REQUEST, validation_message(list(errors))) from None
    options, chosen = _options(settings, clock, body)
    if body.session_id is None:
        session_id, create = sessions.new_id(), True
    else:
        session_id, create = body.session_id, False
        await _session(sessions, session_id)  # only the playground's own sessions, never a patient's
    turn = await runtime.start_turn(session_id, body.message, body.confirm, options=options, create=create)
    await sessions.record_turn(session_id, chosen)
    for old in await sessions.evict():  # the least recently used go, with their conversation
        with contextlib.suppress(TurnRefused):
            await runtime.forget(old)
    return turn


@api.post(
    "/chat",
    response_class=EventSourceResponse,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": PlaygroundChatRequest.model_json_schema()}},
        }
    },
    responses={
        200: {"description": "The same `text/event-stream` as /api/chat."},
        401: {"description": "No or wrong staff token."},
    },
)
async def chat(
    turn: Annotated[RunningTurn, Depends(start_playground_turn)], sessions: StaffSessionsDep
) -> AsyncIterator[ServerSentEvent]:
    """A playground turn with this session's prompt and model; streams the agent's events."""
    async for event, sse in stream(turn):
        if event["type"] == "done" and event.get("usage"):
            await sessions.add_usage(turn.session_id, event["usage"])
        yield sse


@api.get("/sessions/{session_id}")
async def session(session_id: str, runtime: PlaygroundRuntime, sessions: StaffSessionsDep) -> dict[str, Any]:
    """The session's transcript (tool calls and results included) and its settings."""
    kept = await _session(sessions, session_id)
    transcript = await runtime.transcript(session_id)
    return {
        **transcript,
        "settings": {
            "provider": kept.provider,
            "model": kept.model,
            "temperature": kept.temperature,
            "custom_prompt": kept.prompt is not None,
        },
        "usage": kept.usage,
        "turns": kept.turns,
    }


@api.get(
    "/sessions/{session_id}/export", response_class=Response, responses={200: {"content": {"application/x-yaml": {}}}}
)
async def export(
    session_id: str, runtime: PlaygroundRuntime, scheduler: Scheduler, sessions: StaffSessionsDep
) -> Response:
    """The session as a conversation script (YAML) that `scheduling-agent test-script` replays."""
    kept = await _session(sessions, session_id)
    text = await export_script(
        await runtime.history(session_id),
        scheduler,
        now=kept.now,
        prompt=kept.prompt,
        provider=kept.provider if kept.provider != "openai" else f"openai {kept.model}",
    )
    filename = f"playground-{session_id.removeprefix(SESSION_PREFIX)[:12]}.yaml"
    return Response(
        text,
        media_type="application/x-yaml",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


@api.post(
    "/sessions/{session_id}/eval",
    responses={
        200: {"description": "pass^1..pass^k of the replays, their failures grouped, model calls and tokens."},
        409: {"description": "The session has no finished turn to replay yet."},
        501: {
            "description": "This server was built without a script evaluator (start it with scheduling-agent serve)."
        },
    },
)
async def evaluate(
    session_id: str,
    body: PlaygroundEvalRequest,
    runtime: PlaygroundRuntime,
    scheduler: Scheduler,
    sessions: StaffSessionsDep,
    services: Services,
    settings: SettingsDep,
    clock: ClockDep,
) -> dict[str, Any]:
    """The session exported as a script and run `trials` times, each on a fresh database, with the
    prompt and model given (the editor's, which may differ from the session's): how reliable is it?"""
    kept = await _session(sessions, session_id)
    if services.evaluator is None:
        raise HTTPException(
            status.HTTP_501_NOT_IMPLEMENTED,
            "replaying scripts needs the script runner: start the server with `scheduling-agent serve`",
        )
    options, chosen = _options(settings, clock, body)
    history = await runtime.history(session_id)
    if not any(turn.replies for turn in history.turns()):
        raise HTTPException(status.HTTP_409_CONFLICT, "the session has no finished turn to replay yet")
    text = await export_script(
        history, scheduler, now=kept.now, prompt=options.prompt_template, provider=chosen.provider
    )
    report = await services.evaluator(
        text,
        trials=body.trials,
        provider=chosen.provider,
        model_settings=trial_model_settings(settings, model=chosen.model, temperature=chosen.temperature),
        parallel=default_parallel(chosen.provider),
    )
    return {**report, "script": text}


router = APIRouter()
router.include_router(page_router)
router.include_router(api)  # mounted by create_app only while PLAYGROUND_TOKEN is set
