"""The prompt playground for staff: `/playground` and `/api/playground/*`.

Off (every route answers 404) unless PLAYGROUND_TOKEN is set. When on, every request must
carry `Authorization: Bearer <PLAYGROUND_TOKEN>`, else 401; the page itself is answered with
401 too, but its body is the sign-in form, which keeps the token in the tab's sessionStorage
and sends it with every API call. Patients' chat (`/api/chat`) never sees the overrides: the
prompt, provider, model and temperature chosen here apply to the playground session only.

    GET  /playground                              the page (HTML, CSS and JS inline)
    GET  /api/playground/config                   default prompt, providers, clinic clock
    GET  /api/playground/prompt                   the shipped prompt template
    POST /api/playground/chat                     a turn, as the same SSE stream as /api/chat
    GET  /api/playground/sessions/{id}            the session's transcript and settings
    GET  /api/playground/sessions/{id}/export     the session as a YAML test script (download)
"""

from __future__ import annotations

import contextlib
import functools
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.models import ModelChoice
from agent.prompts import default_template
from agent.runtime import AgentRuntime, Turn, TurnOptions, TurnRefused
from api.calendly.service import ServiceError
from api.chat import stream
from api.errors import validation_message
from api.scripts.export import export_script
from core.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_SESSIONS = 500
SESSION_PREFIX = "pg-"
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


# --------------------------------------------------------------------------- access


def _token(request: Request) -> str:
    settings: Settings = request.app.state.settings
    if not settings.playground_token:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
    return settings.playground_token


def _authorised(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(given.strip().encode(), token.encode())


async def require_staff(request: Request) -> None:
    """404 while the playground is off; 401 without the right bearer token. (async: no thread-pool hand-off)"""
    token = _token(request)
    if not _authorised(request, token):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "the playground needs the staff token: Authorization: Bearer <PLAYGROUND_TOKEN>",
            headers={"WWW-Authenticate": 'Bearer realm="playground"'},
        )


page_router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/playground", tags=["playground"], dependencies=[Depends(require_staff)])


@functools.cache
def _page() -> str:
    """The page with its CSS and JS inlined, read once."""
    html = (STATIC_DIR / "playground.html").read_text(encoding="utf-8")
    css = (STATIC_DIR / "playground.css").read_text(encoding="utf-8")
    js = (STATIC_DIR / "playground.js").read_text(encoding="utf-8")
    html = html.replace('<link rel="stylesheet" href="playground.css">', f"<style>\n{css}</style>")
    return html.replace('<script src="playground.js"></script>', f"<script>\n{js}</script>")


@page_router.get("/playground")
async def page(request: Request) -> HTMLResponse:
    """The page: 401 (with the sign-in form as its body) without the token, 200 with it."""
    token = _token(request)
    code = status.HTTP_200_OK if _authorised(request, token) else status.HTTP_401_UNAUTHORIZED
    headers = {**NO_STORE, "X-Frame-Options": "DENY"}
    if code == status.HTTP_401_UNAUTHORIZED:
        headers["WWW-Authenticate"] = 'Bearer realm="playground"'
    return HTMLResponse(_page(), status_code=code, headers=headers)


# --------------------------------------------------------------------------- sessions


@dataclass
class PlaygroundSession:
    """What the checkpoint does not hold: when it started and the settings staff chose."""

    now: datetime
    provider: str
    model: str | None = None
    temperature: float | None = None
    prompt: str | None = None  # None: the shipped prompt
    turns: int = 0
    usage: dict[str, int] = field(default_factory=lambda: {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0})


def _sessions(request: Request) -> OrderedDict[str, PlaygroundSession]:
    return request.app.state.playground_sessions  # type: ignore[no-any-return]


def _session(request: Request, session_id: str) -> PlaygroundSession:
    found = _sessions(request).get(session_id)
    if found is None:
        raise ServiceError(404, f"session_id: no playground session {session_id!r} (sessions are kept until the server restarts)")
    return found


def providers(settings: Settings) -> list[str]:
    """The models staff may pick: the offline model always, OpenAI(-compatible) when configured."""
    names = ["offline"]
    if settings.openai_api_key or settings.openai_base_url:
        names.append("openai")
    if settings.llm_provider == "stub":
        names.append("stub")
    return names


async def get_runtime(request: Request) -> AgentRuntime:
    """The playground's own runtime: in-memory sessions, never a patient's. (async: no thread-pool hand-off)"""
    return request.app.state.playground_agent


Runtime = Annotated[AgentRuntime, Depends(get_runtime)]


@api.get("/config")
async def config(request: Request) -> dict[str, Any]:
    """What the page needs to start: the shipped prompt, the providers, the clinic clock."""
    settings: Settings = request.app.state.settings
    names = providers(settings)
    default = settings.effective_llm_provider if settings.effective_llm_provider in names else "offline"
    clock = request.app.state.scheduling.clock
    return {
        "prompt": default_template(),
        "providers": names,
        "default_provider": default,
        "default_model": settings.openai_model,
        "default_temperature": settings.llm_temperature,
        "clinic_name": settings.clinic_name,
        "now": clock.now().replace(tzinfo=None, microsecond=0).isoformat(),
        "timezone": str(clock.tz),
    }


@api.get("/prompt")
async def prompt() -> dict[str, str]:
    """The shipped system prompt template (`agent/system_prompt.md`)."""
    return {"prompt": default_template()}


class PlaygroundChatRequest(BaseModel):
    """A staff message (or confirmation answer) with the session's prompt and model settings."""

    model_config = ConfigDict(extra="forbid")

    session_id: str | None = Field(default=None, max_length=100, description="Omit to start a new playground session.")
    message: str | None = Field(default=None, description="The message (1 to 2,000 characters).")
    confirm: bool | None = Field(default=None, description="Answer to a pending confirmation: true books it.")
    prompt: str | None = Field(default=None, max_length=50_000, description="System prompt template; omit for the shipped one.")
    provider: str | None = Field(default=None, description="offline, or openai when configured; omit for the default.")
    model: str | None = Field(default=None, max_length=100, description="Model name (openai only).")
    temperature: float | None = Field(default=None, ge=0.0, le=2.0, description="Sampling temperature (openai only).")


def _options(request: Request, body: PlaygroundChatRequest) -> tuple[str, TurnOptions, PlaygroundSession]:
    settings: Settings = request.app.state.settings
    names = providers(settings)
    provider = body.provider or (settings.effective_llm_provider if settings.effective_llm_provider in names else "offline")
    if provider not in names:
        raise ServiceError(400, f"provider: must be one of {', '.join(names)}; got {provider!r}")
    if provider == "openai":
        temperature = None if body.temperature is None else round(body.temperature, 2)  # bounds the graph cache
        choice = ModelChoice("openai", body.model or settings.openai_model, temperature)
    else:
        choice = ModelChoice(provider)  # the offline and stub models take neither a name nor a temperature
    template = body.prompt if body.prompt and body.prompt.strip() and body.prompt != default_template() else None
    chosen = PlaygroundSession(
        now=request.app.state.scheduling.clock.now(), provider=provider, model=choice.model,
        temperature=choice.temperature, prompt=template,
    )
    return provider, TurnOptions(prompt_template=template, choice=choice), chosen


async def start_playground_turn(request: Request, runtime: Runtime) -> Turn:
    """Parsed here, after the token check, so no request without the token learns anything but 401."""
    try:
        body = PlaygroundChatRequest.model_validate(await request.json())
    except ValueError as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else [{"type": "json_invalid", "loc": ("body",)}]
        raise ServiceError(400, validation_message(list(errors))) from None
    _, options, chosen = _options(request, body)
    sessions = _sessions(request)
    if body.session_id is None:
        session_id, create = SESSION_PREFIX + secrets.token_urlsafe(15), True
    else:
        session_id, create = body.session_id, False
        _session(request, session_id)  # only the playground's own sessions, never a patient's
    turn: Turn = await runtime.start_turn(session_id, body.message, body.confirm, options=options, create=create)
    kept = sessions.get(session_id)
    if kept is None:  # new, or evicted by a concurrent request meanwhile
        kept = sessions[session_id] = chosen
    else:
        kept.provider, kept.model, kept.temperature, kept.prompt = chosen.provider, chosen.model, chosen.temperature, chosen.prompt
        sessions.move_to_end(session_id)
    kept.turns += 1
    while len(sessions) > MAX_SESSIONS:  # the least recently used go, with their conversation
        old, _ = sessions.popitem(last=False)
        with contextlib.suppress(TurnRefused):
            await runtime.forget(old)
    return turn


@api.post(
    "/chat",
    response_class=EventSourceResponse,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": PlaygroundChatRequest.model_json_schema()}}}
    },
    responses={200: {"description": "The same `text/event-stream` as /api/chat."}, 401: {"description": "No or wrong staff token."}},
)
async def chat(request: Request, turn: Annotated[Turn, Depends(start_playground_turn)]) -> AsyncIterator[ServerSentEvent]:
    """A playground turn with this session's prompt and model; streams the agent's events."""
    kept = _sessions(request).get(turn.session_id)
    async for sse in stream(turn):
        event = sse.data if isinstance(sse.data, dict) else {}
        if kept is not None and event.get("type") == "done" and event.get("usage"):
            for key, value in event["usage"].items():
                kept.usage[key] = kept.usage.get(key, 0) + int(value or 0)
        yield sse


@api.get("/sessions/{session_id}")
async def session(request: Request, session_id: str, runtime: Runtime) -> dict[str, Any]:
    """The session's transcript (tool calls and results included) and its settings."""
    kept = _session(request, session_id)
    transcript = await runtime.transcript(session_id)
    return {
        **transcript,  # type: ignore[dict-item]
        "settings": {"provider": kept.provider, "model": kept.model, "temperature": kept.temperature,
                     "custom_prompt": kept.prompt is not None},
        "usage": kept.usage,
        "turns": kept.turns,
    }


@api.get("/sessions/{session_id}/export", response_class=Response, responses={200: {"content": {"application/x-yaml": {}}}})
async def export(request: Request, session_id: str, runtime: Runtime) -> Response:
    """The session as a conversation script (YAML) that `scheduling-agent test-script` replays."""
    kept = _session(request, session_id)
    text = await export_script(
        runtime, request.app.state.scheduling, session_id,
        now=kept.now, prompt=kept.prompt, provider=kept.provider if kept.provider != "openai" else f"openai {kept.model}",
    )
    filename = f"playground-{session_id.removeprefix(SESSION_PREFIX)[:12]}.yaml"
    return Response(
        text, media_type="application/x-yaml",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


router = APIRouter()
router.include_router(page_router)
router.include_router(api)
