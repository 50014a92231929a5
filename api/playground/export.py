"""A conversation, as the agent checkpointed it, written out as a script that replays it.

Every model answer (an AIMessage) becomes one `stub` reply of its turn, so the script replays
deterministically with the stub model whatever model produced it. Turns start at each patient
message and at each answer to a confirmation. The expectations are what the conversation did:
its tool calls (full arguments), their results (ok or not), the pending confirmations, and the
bookings at the end. The slots the conversation looked at are snapshotted into `slots:` (with
other patients' bookings marked taken), so the replay sees the same schedule on a fresh
database. Booking ids and codes in replies become `{{booking.*}}` placeholders.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import yaml

from agent.graph import CONFIRMED_TOOLS
from agent.history import HistoryTurn, SessionHistory
from core.appointment_types import APPOINTMENT_TYPES
from scheduler.service import SchedulerService


def _templated(text: str, booking: dict[str, Any] | None) -> str:
    if booking:
        for key in ("booking_id", "confirmation_code"):
            if booking.get(key):
                text = text.replace(str(booking[key]), f"{{{{booking.{key}}}}}")
    return text


def _stub(turn: HistoryTurn) -> list[dict[str, Any]]:
    """The model's answers of a turn as `stub` replies."""
    stub: list[dict[str, Any]] = []
    for reply in turn.replies:
        item: dict[str, Any] = {}
        if reply.text or not reply.tool_calls:
            item["text"] = _templated(reply.text, reply.booking_before)
        if reply.tool_calls:
            item["tool_calls"] = [{"name": c["name"], "args": c["args"]} for c in reply.tool_calls]
        stub.append(item)
    return stub


async def slot_snapshot(
    scheduler: SchedulerService, turns: list[HistoryTurn], own: list[dict[str, Any]]
) -> dict[str, Any]:
    """The slots of every (date, type) the conversation asked about, as the schedule has them.

    A slot another patient holds is written `available: false`; the conversation's own
    bookings are left free, since the replay makes them again.
    """
    wanted: dict[str, set[str]] = {}
    for turn in turns:
        for call in turn.calls:
            day, type_key = call["args"].get("date"), call["args"].get("appointment_type")
            if isinstance(day, str) and type_key in APPOINTMENT_TYPES:
                wanted.setdefault(day, set()).add(type_key)
    mine = {(b["date"], b["appointment_type"], b["start_time"]) for b in own}
    snapshot: dict[str, Any] = {}
    for day_text in sorted(wanted):
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            continue
        for type_key in sorted(wanted[day_text]):
            plan = await scheduler.day_plan(day, type_key)
            if plan is None:
                continue
            taken = {t for t in plan.booked if (day_text, type_key, t) not in mine}
            snapshot.setdefault(day_text, {})[type_key] = [
                {
                    "start_time": s.start_time,
                    "end_time": s.end_time,
                    "available": s.available and s.start_time not in taken,
                }
                for s in plan.slots
            ]
    return snapshot


def _expect(turn: HistoryTurn) -> dict[str, Any]:
    expect: dict[str, Any] = {}
    if turn.calls:
        expect["tool_calls"] = [{"name": c["name"], "args": c["args"]} for c in turn.calls]
    else:
        expect["no_tool_calls"] = True
    if turn.results:
        expect["tool_results"] = [{"name": r["name"], "ok": r["ok"]} for r in turn.results]
    pending = [c for c in turn.calls if c["name"] in CONFIRMED_TOOLS and c["id"] not in turn.answered]
    if pending:
        expect["confirm"] = {"name": pending[-1]["name"]}  # its arguments are checked with the tool calls
    return expect


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # repeated arguments are written out, never as &id001 anchors


def _dict(dumper: yaml.SafeDumper, value: dict[str, Any]) -> yaml.MappingNode:
    """Short mappings of plain values on one line (`{name: ..., ok: true}`), others as blocks."""
    short = all(not isinstance(v, (dict, list)) for v in value.values()) and len(str(value)) <= 100
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=short)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(dict, _dict)


async def export_script(
    history: SessionHistory,
    scheduler: SchedulerService,
    *,
    now: datetime,
    name: str | None = None,
    prompt: str | None = None,
    provider: str | None = None,
) -> str:
    """The session as a YAML script (`llm: stub`) that replays it with `scheduling-agent test-script`."""
    session_id = history.session_id
    turns, bookings = history.turns(), history.bookings()
    local_now = now.replace(tzinfo=None, microsecond=0)
    script: dict[str, Any] = {
        "name": name or f"Playground session {session_id[:12]}",
        "description": (
            f"Exported from the prompt playground ({provider or 'model'}); the stub replays the model's replies."
        ),
        "now": local_now.isoformat(),
        "llm": "stub",
    }
    if prompt:
        script["prompt"] = prompt
    script["slots"] = await slot_snapshot(scheduler, turns, bookings)
    replied = [t for t in turns if t.replies]
    if len(replied) < len(turns):  # a turn that ended in an error before the model answered
        script["description"] += f" {len(turns) - len(replied)} turn(s) without a model reply (an error) are left out."
    script["turns"] = [{**t.input, "stub": _stub(t), "expect": _expect(t)} for t in replied]
    script["end"] = {"bookings": bookings}
    header = (
        f"# Exported from the prompt playground, session {session_id}.\n"
        "# Replay: scheduling-agent test-script THIS_FILE  (or put it in tests/conversations/)\n"
    )
    return header + yaml.dump(
        script, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120
    )
