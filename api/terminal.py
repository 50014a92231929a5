"""`scheduling-agent chat`: a conversation in the terminal, over the same event stream as the web.

The app runs in-process (no server needed); `--jsonl` reads one user message per line and
prints every event as one JSON object per line, for scripts and CI. Input piped in (not typed)
is echoed after the prompt, so the output reads as a transcript of both sides.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, TextIO

from agent.turn import TurnRefused
from api.deps import runtime_of
from api.main import create_app
from core.settings import Settings

PROMPT = "you> "


def _request(line: str) -> tuple[str | None, bool | None]:
    """A plain line is a message; a JSON object may carry {"message"} or {"confirm"}."""
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            return line, None
        if isinstance(obj, dict) and ("message" in obj or "confirm" in obj):
            return obj.get("message"), obj.get("confirm")
    return line, None


class Printer:
    """Human-readable rendering of events; `verbose` adds tool calls and results."""

    def __init__(self, out: TextIO, verbose: bool) -> None:
        self.out, self.verbose, self.started = out, verbose, False

    def _line(self, text: str) -> None:
        """A line of its own: ends a reply that was streaming on the current line first."""
        if self.started:
            self.out.write("\n")
            self.started = False
        self.out.write(text + "\n")

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "token":
            if not self.started:
                self.out.write("agent> ")
                self.started = True
            self.out.write(event["text"])
        elif kind == "tool_call" and self.verbose:
            self._line(f"  [tool] {event['name']}({json.dumps(event['args'])})")
        elif kind == "tool_result" and self.verbose:
            self._line(f"  [result] {'ok' if event['ok'] else 'failed'} {json.dumps(event['data'])[:300]}")
        elif kind == "confirm":
            self._line(f"agent> {event['summary']} (yes / no)")
        elif kind == "error":
            self._line(f"agent> {event['message']}")
        elif kind == "safety":  # the emergency guidance, marked so it stands out from replies
            self._line(f"agent> !! EMERGENCY !! {event['message']}")
        elif kind == "done":
            if self.started:  # the reply's line ends here
                self.out.write("\n")
                self.started = False
            if event.get("booking"):
                b = event["booking"]
                self._line(f"  booking {b['booking_id']}, confirmation code {b['confirmation_code']}")
        self.out.flush()


async def run_chat(
    settings: Settings, *, jsonl: bool, verbose: bool, session_id: str | None, stdin: TextIO, stdout: TextIO
) -> int:
    app = create_app(settings)
    failures = 0
    async with app.router.lifespan_context(app):
        runtime = runtime_of(app)
        create = session_id is not None
        show = (lambda e: stdout.write(json.dumps(e) + "\n") and stdout.flush()) if jsonl else Printer(stdout, verbose)
        if not jsonl:
            stdout.write(f"{settings.clinic_name} scheduling assistant. Ctrl-D to quit.\n")
        typed = stdin.isatty()
        while True:
            if not jsonl and typed:
                stdout.write(PROMPT)
                stdout.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            line = line.strip()
            if not line:
                continue
            if not jsonl and not typed:  # the terminal did not show it: echo it, as if typed
                stdout.write(f"{PROMPT}{line}\n")
            message, confirm = _request(line)
            try:
                turn = await runtime.start_turn(session_id, message, confirm, create=create)
            except TurnRefused as exc:
                show({"type": "error", "message": exc.message, "retryable": False})
                failures += 1
                continue
            session_id, create = turn.session_id, False
            async for event in turn.events():
                show(event)
                failures += event["type"] == "error"
    return 1 if failures and jsonl else 0


def chat_main(settings: Settings, *, jsonl: bool, verbose: bool, session_id: str | None) -> int:
    try:
        return asyncio.run(
            run_chat(settings, jsonl=jsonl, verbose=verbose, session_id=session_id, stdin=sys.stdin, stdout=sys.stdout)
        )
    except KeyboardInterrupt:
        return 130
