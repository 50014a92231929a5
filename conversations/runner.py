"""Run a conversation script against the real agent, tools and scheduling service.

Each script gets a fresh app (from the app factory it is given, `api.main.create_app` for the
command line and the tests) on a temporary SQLite database and an
in-memory checkpointer, a frozen clinic clock at the script's `now`, and, when the script has
`slots:`, a schedule made of exactly those slots. Only the model is replaced: the scripted
stub (`llm: stub`) or the embedded offline model (`llm: offline`). Nothing reads the
environment or `.env`, and nothing touches the network.

`scheduling-agent eval` runs a script on another model (`provider=`, e.g. openai with the
`model_settings` it is given): the script's user turns and expectations, without its stub replies.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage

from agent.history import latest_booking
from agent.models.stub import StubChatModel, StubScript
from agent.runtime import AgentRuntime
from agent.turn import TurnOptions, TurnRefused
from api.deps import runtime_of, services
from conversations.schema import Script, ScriptError, ScriptTurn, load_script
from core.settings import ExplicitSettings, Settings

TURN_TIMEOUT = 60.0
MISSING = "<missing>"
OTHER_PATIENT = {
    "patient_name": "Other Patient",
    "patient_email": "other.patient@example.com",
    "patient_phone": "555 0199",
}
SHIPPED_SLOTS = Settings.model_fields["slots_file"].default
SHIPPED_SCHEDULE = Settings.model_fields["schedule_file"].default
_PLACEHOLDER = re.compile(r"\{\{\s*booking\.(\w+)\s*\}\}")
_EXHAUSTED = "the stub model ran out of replies"


class AppFactory(Protocol):
    """`api.main.create_app`, or any factory with its signature."""

    def __call__(self, settings: Settings, *, stub_script: StubScript, model_hook: Callable[[Any], Any]) -> Any: ...


# --------------------------------------------------------------------------- results


@dataclass
class Check:
    """One expectation and its outcome; `expected`/`actual` feed the diff on failure."""

    what: str
    line: int
    ok: bool
    message: str = ""
    expected: Any = None
    actual: Any = None
    diff: bool = True


@dataclass
class TurnResult:
    turn: ScriptTurn
    reply: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_results: list[dict[str, Any]] = field(default_factory=list)
    confirm: dict[str, Any] | None = None
    booking: dict[str, Any] | None = None
    error: str | None = None
    usage: dict[str, int] | None = None
    checks: list[Check] = field(default_factory=list)
    problem: str | None = None  # the conversation could not go on (stub, refusal, timeout)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.problem is None and all(c.ok for c in self.checks)


@dataclass
class ScriptResult:
    path: Path
    name: str
    llm: str = ""
    turns: list[TurnResult] = field(default_factory=list)
    end_checks: list[Check] = field(default_factory=list)
    error: str | None = None  # the script could not run at all (invalid, or set-up failed)
    not_run: int = 0
    end_skipped: bool = False  # the end checks did not run: the conversation stopped early
    seconds: float = 0.0
    model_calls: int = 0  # calls of the chat model (retries included)
    tokens: int = 0  # total tokens the model reported over the conversation

    def count_tokens(self) -> None:
        self.tokens = sum(int((t.usage or {}).get("total_tokens", 0) or 0) for t in self.turns)

    @property
    def passed(self) -> bool:
        return (
            self.error is None
            and self.not_run == 0
            and all(t.passed for t in self.turns)
            and all(c.ok for c in self.end_checks)
        )


# --------------------------------------------------------------------------- matching


def matches(expected: Any, actual: Any) -> bool:
    """`expected` is a subset of `actual`: mappings by their keys, lists item by item.

    `key: null` also matches a mapping without that key (tool results leave out empty fields).
    """
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            matches(v, actual[k]) if k in actual else v is None for k, v in expected.items()
        )
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(map(matches, expected, actual))
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return expected == actual


def project(expected: Any, actual: Any) -> Any:
    """`actual` cut down to what `expected` mentions, so a diff shows only what matters."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return {
            k: project(v, actual[k]) if k in actual else (None if v is None else MISSING) for k, v in expected.items()
        }
    if isinstance(expected, list) and isinstance(actual, list):
        return [project(e, a) for e, a in zip(expected, actual, strict=False)] + actual[len(expected) :]
    return actual


def _match_sets(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> list[int] | None:
    """Indices of `actual` matching each expected item one-to-one (same count), or None."""
    if len(expected) != len(actual):
        return None

    def assign(i: int, used: frozenset[int]) -> list[int] | None:
        if i == len(expected):
            return []
        for j, item in enumerate(actual):
            if j not in used and matches(expected[i], item):
                rest = assign(i + 1, used | {j})
                if rest is not None:
                    return [j, *rest]
        return None

    return assign(0, frozenset())


BOOKING_SHOWN = ("date", "start_time", "appointment_type", "patient_email")


def check_bookings(what: str, line: int, expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> Check:
    order = _match_sets(expected, actual)
    if order is not None:
        return Check(what, line, True)
    keys = list(dict.fromkeys(k for e in expected for k in e)) or list(BOOKING_SHOWN)
    shown = [{k: a.get(k, MISSING) for k in keys} for a in actual]
    # Pair each expected booking with its closest actual one, so the diff lines up.
    remaining = list(range(len(shown)))
    paired: list[dict[str, Any]] = []
    for e in expected:
        if not remaining:
            break
        best = max(remaining, key=lambda j: sum(shown[j].get(k) == v for k, v in e.items()))
        remaining.remove(best)
        paired.append(shown[best])
    paired += [shown[j] for j in remaining]
    message = (
        f"expected {len(expected)} booking(s), found {len(actual)}"
        if len(expected) != len(actual)
        else "the bookings differ"
    )
    return Check(what, line, False, message, expected, paired)


# --------------------------------------------------------------------------- the stub model for scripts


def fill_placeholders(text: str, booking: dict[str, Any] | None) -> str:
    """`{{booking.confirmation_code}}` (any key of the booking result) from the latest booking."""
    if not booking:
        return text
    return _PLACEHOLDER.sub(lambda m: str(booking[m.group(1)]) if m.group(1) in booking else m.group(0), text)


class ScriptStubModel(StubChatModel):
    """The stub, rendering `{{booking.*}}` from the conversation it is answering."""

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        booking = latest_booking(messages)
        self.render = lambda text: fill_placeholders(text, booking)
        return super()._reply(messages)


def script_model_hook(model: Any) -> Any:
    if isinstance(model, StubChatModel) and not isinstance(model, ScriptStubModel):
        return ScriptStubModel(script=model.script)
    return model


class ModelCalls(BaseCallbackHandler):
    """Counts the chat model's calls (LangChain calls it back at the start of each)."""

    def __init__(self) -> None:
        self.calls = 0

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.calls += 1

    def hook(self, model: Any) -> Any:
        """The script model hook, with this counter among the model's callbacks."""
        model = script_model_hook(model)
        model.callbacks = [*(model.callbacks or []), self]
        return model


# --------------------------------------------------------------------------- running


def _settings(
    script: Script, workdir: Path, provider: str, model_settings: dict[str, Any] | None = None
) -> ExplicitSettings:
    slots_file, schedule_file = SHIPPED_SLOTS, SHIPPED_SCHEDULE
    if script.slots is not None:
        shipped = json.loads(Path(SHIPPED_SCHEDULE).read_text(encoding="utf-8"))
        slots_file, schedule_file = workdir / "slots.json", workdir / "schedule.json"
        slots_file.write_text(json.dumps(script.slots), encoding="utf-8")
        schedule_file.write_text(
            json.dumps({"timezone": shipped["timezone"], "horizon_days": shipped["horizon_days"], "hours": {}}),
            encoding="utf-8",
        )
    return ExplicitSettings(
        database_url=f"sqlite:///{workdir / 'bookings.db'}",
        checkpoint_url="memory",
        slots_file=slots_file,
        schedule_file=schedule_file,
        scheduler_now=script.now,
        log_level="WARNING",
        **(model_settings or {}),
        llm_provider=provider,
    )


async def _bookings(app: Any) -> list[dict[str, Any]]:
    return [b.as_dict() for b in await services(app).scheduler.bookings()]


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


class _Conversation:
    def __init__(self, script: Script, app: Any, stub: StubScript, stubbed: bool) -> None:
        self.script = script
        self.app = app
        self.runtime: AgentRuntime = runtime_of(app)
        self.stub = stub
        self.stubbed = stubbed  # the stub model plays the script's replies (else a real model answers)
        self.session_id: str | None = None
        self.options = TurnOptions(prompt_template=script.prompt) if script.prompt else None

    async def before(self, turn: ScriptTurn, result: TurnResult) -> bool:
        if turn.wait_minutes:
            services(self.app).clock.advance(timedelta(minutes=turn.wait_minutes))
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://scripts.internal") as client:
            for book in turn.before_book:
                values = {**OTHER_PATIENT, **{k: v for k, v in book.items() if k not in ("_line", "refused")}}
                response = await client.post(
                    "/api/calendly/book",
                    json={
                        "appointment_type": values["appointment_type"],
                        "date": values["date"],
                        "start_time": values["start_time"],
                        "patient": {
                            "name": values["patient_name"],
                            "email": values["patient_email"],
                            "phone": values["patient_phone"],
                        },
                        "reason": values.get("reason"),
                    },
                )
                if book.get("refused") is not None:  # the other patient must be turned away (a held slot)
                    if response.status_code != book["refused"]:
                        result.problem = (
                            f"before.book (line {book['_line']}): expected the other patient's booking to be refused "
                            f"with {book['refused']}, got {response.status_code}"
                        )
                        return False
                    continue
                if response.status_code != 201:
                    detail = (
                        response.json().get("detail", response.text) if response.content else response.reason_phrase
                    )
                    result.problem = (
                        f"before.book (line {book['_line']}): the scheduling service refused to book "
                        f"{values['appointment_type']} {values['date']} {values['start_time']}: "
                        f"{response.status_code} {detail}"
                    )
                    return False
        return True

    async def turn(self, turn: ScriptTurn) -> TurnResult:
        result = TurnResult(turn)
        started = time.perf_counter()
        try:
            await self._turn(turn, result)
        finally:
            result.seconds = time.perf_counter() - started
        return result

    async def _turn(self, turn: ScriptTurn, result: TurnResult) -> None:
        if (turn.before_book or turn.wait_minutes) and not await self.before(turn, result):
            return
        replies = [{k: v for k, v in r.items() if k != "_line"} for r in turn.stub or []] if self.stubbed else []
        self.stub.extend(replies)
        used_before = len(self.stub.consumed)
        user = turn.user
        if user and "{{" in user and self.session_id:  # "my code is {{booking.confirmation_code}}"
            user = fill_placeholders(user, latest_booking((await self.runtime.history(self.session_id)).messages))
        try:
            running = await self.runtime.start_turn(
                self.session_id, user, turn.confirm, options=self.options, create=self.session_id is None
            )
        except TurnRefused as exc:
            result.problem = f"the turn was refused: {exc.message}"
            self.stub.queue.clear()
            return
        self.session_id = running.session_id
        reply: list[str] = []
        try:
            async with asyncio.timeout(TURN_TIMEOUT):
                async for event in running.events():
                    kind = event["type"]
                    if kind == "token":
                        reply.append(event["text"])
                    elif kind == "tool_call":
                        result.tool_calls.append({"name": event["name"], "args": event["args"]})
                    elif kind == "tool_result":
                        data = event.get("data") or {}
                        result.tool_results.append(
                            {"name": event["name"], "ok": event["ok"], "error": data.get("error"), "data": data}
                        )
                    elif kind == "confirm":
                        result.confirm = {"name": event["name"], "args": event["args"]}
                    elif kind == "done":
                        result.reply = event["reply"]
                        result.booking = event.get("booking")
                        result.usage = event.get("usage")
                    elif kind == "error":
                        result.error = event["message"]
                        result.reply = "".join(reply).strip()
        except TimeoutError:
            result.problem = f"the turn did not finish within {TURN_TIMEOUT:.0f} s"
            return

        used = len(self.stub.consumed) - used_before
        if self.stubbed and result.error and result.error.startswith(_EXHAUSTED):
            result.problem = (
                f"the stub ran out of replies: the model was called {used + 1} times this turn, "
                f"but the turn's `stub` has {_plural(len(replies), 'reply', 'replies')}"
                + (f" (line {turn.stub_line})" if turn.stub_line else "")
                + "; add the missing reply, e.g. `- text: ...` after a tool result"
            )
        elif self.stubbed and self.stub.queue:
            left = list(self.stub.queue)
            self.stub.queue.clear()
            lines = [r.get("_line") for r in (turn.stub or [])][used:]
            where = f" (line {', '.join(str(n) for n in lines if n)})" if any(lines) else ""
            result.problem = (
                f"{_plural(len(left), 'stub reply', 'stub replies')} of this turn "
                f"{'was' if len(left) == 1 else 'were'} "
                f"never used{where}: the turn ended after the model's {_ordinal(used)} reply"
                + (
                    " (a confirmation is pending: the next reply belongs to the turn that answers it)"
                    if result.confirm
                    else ""
                )
                + f"; unused: {json.dumps(left)}"
            )

        if self.stubbed and result.error and result.error.startswith(_EXHAUSTED):
            return  # the turn never finished: its expectations would only repeat that
        self.check(turn, result)
        if "bookings" in turn.expect:
            result.checks.append(
                check_bookings(
                    "expect.bookings", turn.expect_lines["bookings"], turn.expect["bookings"], await _bookings(self.app)
                )
            )

    def check(self, turn: ScriptTurn, r: TurnResult) -> None:
        e, lines, add = turn.expect, turn.expect_lines, r.checks.append

        def line(key: str) -> int:
            return lines.get(key, turn.line)

        expected_error = e.get("error", False)
        if r.error and not (r.problem and r.error.startswith(_EXHAUSTED)):
            if expected_error is False:
                add(Check("error", turn.line, False, f"the turn ended with an error: {r.error}", diff=False))
            elif isinstance(expected_error, str) and expected_error.lower() not in r.error.lower():
                add(Check("expect.error", line("error"), False, "the error message differs", expected_error, r.error))
            else:
                add(Check("expect.error", line("error"), True))
        elif expected_error not in (False, None) and not r.error:
            add(
                Check(
                    "expect.error",
                    line("error"),
                    False,
                    "expected the turn to end with an error; it ended normally",
                    diff=False,
                )
            )

        calls = r.tool_calls
        if "tool_calls" in e:
            add(_in_order("expect.tool_calls", line("tool_calls"), e["tool_calls"], calls, "tool call"))
        if e.get("no_tool_calls"):
            add(
                Check(
                    "expect.no_tool_calls",
                    line("no_tool_calls"),
                    not calls,
                    "" if not calls else f"expected no tool calls, got {len(calls)}",
                    [],
                    calls,
                )
            )
        if "tool_results" in e:
            results = [{k: v for k, v in res.items() if v is not None or k != "error"} for res in r.tool_results]
            shown = [
                {k: v for k, v in res.items() if k != "data"} if i >= len(e["tool_results"]) else res
                for i, res in enumerate(results)
            ]
            add(
                _in_order("expect.tool_results", line("tool_results"), e["tool_results"], results, "tool result", shown)
            )
        if "confirm" in e:
            want = e["confirm"]
            if want is True:
                add(
                    Check(
                        "expect.confirm",
                        line("confirm"),
                        r.confirm is not None,
                        "expected a confirmation to be pending; none is",
                        diff=False,
                    )
                )
            elif want is False:
                add(
                    Check(
                        "expect.confirm",
                        line("confirm"),
                        r.confirm is None,
                        f"expected no pending confirmation; {r.confirm and r.confirm['name']} is pending",
                        None,
                        r.confirm,
                    )
                )
            else:
                ok = r.confirm is not None and matches(want, r.confirm)
                if ok:
                    msg = ""
                elif r.confirm is None:
                    msg = "expected a confirmation to be pending; none is"
                else:
                    msg = "the pending confirmation differs"
                add(
                    Check(
                        "expect.confirm",
                        line("confirm"),
                        ok,
                        msg,
                        want,
                        project(want, r.confirm) if r.confirm else None,
                    )
                )
        reply = r.reply or ""
        for text in e.get("reply_contains", []):
            add(
                Check(
                    "expect.reply_contains",
                    line("reply_contains"),
                    text.lower() in reply.lower(),
                    f"the reply does not contain {text!r}",
                    text,
                    reply,
                    diff=False,
                )
            )
        for text in e.get("reply_not_contains", []):
            add(
                Check(
                    "expect.reply_not_contains",
                    line("reply_not_contains"),
                    text.lower() not in reply.lower(),
                    f"the reply contains {text!r}",
                    text,
                    reply,
                    diff=False,
                )
            )
        if "reply_matches" in e:
            add(
                Check(
                    "expect.reply_matches",
                    line("reply_matches"),
                    re.search(e["reply_matches"], reply) is not None,
                    f"the reply does not match /{e['reply_matches']}/",
                    e["reply_matches"],
                    reply,
                    diff=False,
                )
            )
        if "booking" in e:
            want = e["booking"]
            if want is True:
                ok, msg = r.booking is not None, "expected a booking this turn; none was made"
            elif want is False:
                ok, msg = (
                    r.booking is None,
                    f"expected no booking this turn; {r.booking and r.booking.get('booking_id')} was made",
                )
            else:
                ok = r.booking is not None and matches(want, r.booking)
                msg = "expected a booking this turn; none was made" if r.booking is None else "the booking differs"
            add(
                Check(
                    "expect.booking",
                    line("booking"),
                    ok,
                    "" if ok else msg,
                    want,
                    project(want, r.booking) if isinstance(want, dict) and r.booking else r.booking,
                )
            )


def _in_order(
    what: str, line: int, expected: list[Any], actual: list[Any], noun: str, shown: list[Any] | None = None
) -> Check:
    """Exactly these items, in order, each matched as a subset; the diff shows `shown` (default
    `actual`) cut down to what is expected."""
    ok = matches(expected, actual)
    if ok:
        message = ""
    elif len(expected) != len(actual):
        message = f"expected {_plural(len(expected), noun)}, got {len(actual)}"
    else:
        message = f"the {noun}s differ"
    return Check(what, line, ok, message, expected, project(expected, actual if shown is None else shown))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


async def run_script(
    script: Script,
    app_factory: AppFactory,
    *,
    provider: str | None = None,
    model_settings: dict[str, Any] | None = None,
) -> ScriptResult:
    """Run one loaded script on an app from `app_factory`; never raises for a failing
    conversation (see the result).

    `provider` replaces the script's `llm` (`openai`: a real model, configured by
    `model_settings`, Settings fields such as openai_model, openai_base_url, llm_temperature).
    """
    provider = provider or script.llm
    result = ScriptResult(script.path, script.name, provider)
    started = time.perf_counter()
    if provider == "stub" and script.llm != "stub":
        result.error = f"the script is llm: {script.llm}: it has no stub replies to replay"
        return result
    calls = ModelCalls()
    with tempfile.TemporaryDirectory(prefix="script-") as tmp:
        settings = _settings(script, Path(tmp), provider, model_settings)
        stub = StubScript()
        app = app_factory(settings, stub_script=stub, model_hook=calls.hook)
        try:
            async with app.router.lifespan_context(app):
                scheduler = services(app).scheduler
                if not scheduler.healthy:
                    result.error = f"the slot data is unusable: {scheduler.error}"
                    return result
                conversation = _Conversation(script, app, stub, stubbed=provider == "stub")
                for i, turn in enumerate(script.turns):
                    turn_result = await conversation.turn(turn)
                    result.turns.append(turn_result)
                    if turn_result.problem:
                        result.not_run = len(script.turns) - i - 1
                        result.end_skipped = bool(script.end)
                        break
                else:
                    if "bookings" in script.end:
                        result.end_checks.append(
                            check_bookings(
                                "end.bookings",
                                script.end_lines.get("bookings", 0),
                                script.end["bookings"],
                                await _bookings(app),
                            )
                        )
        except ImportError as exc:
            result.error = f"the {provider} model is not available: {exc}"
        except Exception as exc:  # set-up failures: report them, do not crash a whole run
            result.error = f"the script could not run: {type(exc).__name__}: {exc}"
        finally:
            result.seconds = time.perf_counter() - started
            result.model_calls = calls.calls
            result.count_tokens()
    return result


async def run_path(path: Path | str, app_factory: AppFactory) -> ScriptResult:
    """Load and run one file; an invalid script is a failed result carrying its file:line messages."""
    try:
        script = load_script(path)
    except ScriptError as exc:
        return ScriptResult(Path(path), Path(path).stem, error=str(exc))
    return await run_script(script, app_factory)
