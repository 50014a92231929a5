"""The chat endpoint: a turn of the agent streamed as Server-Sent Events, plus transcripts.

Each agent event becomes one SSE event whose `event:` is its type and whose `data:` is the
JSON object. A refused turn (bad input, unknown session, busy session, nothing to confirm)
is answered with a 4xx before any streaming starts.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Request, Response, status
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, ConfigDict, Field

from agent.events import Event
from agent.runtime import MAX_MESSAGE_CHARS
from agent.turn import RunningTurn, TurnOptions
from api.deps import ChatLimitsDep, Runtime
from scheduler.router import BUSY

router = APIRouter(prefix="/api/chat", tags=["chat"])
SESSION_ID = r"^[A-Za-z0-9_-]{1,100}$"  # what the runtime and the AI SDK's generateId() make
SessionId = Annotated[str, Path(pattern=SESSION_ID, description="The session's id.")]


class ChatRequest(BaseModel):
    """A patient's message, or (`confirm`) their answer to a pending booking by button."""

    model_config = ConfigDict(extra="forbid")

    session_id: str | None = Field(default=None, pattern=SESSION_ID, description="Omit to start a new session.")
    message: str | None = Field(
        default=None,
        description="The patient's message (1 to 2,000 characters; no control characters but tab and line breaks).",
        json_schema_extra={"minLength": 1, "maxLength": MAX_MESSAGE_CHARS},
    )
    confirm: bool | None = Field(default=None, description="Answer to a pending confirmation: true books it.")


async def start_turn(
    body: Annotated[ChatRequest, Body()], runtime: Runtime, limits: ChatLimitsDep, request: Request
) -> RunningTurn:
    """Runs before the stream opens, so a refusal (TurnRefused, RateLimited) gets its own status code."""
    client = limits.client(request)
    limits.admit(client, body.session_id, new=body.session_id is None)
    turn = await runtime.start_turn(body.session_id, body.message, body.confirm, options=TurnOptions(client=client))
    if body.session_id is None:
        limits.started(turn.session_id)
    return turn


async def stream(turn: RunningTurn) -> AsyncIterator[tuple[Event, ServerSentEvent]]:
    """The turn's events, each with its SSE form; leaving early (client gone) cancels the run.
    Events are plain JSON already, so they are dumped once here rather than walked by
    `jsonable_encoder`."""
    async for event in turn.events():
        yield event, ServerSentEvent(event=event["type"], raw_data=json.dumps(event))


@router.post(
    "",
    response_class=EventSourceResponse,
    responses={
        200: {"description": "`text/event-stream` of session, token, tool_call, tool_result, confirm, done|error."},
        400: {"description": "Empty, too long or malformed input."},
        404: {"description": "Unknown session id."},
        409: {"description": "A turn is already running in this session, or nothing waits for confirmation."},
        429: {"description": "Too many messages or new sessions from this client (`Retry-After`: seconds)."},
        **BUSY,
    },
)
async def chat(turn: Annotated[RunningTurn, Depends(start_turn)]) -> AsyncIterator[ServerSentEvent]:
    """Send a message (or a confirmation) and stream the agent's turn."""
    async for _, sse in stream(turn):
        yield sse


@router.get("/{session_id}", responses={404: {"description": "Unknown session id."}})
async def transcript(session_id: SessionId, runtime: Runtime) -> dict[str, object]:
    """The conversation so far, and the confirmation it waits for, if any."""
    return await runtime.transcript(session_id)


@router.delete(
    "/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        404: {"description": "Unknown session id."},
        409: {"description": "A turn is running in this session; delete it when the turn has finished."},
        **BUSY,
    },
)
async def forget(session_id: SessionId, runtime: Runtime) -> Response:
    """Forget the conversation entirely (the patient's right to be forgotten)."""
    await runtime.forget(session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
