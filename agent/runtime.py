"""Conversations: one turn at a time per session, state in a LangGraph checkpointer, events out.

`AgentRuntime.open(settings, clock=..., tools=...)` wires the checkpointer, the session table and
the graphs around the tools it is given; `start_turn` validates a request, leases the session
(agent/sessions.py: shared by every worker process) and starts the run as a task that feeds an
event queue, so a turn always finishes (and frees its session) even if nobody reads it, and a
reader that goes away cancels it. The run itself becomes events in agent/stream.py; reading a
session back is agent/history.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import HumanMessage
from langchain_core.tools import BaseTool
from langgraph.types import Command

from agent import events, tracing
from agent.checkpoints import open_checkpointer
from agent.confirmation import DECLINED_BY_BUTTON, is_affirmative
from agent.graph import TurnContext, build_graph
from agent.history import SessionHistory
from agent.limits import ModelBudgetMiddleware
from agent.models import ModelChoice, make_model
from agent.models.stub import StubExhausted, StubScript
from agent.red_flags import detect
from agent.sessions import UNKNOWN, Busy, IdSpace, SessionTable
from agent.sessions_db import SessionsDb, sessions_url
from agent.stream import remember_patient_args, run_graph
from agent.turn import NothingPending, RunningTurn, SessionBusy, TurnOptions, TurnRefused, UnknownSession
from core import busy, sqlite
from core.clock import Clock
from core.logging import remember_patient_data, session_ref
from core.ratelimit import Limiter
from core.settings import Settings
from core.text import character_problem
from tools.holds import SlotHolds

log = logging.getLogger("agent")

MAX_MESSAGE_CHARS = 2000
BUSY = "this session is still answering the previous message; wait for it to finish"
# However slow the model, a turn ends (and frees its session) within this. A turn whose lease was
# lost to another worker (agent/sessions.py) is cut off the same way at once.
TURN_SECONDS = 240.0
TOO_SLOW = "Sorry, that took too long to answer. Please send your message again."


@dataclass
class AgentRuntime:
    settings: Settings
    clock: Clock
    tools: Sequence[BaseTool]
    checkpointer: Any
    sessions: SessionTable
    stub_script: StubScript | None = None
    model_hook: Callable[[Any], Any] | None = None  # tests and scripts adjust the model (e.g. stub render)
    holds: SlotHolds | None = None  # slots held while a confirmation waits (agent/holds.py)
    ids: IdSpace = IdSpace()  # the sessions this runtime answers for (patients' or the playground's)
    _graphs: dict[ModelChoice, Any] = field(default_factory=dict)
    _active: set[str] = field(default_factory=set)  # sessions with a turn running in this process
    _deadlines: dict[str, asyncio.Timeout] = field(default_factory=dict)  # of the running turns
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _budget: ModelBudgetMiddleware | None = None  # shared by the graphs: one daily count per client

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        settings: Settings,
        *,
        clock: Clock,
        tools: Sequence[BaseTool],
        stub_script: StubScript | None = None,
        model_hook: Callable[[Any], Any] | None = None,
        holds: SlotHolds | None = None,
        ids: IdSpace | None = None,
        name: str = "sessions",
    ) -> AsyncIterator[AgentRuntime]:
        """The runtime for `settings`, calling `tools`, answering for the sessions in `ids`
        (default: every id); its sessions database (`name`: its pool's name on PostgreSQL),
        checkpointer and session table are closed on exit."""
        tracing.install()
        async with AsyncExitStack() as stack:
            url = sessions_url(settings)
            db = await stack.enter_async_context(SessionsDb.open(url, settings, name=name))
            checkpointer = await open_checkpointer(url, db, stack, settings.database_busy_seconds)
            sessions = await stack.enter_async_context(SessionTable.open(db, settings.session_lease_seconds))
            runtime = cls(
                settings, clock, tools, checkpointer, sessions, stub_script, model_hook, holds, ids or IdSpace()
            )
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
            if self._budget is None:
                self._budget = ModelBudgetMiddleware(
                    per_session=self.settings.limit_session_model_calls,
                    per_day=self.settings.limit_client_model_calls_per_day,
                    limiter=Limiter(self.clock),
                )
            self._graphs[choice] = build_graph(
                model,
                self.tools,
                clock=self.clock,
                clinic_name=self.settings.clinic_name,
                checkpointer=self.checkpointer,
                time_format=self.settings.display_time_format,
                model_retries=self.settings.model_retries,
                first_token_seconds=self.settings.first_token_seconds,
                holds=self.holds,
                budget=self._budget,
            )
        return self._graphs[choice]

    @staticmethod
    def _config(session_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": session_id}}

    async def exists(self, session_id: str) -> bool:
        if session_id not in self.ids:
            return False
        if await self.sessions.known(session_id):
            return True
        return await self.checkpointer.aget_tuple(self._config(session_id)) is not None

    async def _read(self, session_id: str) -> tuple[bool, SessionHistory]:
        """Whether a checkpoint exists, and the history it holds (one checkpoint read)."""
        state = await self.graph().aget_state(self._config(session_id))
        return state.created_at is not None, SessionHistory.from_state(session_id, state)

    async def start_turn(
        self,
        session_id: str | None,
        message: str | None = None,
        confirm: bool | None = None,
        *,
        options: TurnOptions | None = None,
        create: bool = False,
        confirm_id: str | None = None,
    ) -> RunningTurn:
        """Validate and start a turn: a message, or the answer to a pending confirmation.

        `confirm_id` names the tool call the `confirm` answer is for: the turn is refused
        (NothingPending) unless that is the call waiting, so a stale answer never approves another.
        """
        if (message is None) == (confirm is None):
            raise TurnRefused("send either a message or a confirm answer")
        if message is not None:
            message = message.strip()
            if not message:
                raise TurnRefused("message: must not be empty")
            if len(message) > MAX_MESSAGE_CHARS:
                raise TurnRefused(f"message: must be at most {MAX_MESSAGE_CHARS} characters (got {len(message)})")
            if problem := character_problem(message, multiline=True):
                raise TurnRefused(f"message: {problem}")
        if session_id is None:
            if confirm is not None:
                raise NothingPending("confirm: there is no booking waiting for confirmation in this session")
            session_id, pending, cut = self.ids.new_id(), None, False
            self._active.add(session_id)
            try:
                await self.sessions.create(session_id)
            except BaseException:
                self._active.discard(session_id)
                raise
        else:
            pending, cut = await self._claim(session_id, confirm, create, confirm_id)
        remember_patient_data(message)  # masked in the turn's logs, as its booking's details (below)
        remember_patient_args(pending["args"] if pending else {})
        approved = None if pending is None else self._approved(message, confirm, pending["name"])
        turn = RunningTurn(session_id, asyncio.Queue(), answering=pending, approved=approved)
        turn.task = asyncio.create_task(self._run(turn, message, confirm, pending, options or TurnOptions(), cut))
        self._tasks.add(turn.task)
        turn.task.add_done_callback(self._tasks.discard)
        return turn

    async def _claim(
        self, session_id: str, confirm: bool | None, create: bool, confirm_id: str | None = None
    ) -> tuple[events.Event | None, bool]:
        """Lease the session (busy here: 409 before any await; busy in another worker: 409 from
        the table), check the request against it, and give the lease back if the turn is
        refused. Returns the confirmation the session waits for, and whether its last run was
        cut off mid-turn (read from the checkpoint only when the table does not know)."""
        if session_id not in self.ids:
            raise UnknownSession(f"session_id: no session {session_id!r}; start a new one")
        if session_id in self._active:
            raise SessionBusy(BUSY)
        self._active.add(session_id)
        leased, pending, cut = False, UNKNOWN, False
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
            except Busy:
                raise SessionBusy(BUSY) from None
            leased = True
            if lease.pending is not UNKNOWN:
                pending = lease.pending
            else:  # the last turn failed, was cut off, or its worker died: the checkpoint knows
                history = (await self._read(session_id))[1]
                pending, cut = history.pending, history.cut
            if confirm is not None and pending is None:
                raise NothingPending("confirm: there is no booking waiting for confirmation in this session")
            if confirm_id is not None and (pending is None or pending["id"] != confirm_id):
                raise NothingPending(
                    f"confirm: {confirm_id!r} is not the confirmation this session waits for"
                    + (f" (it waits for {pending['id']!r})" if pending else " (none is waiting)")
                )
        except BaseException:
            self._active.discard(session_id)
            if leased:  # refused: the session stays as it was
                await asyncio.shield(self.sessions.release(session_id, pending))
            raise
        return pending, cut

    @staticmethod
    def _approved(message: str | None, confirm: bool | None, tool: str | None = None) -> bool:
        """The answer to a pending confirmation: only `confirm: true` or a plain typed yes approve;
        a typed message with a red flag never does (the safety guard answers it as an emergency)."""
        if confirm is not None:
            return bool(confirm)
        return is_affirmative(message or "", tool) and detect(message or "") is None

    @staticmethod
    def _graph_input(message: str | None, confirm: bool | None, pending: events.Event | None, approved: bool) -> Any:
        """A new patient message, or the answer (`approved`, as the turn decided it) that resumes
        a run paused for confirmation."""
        if pending is None:
            return {"messages": [HumanMessage(message or "")]}
        answer = message if message is not None else ("yes" if confirm else DECLINED_BY_BUTTON)
        decision = {"type": "approve"} if approved else {"type": "reject", "message": answer}
        return Command(
            resume={"decisions": [decision]},
            update={"answers": [{"tool_call_id": pending["id"], "text": answer, "approved": approved}]},
        )

    async def _run(
        self,
        turn: RunningTurn,
        message: str | None,
        confirm: bool | None,
        pending: events.Event | None,
        options: TurnOptions,
        cut: bool = False,
    ) -> None:
        emit = turn.queue.put_nowait
        deadline = asyncio.timeout(TURN_SECONDS)
        try:
            emit(events.session(turn.session_id, self.settings.display_time_format))
            graph_input = self._graph_input(message, confirm, pending, bool(turn.approved))
            async with deadline:
                self._deadlines[turn.session_id] = deadline
                done = await run_graph(
                    self.graph(options.choice),
                    graph_input,
                    self._config(turn.session_id),
                    TurnContext(prompt_template=options.prompt_template, client=options.client),
                    emit,
                    durability="sync" if turn.approved else "exit",
                    finish_cut_run=cut,
                )
            await self._release(
                turn.session_id, done["pending"]
            )  # free before `done`: the next message may follow at once
            emit(done)
        except asyncio.CancelledError:
            log.info("turn cancelled", extra={"session": session_ref(turn.session_id)})
            raise
        except Exception as exc:
            if isinstance(exc, StubExhausted):
                reason, retryable = str(exc), False
            elif busy.is_busy(exc):  # the checkpoint could not be written in time
                log.warning("turn failed: database busy", extra={"session": session_ref(turn.session_id)})
                reason, retryable = sqlite.BUSY_DETAIL, True
            elif isinstance(exc, TimeoutError) and deadline.expired():
                log.warning("turn timed out", extra={"session": session_ref(turn.session_id), "seconds": TURN_SECONDS})
                reason, retryable = TOO_SLOW, True
            else:
                log.exception("turn failed", extra={"session": session_ref(turn.session_id)})
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
            log.exception("session release failed", extra={"session": session_ref(session_id)})
        finally:
            self._active.discard(session_id)

    async def history(self, session_id: str) -> SessionHistory:
        """The session's conversation and what it waits for (UnknownSession if none)."""
        if session_id not in self.ids:
            raise UnknownSession(f"session_id: no session {session_id!r}")
        saved, history = await self._read(session_id)
        if not saved and not await self.sessions.known(session_id):
            raise UnknownSession(f"session_id: no session {session_id!r}")
        return history

    async def transcript(self, session_id: str) -> dict[str, Any]:
        """The conversation as the patient and staff see it (UnknownSession if none)."""
        history = await self.history(session_id)
        return {
            "session_id": session_id,
            "messages": history.transcript(),
            "pending": history.pending,
            "time_format": self.settings.display_time_format,
        }

    async def forget(self, session_id: str) -> None:
        """Delete every checkpoint of the session, and every trace of it in the database files
        (the patient's right to be forgotten)."""
        if not await self.exists(session_id):
            raise UnknownSession(f"session_id: no session {session_id!r}")
        if session_id in self._active or await self.sessions.busy(session_id):
            raise SessionBusy("this session is answering a message; delete it when the turn has finished")
        await self.checkpointer.adelete_thread(session_id)
        await self.sessions.forget(session_id)
        # Deleted rows are zeroed (secure_delete); the checkpoint takes their old versions out of
        # the WAL, so the conversation's text is in neither file afterwards.
        if not await self.sessions.erase_traces():
            log.warning("session deleted; a reader kept old WAL frames until the next checkpoint")
