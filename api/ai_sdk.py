"""`POST /api/chat/ui`: the agent's turn in the Vercel AI SDK's UI message stream protocol (v1),
so a site's own `useChat` front end (React, Vue, Svelte) can run on this backend.

A thin adapter over the same turn as `/api/chat` (agent/turn.py): the AI SDK's chat `id` is the
session id, and the server keeps the conversation, so only the request's last message is read:

- the patient's message (role `user`, its text parts) starts a turn;
- the client's tool-approval response (the last message is the assistant's, with one tool part in
  state `approval-responded`) answers the pending confirmation. Only `approved: true` for the
  pending call books; anything else declines it (the same code-enforced rule as `confirm: true`).

The turn's events become UI message chunks: `start`, `start-step`, `text-start`/`text-delta`/
`text-end`, `tool-input-available`, `tool-output-available` (or `tool-output-error`,
`tool-output-denied`), `tool-approval-request` for every gated tool (agent.graph.CONFIRMED_TOOLS),
`data-slots` (the free times a check returned), `data-booking` (the booking made this turn),
`finish-step`, `finish`, or `error`; any other event type (e.g. `safety`) as `data-<type>`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Request, Response, status
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, ConfigDict, Field

from agent import events
from agent.turn import RunningTurn, TurnOptions
from api.deps import ChatLimitsDep, Runtime
from scheduler.router import BUSY

router = APIRouter(prefix="/api/chat", tags=["chat"])

STREAM_HEADER = ("x-vercel-ai-ui-message-stream", "v1")
SLOT_FIELDS = ("date", "day", "appointment_type", "time_of_day", "slots", "next_available")
Chunk = dict[str, Any]


class UIPart(BaseModel):
    """A part of a UI message: only `text` parts and answered tool approvals are read."""

    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None
    toolCallId: str | None = None  # noqa: N815  # the protocol's field names
    state: str | None = None
    approval: dict[str, Any] | None = None


class UIMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(max_length=200)
    role: Literal["system", "user", "assistant"]
    parts: list[UIPart]


class UIChatRequest(BaseModel):
    """The body `DefaultChatTransport` sends; other fields a front end adds are ignored."""

    id: str = Field(
        pattern=r"^[A-Za-z0-9_-]{16,100}$",
        description="The chat id, used as the session id: 16 to 100 letters, digits, '-' or '_', unguessable "
        "(the AI SDK's default generateId() makes one). Whoever knows it can continue the conversation.",
    )
    messages: list[UIMessage] = Field(min_length=1, description="The chat; only the last message is read.")
    trigger: Literal["submit-message", "regenerate-message"] = "submit-message"
    messageId: str | None = None  # noqa: N815


class _Answer(BaseModel):
    """What the last message asks for: a message, or the answer to one tool approval."""

    message: str | None = None
    confirm: bool | None = None
    confirm_id: str | None = None
    continues: str | None = None  # the assistant message an approval answer continues


def _bad(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_400_BAD_REQUEST, detail)


def read_request(body: UIChatRequest) -> _Answer:
    """The turn the request asks for; a 400 naming the field for anything else."""
    if body.trigger == "regenerate-message":
        raise _bad(
            "trigger: regenerate-message is not supported: the server keeps the conversation and a reply "
            "cannot be taken back; send a new message instead"
        )
    last = body.messages[-1]
    if last.role == "user":
        texts = [part.text for part in last.parts if part.type == "text" and part.text]
        if not texts:
            raise _bad("messages: the last message has no text part (only text is understood)")
        return _Answer(message="\n".join(texts))
    if last.role == "assistant":
        answered = [p for p in last.parts if p.type.startswith("tool-") and p.state == "approval-responded"]
        if len(answered) != 1:
            raise _bad(
                "messages: the last message is the assistant's, so it must answer exactly one tool approval "
                f"(a tool part in state approval-responded); it has {len(answered)}"
            )
        part = answered[0]
        approval = part.approval or {}
        if approval.get("id") != part.toolCallId or not isinstance(approval.get("approved"), bool):
            raise _bad("messages: the approval response needs the approval's id and approved: true or false")
        # Only an explicit true approves; false (with or without a reason) declines.
        return _Answer(confirm=approval["approved"] is True, confirm_id=part.toolCallId, continues=last.id)
    raise _bad("messages: the last message must be the patient's (role user) or an approval response")


async def start_ui_turn(
    body: Annotated[UIChatRequest, Body()],
    runtime: Runtime,
    response: Response,
    limits: ChatLimitsDep,
    request: Request,
) -> tuple[RunningTurn, _Answer]:
    """Runs before the stream opens, so a refusal gets its own status code and JSON detail."""
    answer = read_request(body)
    client = limits.client(request)
    # The chat id is the client's: a new one starts a conversation (one read, only if counted).
    limits.admit(client, body.id, new=limits.counts_sessions and not await runtime.exists(body.id))
    turn = await runtime.start_turn(
        body.id,
        answer.message,
        answer.confirm,
        create=True,
        confirm_id=answer.confirm_id,
        options=TurnOptions(client=client),
    )
    response.headers[STREAM_HEADER[0]] = STREAM_HEADER[1]
    return turn, answer


class UIStream:
    """One turn's events as UI message chunks, in order."""

    def __init__(self, turn: RunningTurn, answer: _Answer) -> None:
        self.turn = turn
        self.message_id = answer.continues or f"msg-{secrets.token_urlsafe(12)}"
        self.continues = answer.continues is not None
        self.text_id: str | None = None
        self.texts = 0
        self.calls: set[str] = set()  # tool calls whose part is in this message

    def _end_text(self) -> list[Chunk]:
        if self.text_id is None:
            return []
        chunk = {"type": "text-end", "id": self.text_id}
        self.text_id = None
        return [chunk]

    def chunks(self, event: events.Event) -> list[Chunk]:
        kind = event["type"]
        if kind == "session":  # its fields (session_id, and any the event gains) as the message's metadata
            metadata = {k: v for k, v in event.items() if k != "type"}
            return [
                {"type": "start", "messageId": self.message_id, "messageMetadata": metadata},
                {"type": "start-step"},
            ]
        if kind == "token":
            out = []
            if self.text_id is None:
                self.texts += 1
                self.text_id = f"{self.message_id}-text-{self.texts}"
                out.append({"type": "text-start", "id": self.text_id})
            return [*out, {"type": "text-delta", "id": self.text_id, "delta": event["text"]}]
        out = self._end_text()
        if kind == "tool_call":
            self.calls.add(event["id"])
            return [*out, _tool_input(event["id"], event["name"], event["args"])]
        if kind == "tool_result":
            return out + self._tool_result(event)
        if kind == "confirm":
            descriptor = {k: v for k, v in event.items() if k not in ("type", "id", "name", "args")}
            return [
                *out,
                {
                    "type": "tool-approval-request",
                    "approvalId": event["id"],
                    "toolCallId": event["id"],
                    "approvalDescriptor": descriptor,
                },
            ]
        if kind == "done":
            if event.get("booking"):
                booking = event["booking"]
                out.append({"type": "data-booking", "id": str(booking.get("booking_id", "")), "data": booking})
            metadata = {"usage": event.get("usage"), "pending": event.get("pending") is not None}
            finish = "tool-calls" if event.get("pending") else "stop"
            return [
                *out,
                {"type": "finish-step"},
                {"type": "finish", "finishReason": finish, "messageMetadata": metadata},
            ]
        if kind == "error":
            return [*out, {"type": "error", "errorText": event["message"]}]
        # Anything else (a `safety` notice, a newer event type): its fields as a data part.
        return [*out, {"type": f"data-{kind}", "data": {k: v for k, v in event.items() if k != "type"}}]

    def _tool_result(self, event: events.Event) -> list[Chunk]:
        call_id, data = event["id"], event.get("data") or {}
        out = []
        answering = self.turn.answering
        if call_id not in self.calls and not self.continues and answering and answering["id"] == call_id:
            # A typed answer to the confirmation: the client starts a new message, which needs the
            # call's part before its outcome.
            out.append(_tool_input(call_id, answering["name"], answering["args"]))
        self.calls.add(call_id)
        if answering and answering["id"] == call_id and self.turn.approved is False:
            return [*out, {"type": "tool-output-denied", "toolCallId": call_id}]
        if "ok" not in data:  # not the tool's JSON: its arguments were refused before it ran
            return [*out, {"type": "tool-output-error", "toolCallId": call_id, "errorText": str(data.get("message"))}]
        out.append({"type": "tool-output-available", "toolCallId": call_id, "output": data})
        if event["name"] == "check_availability" and data.get("ok"):
            slots = {k: data[k] for k in SLOT_FIELDS if k in data}
            out.append({"type": "data-slots", "id": call_id, "data": slots})
        return out


def _tool_input(call_id: str, name: str, args: dict[str, Any]) -> Chunk:
    return {"type": "tool-input-available", "toolCallId": call_id, "toolName": name, "input": args}


@router.post(
    "/ui",
    response_class=EventSourceResponse,
    responses={
        200: {"description": "The AI SDK UI message stream (`x-vercel-ai-ui-message-stream: v1`)."},
        400: {"description": "A malformed body, an empty or too long message, an unsupported trigger."},
        409: {"description": "A turn is running in this chat, or the approval answers no pending confirmation."},
        429: {"description": "Too many messages or new chats from this client (`Retry-After`: seconds)."},
        **BUSY,
    },
)
async def ui_chat(
    started: Annotated[tuple[RunningTurn, _Answer], Depends(start_ui_turn)],
) -> AsyncIterator[ServerSentEvent]:
    """A turn for the AI SDK's `useChat`: send the chat (`id`, `messages`), stream the reply."""
    turn, answer = started
    translate = UIStream(turn, answer)
    async for event in turn.events():
        for chunk in translate.chunks(event):
            yield ServerSentEvent(raw_data=json.dumps(chunk))
    yield ServerSentEvent(raw_data="[DONE]")
