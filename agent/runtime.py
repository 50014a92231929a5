"""Conversations: one turn at a time per session, state in a LangGraph checkpointer, events out.

`AgentRuntime.open(settings)` wires the tools' HTTP client, the checkpointer, the session table
and the graph; `start_turn` validates a request, leases the session (agent/sessions.py: shared by
every worker process) and starts the run as a task that feeds an event queue, so a turn always
finishes (and frees its session) even if nobody reads it, and a reader that goes away cancels it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from agent import events, tracing
from agent.confirmation import is_affirmative
from agent.graph import TurnContext, build_graph
from agent.models import ModelChoice, make_model
from agent.sessions import UNKNOWN, Busy, SessionTable
from agent.stub import StubExhausted, StubScript
from core import sqlite
from core.clock import Clock, clinic_timezone
from core.settings import Settings
from tools.client import SchedulerClient
from tools.scheduling import build_tools

log = logging.getLogger("agent")

MAX_MESSAGE_CHARS = 2000
DECLINED_BY_BUTTON = "No, I'd like to change something."
BUSY = "this session is still answering the previous message; wait for it to finish"
# However slow the model, a turn ends (and frees its session) within this. A turn whose lease was
# lost to another worker (agent/sessions.py) is cut off the same way at once.
TURN_SECONDS = 240.0
TOO_SLOW = "Sorry, that took too long to answer. Please send your message again."


class TurnRefused(Exception):
    """A turn that cannot start; `status` is the HTTP status that fits."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownSession(TurnRefused):
    status = 404


class SessionBusy(TurnRefused):
    status = 409


class NothingPending(TurnRefused):
    status = 409


@dataclass
class Turn:
    """A running turn: read `events()` once; closing it early cancels the run."""

    session_id: str
    queue: asyncio.Queue[events.Event | None]
    task: asyncio.Task[None] | None = None

    async def events(self) -> AsyncIterator[events.Event]:
        """The turn's events. Tokens that queued up while the reader was busy (a loaded server)
        go out as one `token` event: the same text in fewer, larger writes."""
        held: Any = _NOTHING  # an event taken from the queue while gathering tokens
        try:
            while True:
                event = await self.queue.get() if held is _NOTHING else held
                held = _NOTHING
                if event is None:
                    return
                if event["type"] == "token":
                    texts = [event["text"]]
                    while held is _NOTHING and not self.queue.empty():
                        following = self.queue.get_nowait()
                        if following is not None and following["type"] == "token":
                            texts.append(following["text"])
                        else:
                            held = following
                    if len(texts) > 1:
                        event = events.token("".join(texts))
                yield event
        finally:
            if self.task and not self.task.done():
                self.task.cancel()
                await asyncio.gather(self.task, return_exceptions=True)


_NOTHING: Any = object()


@dataclass
class TurnOptions:
    """Per-turn overrides (the staff playground): prompt template and model choice."""

    prompt_template: str | None = None
    choice: ModelChoice | None = None


def _checkpoint_path(settings: Settings) -> str | None:
    if settings.checkpoint_url == "memory":
        return None
    if settings.checkpoint_url:
        return settings.checkpoint_url.removeprefix("sqlite:///")
    db = settings.database_url.removeprefix("sqlite:///")
    return str(Path(db).with_name(Path(db).stem + "-sessions.db"))


async def _sqlite_checkpointer(path: str, stack: AsyncExitStack) -> Any:
    """An AsyncSqliteSaver on a WAL connection that waits for, not fails on, other writers."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    conn = await sqlite.connect(path, synchronous="NORMAL", timeout=30.0)
    stack.push_async_callback(conn.close)
    saver = AsyncSqliteSaver(conn)
    await saver.setup()
    return saver


@dataclass
class AgentRuntime:
    settings: Settings
    clock: Clock
    tools: list[Any]
    checkpointer: Any
    sessions: SessionTable
    stub_script: StubScript | None = None
    model_hook: Callable[[Any], Any] | None = None  # tests and scripts adjust the model (e.g. stub render)
    _graphs: dict[ModelChoice, Any] = field(default_factory=dict)
    _active: set[str] = field(default_factory=set)  # sessions with a turn running in this process
    _deadlines: dict[str, asyncio.Timeout] = field(default_factory=dict)  # of the running turns
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        settings: Settings,
        *,
        scheduler_app: Any = None,
        stub_script: StubScript | None = None,
        clock: Clock | None = None,
        model_hook: Callable[[Any], Any] | None = None,
    ) -> AsyncIterator[AgentRuntime]:
        """Tools reach SCHEDULER_BASE_URL, or `scheduler_app` in-process when that is unset."""
        tracing.install()
        async with AsyncExitStack() as stack:
            base_url = settings.scheduler_base_url
            if not base_url and scheduler_app is None:
                raise ValueError("no scheduling service: set SCHEDULER_BASE_URL or pass scheduler_app")
            client = SchedulerClient(
                base_url,
                app=None if base_url else scheduler_app,
                timeout=settings.scheduler_timeout,
                retries=settings.scheduler_retries,
            )
            stack.push_async_callback(client.aclose)
            path = _checkpoint_path(settings)
            if path is None:
                checkpointer: Any = InMemorySaver()
            else:
                checkpointer = await _sqlite_checkpointer(path, stack)
            sessions = await stack.enter_async_context(SessionTable.open(path))
            clock = clock or Clock(clinic_timezone(settings.clinic_timezone, settings.schedule_file), settings.scheduler_now)
            runtime = cls(settings, clock, build_tools(client), checkpointer, sessions, stub_script, model_hook)
            sessions.on_lost = runtime._lease_lost
            runtime.graph()  # fail at start-up, not on the first patient, if the model is misconfigured
            try:
                yield runtime
            finally:
                await runtime.shutdown()

    async def shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def graph(self, choice: ModelChoice | None = None) -> Any:
        """The compiled graph for a model choice (cached; all share one checkpointer)."""
        choice = choice or ModelChoice(self.settings.effective_llm_provider)
        if choice not in self._graphs:
            if len(self._graphs) >= 32:  # playground choices (model, temperature) must not pile up
                default = ModelChoice(self.settings.effective_llm_provider)
                self._graphs = {default: self._graphs[default]} if default in self._graphs else {}
            model = make_model(self.settings, self.clock, choice, stub_script=self.stub_script)
            if self.model_hook:
                model = self.model_hook(model) or model
            self._graphs[choice] = build_graph(
                model, self.tools, clock=self.clock, clinic_name=self.settings.clinic_name, checkpointer=self.checkpointer
            )
        return self._graphs[choice]

    @staticmethod
    def _config(session_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": session_id}}

    async def exists(self, session_id: str) -> bool:
        if await self.sessions.known(session_id):
            return True
        return await self.checkpointer.aget_tuple(self._config(session_id)) is not None

    async def _state(self, session_id: str) -> tuple[bool, events.Event | None]:
        """Whether the session exists, and the confirmation it waits for (one checkpoint read)."""
        state = await self.graph().aget_state(self._config(session_id))
        return state.created_at is not None, self._pending_in(state)

    def _pending_in(self, state: Any) -> events.Event | None:
        """The confirm event of a state snapshot paused at a gated tool call, if it is."""
        return self._confirm_for(state.interrupts, state.values.get("messages", []))

    def _confirm_for(self, interrupts: Any, messages: list[BaseMessage]) -> events.Event | None:
        """The confirm event for the human-in-the-loop interrupts of a run, if any."""
        for interrupt in interrupts:
            for request in interrupt.value.get("action_requests", []):
                call_id = self._pending_call_id(messages, request)
                return events.confirm(call_id, request["name"], request["args"])
        return None

    @staticmethod
    def _pending_call_id(messages: list[BaseMessage], request: dict[str, Any]) -> str:
        for message in reversed(messages):
            if isinstance(message, AIMessage):
                for call in message.tool_calls:
                    if call["name"] == request["name"] and call["args"] == request["args"]:
                        return str(call["id"])
                break
        return ""

    async def start_turn(
        self,
        session_id: str | None,
        message: str | None = None,
        confirm: bool | None = None,
        *,
        options: TurnOptions | None = None,
        create: bool = False,
    ) -> Turn:
        """Validate and start a turn: a message, or the answer to a pending confirmation."""
        if (message is None) == (confirm is None):
            raise TurnRefused("send either a message or a confirm answer")
        if message is not None:
            message = message.strip()
            if not message:
                raise TurnRefused("message: must not be empty")
            if len(message) > MAX_MESSAGE_CHARS:
                raise TurnRefused(f"message: must be at most {MAX_MESSAGE_CHARS} characters (got {len(message)})")
        if session_id is None:
            if confirm is not None:
                raise NothingPending("confirm: there is no booking waiting for confirmation in this session")
            session_id, pending = secrets.token_urlsafe(18), None
            self._active.add(session_id)
            try:
                await self.sessions.create(session_id)
            except BaseException:
                self._active.discard(session_id)
                raise
        else:
            pending = await self._claim(session_id, confirm, create)
        turn = Turn(session_id, asyncio.Queue())
        turn.task = asyncio.create_task(self._run(turn, message, confirm, pending, options or TurnOptions()))
        self._tasks.add(turn.task)
        turn.task.add_done_callback(self._tasks.discard)
        return turn

    async def _claim(self, session_id: str, confirm: bool | None, create: bool) -> events.Event | None:
        """Lease the session (busy here: 409 before any await; busy in another worker: 409 from
        the table), check the request against it, and give the lease back if the turn is
        refused. Returns the confirmation the session waits for."""
        if session_id in self._active:
            raise SessionBusy(BUSY)
        self._active.add(session_id)
        leased, pending = False, UNKNOWN
        try:
            try:
                lease = await self.sessions.claim(session_id)
                if lease is None:
                    # Unknown to the table: a session saved before the table existed, or none.
                    saved = await self.checkpointer.aget_tuple(self._config(session_id)) is not None
                    if not saved and not create:
                        raise UnknownSession(
                            f"session_id: no session {session_id!r} (it may have been deleted); start a new one"
                        )
                    lease = await self.sessions.create(session_id, pending=UNKNOWN if saved else None)
            except (Busy, aiosqlite.IntegrityError):
                raise SessionBusy(BUSY) from None
            leased = True
            pending = lease.pending if lease.pending is not UNKNOWN else (await self._state(session_id))[1]
            if confirm is not None and pending is None:
                raise NothingPending("confirm: there is no booking waiting for confirmation in this session")
        except BaseException:
            self._active.discard(session_id)
            if leased:  # refused: the session stays as it was
                await asyncio.shield(self.sessions.release(session_id, pending))
            raise
        return pending

    async def _run(
        self,
        turn: Turn,
        message: str | None,
        confirm: bool | None,
        pending: events.Event | None,
        options: TurnOptions,
    ) -> None:
        emit = turn.queue.put_nowait
        deadline = asyncio.timeout(TURN_SECONDS)
        try:
            emit(events.session(turn.session_id))
            if pending is not None:
                answer = message if message is not None else ("yes" if confirm else DECLINED_BY_BUTTON)
                approved = bool(confirm) if confirm is not None else is_affirmative(answer)
                decision = {"type": "approve"} if approved else {"type": "reject", "message": answer}
                graph_input: Any = Command(
                    resume={"decisions": [decision]},
                    update={"answers": [{"tool_call_id": pending["id"], "text": answer, "approved": approved}]},
                )
            else:
                graph_input = {"messages": [HumanMessage(message or "")]}
            async with deadline:
                self._deadlines[turn.session_id] = deadline
                done = await self._stream(turn.session_id, graph_input, options, emit)
            await self._release(turn.session_id, done["pending"])  # free before `done`: the next message may follow at once
            emit(done)
        except asyncio.CancelledError:
            log.info("turn cancelled", extra={"session": turn.session_id[:6]})
            raise
        except Exception as exc:
            if isinstance(exc, StubExhausted):
                reason, retryable = str(exc), False
            elif isinstance(exc, TimeoutError) and deadline.expired():
                log.warning("turn timed out", extra={"session": turn.session_id[:6], "seconds": TURN_SECONDS})
                reason, retryable = TOO_SLOW, True
            else:
                log.exception("turn failed", extra={"session": turn.session_id[:6]})
                reason, retryable = events.MODEL_UNAVAILABLE, True
            await self._release(turn.session_id, UNKNOWN)  # how far the run got is not known here
            emit(events.error(reason, retryable=retryable))
        finally:
            self._deadlines.pop(turn.session_id, None)
            if turn.session_id in self._active:  # cancelled, or the release itself failed
                await asyncio.shield(self._release(turn.session_id, UNKNOWN))
            emit(None)

    def _lease_lost(self, session_id: str) -> None:
        """Another worker leased this session (ours ran out): end our turn now, as if too slow."""
        if deadline := self._deadlines.get(session_id):
            deadline.reschedule(asyncio.get_running_loop().time())

    async def _release(self, session_id: str, pending: Any) -> None:
        """Give the session back; if the table cannot be written, its lease runs out by itself."""
        try:
            await self.sessions.release(session_id, pending)
        except Exception:
            log.exception("session release failed", extra={"session": session_id[:6]})
        finally:
            self._active.discard(session_id)

    async def _stream(
        self, session_id: str, graph_input: Any, options: TurnOptions, emit: Callable[[Any], None]
    ) -> events.Event:
        """Run the graph, emit its events as they come, and return the turn's `done` event."""
        graph = self.graph(options.choice)
        reply: list[str] = []
        booking: dict[str, Any] | None = None
        usage = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
        started: dict[str, float] = {}
        model_messages: list[BaseMessage] = []
        pending: events.Event | None = None
        async for mode, data in graph.astream(
            graph_input,
            self._config(session_id),
            stream_mode=["messages", "updates"],
            context=TurnContext(prompt_template=options.prompt_template),
            # One checkpoint per turn, written at its end: a turn is saved whole or not at all (a
            # cancelled turn leaves no trace) and SQLite sees one write per turn, not ten. A new
            # session whose first turn is cancelled stays usable through `_unsaved`.
            durability="exit",
        ):
            if mode == "messages":
                chunk, meta = data
                if isinstance(chunk, (AIMessageChunk, AIMessage)) and meta.get("langgraph_node") == "model":
                    for key in usage:
                        usage[key] += int((chunk.usage_metadata or {}).get(key, 0) or 0)
                    if text := chunk.text:
                        reply.append(text)
                        emit(events.token(text))
                continue
            for node, update in data.items():
                if node == "__interrupt__":  # paused for the patient's yes; it lives in the checkpoint
                    pending = self._confirm_for(update, model_messages)
                    continue
                for msg in (update or {}).get("messages", []) if isinstance(update, dict) else []:
                    if node == "model" and isinstance(msg, AIMessage):
                        model_messages.append(msg)
                        if reply and msg.tool_calls and not reply[-1].endswith(("\n", " ")):
                            reply.append("\n")
                        for call in msg.tool_calls:
                            started[str(call["id"])] = time.perf_counter()
                            emit(events.tool_call(str(call["id"]), call["name"], call["args"]))
                    elif isinstance(msg, ToolMessage):
                        result = events.tool_result(msg.tool_call_id, str(msg.name), msg.content, msg.status)
                        if msg.tool_call_id in started:
                            result["ms"] = round((time.perf_counter() - started[msg.tool_call_id]) * 1000, 1)
                        emit(result)
                        if result["name"] == "book_slot" and result["ok"]:
                            booking = result["data"]
        if pending:
            emit(pending)
        return events.done("".join(reply).strip(), booking, pending, usage)

    async def transcript(self, session_id: str) -> dict[str, Any]:
        """The conversation as the patient and staff see it (UnknownSession if none)."""
        state = await self.graph().aget_state(self._config(session_id))  # the one checkpoint read
        if state.created_at is None and not await self.sessions.known(session_id):
            raise UnknownSession(f"session_id: no session {session_id!r}")
        answers = {a["tool_call_id"]: a for a in state.values.get("answers", [])}
        entries: list[dict[str, Any]] = []
        for msg in state.values.get("messages", []):
            if isinstance(msg, HumanMessage):
                entries.append({"role": "user", "text": msg.text})
            elif isinstance(msg, AIMessage):
                if msg.text:
                    entries.append({"role": "assistant", "text": msg.text})
                for call in msg.tool_calls:
                    entries.append({"role": "tool_call", "id": call["id"], "name": call["name"], "args": call["args"]})
            elif isinstance(msg, ToolMessage):
                if answer := answers.get(msg.tool_call_id):
                    entries.append({"role": "user", "text": answer["text"], "confirmation": answer["approved"]})
                result = events.tool_result(msg.tool_call_id, str(msg.name), msg.content, msg.status)
                entries.append({"role": "tool_result", **{k: v for k, v in result.items() if k != "type"}})
        return {"session_id": session_id, "messages": entries, "pending": self._pending_in(state)}

    async def forget(self, session_id: str) -> None:
        """Delete every checkpoint of the session (the patient's right to be forgotten)."""
        if not await self.exists(session_id):
            raise UnknownSession(f"session_id: no session {session_id!r}")
        if session_id in self._active or await self.sessions.busy(session_id):
            raise SessionBusy("this session is answering a message; delete it when the turn has finished")
        await self.checkpointer.adelete_thread(session_id)
        await self.sessions.forget(session_id)
