"""Grades the offline model's first step on the development set of first messages.

Each case (tests/nlu/first_messages_*.yaml, conventions in tests/nlu/DATASET.md) names the first
tool call a patient's opening message should get. The model is asked exactly as the agent asks
it (a history of one patient message, the file's clinic clock) and its answer is scored on three
parts, each on its own and together:

- date: the checked day (or, when no tool call is expected, that none is made);
- type: the appointment type checked (or, with no call, the type it understood and keeps);
- window: the `time_of_day` checked, and when the case names a clock time ("at 2pm"), that the
  model keeps that time and checks a window containing it (or the whole day).

`manage` cases (looking up, moving or cancelling a booking) belong to another feature and are
reported apart, never counted in the targets. When they expect no tool call, the model must also
have read them as being about a booking (it then asks for the code and the e-mail, not for a day).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from langchain_core.messages import HumanMessage

from agent.offline import OfflineChatModel
from agent.offline.state import derive_state
from core.clock import Clock
from core.formats import in_window

HERE = Path(__file__).resolve().parent
SEPARATE = ("manage",)  # reported apart: built by another issue
STRAY = "stray_number"  # a number that is no hour (an age, a sum, a phone): no clock time may be read
PARTS = ("date", "type", "window", "full")
TARGET_FULL, TARGET_CATEGORY = 0.97, 0.90
TOOLS = ("check_availability", "book_slot", "find_booking", "reschedule_booking", "cancel_booking", "clinic_info")


@dataclass(frozen=True)
class Case:
    id: str
    categories: tuple[str, ...]
    message: str
    now: datetime
    expect: dict[str, Any]
    acceptable: tuple[dict[str, Any], ...] = ()

    @property
    def separate(self) -> bool:
        return any(c in SEPARATE for c in self.categories)


@dataclass(frozen=True)
class Step:
    """What the model did with the message: its tool call (or none), and what it kept."""

    tool: str | None
    args: dict[str, Any]
    type: str | None
    window: str | None
    time: str | None
    reply: str
    manage: str | None = None  # what the model took the message to be about an existing booking


@dataclass
class Grade:
    case: Case
    step: Step
    parts: dict[str, bool] = field(default_factory=dict)

    @property
    def full(self) -> bool:
        return self.parts["full"]


def load_cases(folder: Path = HERE) -> list[Case]:
    cases = []
    for path in sorted(folder.glob("first_messages_*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        now = datetime.fromisoformat(data["now"])
        for raw in data["cases"]:
            cases.append(
                Case(
                    id=raw["id"],
                    categories=tuple(raw["categories"]),
                    message=raw["message"],
                    now=now,
                    expect=raw["expect"],
                    acceptable=tuple(raw.get("acceptable") or ()),
                )
            )
    return cases


def first_step(case: Case) -> Step:
    """The model's answer to the case's message, as the agent graph would get it."""
    clock = Clock("America/New_York", case.now)
    model = OfflineChatModel(clock=clock, clinic_name="Riverside Family Clinic").bind_tools(
        [{"type": "function", "function": {"name": name, "parameters": {}}} for name in TOOLS]
    )
    history = [HumanMessage(case.message)]
    answer = model.invoke(history)
    call = answer.tool_calls[0] if answer.tool_calls else None
    state = derive_state(history, clock.today())
    return Step(
        tool=call["name"] if call else None,
        args=dict(call["args"]) if call else {},
        type=state.type,
        window=state.window,
        time=state.time[0] if state.time else None,
        reply=answer.text,
        manage=state.manage,
    )


def _score_check(expected: dict[str, Any], wanted_time: str | None, step: Step) -> dict[str, bool]:
    args = step.args if step.tool == "check_availability" else {}
    window = args.get("time_of_day")
    if wanted_time:
        window_ok = bool(args) and step.time == wanted_time and (window is None or in_window(wanted_time, window))
    else:
        window_ok = bool(args) and window == expected.get("time_of_day")
    return {
        "date": bool(args) and args.get("date") == expected["date"],
        "type": bool(args) and args.get("appointment_type") == expected["appointment_type"],
        "window": window_ok,
    }


def _score_none(understood: dict[str, Any], step: Step, manage: bool = False) -> dict[str, bool]:
    # a question about an existing booking is answered by asking for its code and e-mail, never
    # for a day: the model must have read it as one (state.manage set)
    quiet = step.tool is None and (not manage or step.manage is not None)
    return {
        "date": quiet,
        "type": quiet and step.type == understood.get("appointment_type", step.type),
        "window": quiet and step.window == understood.get("time_of_day", step.window),
    }


def _score_other(expected: dict[str, Any], tool: str, step: Step) -> dict[str, bool]:
    same = step.tool == tool and all(step.args.get(k) == v for k, v in expected.items())
    return {"date": same, "type": same, "window": same}


def grade(case: Case, step: Step) -> Grade:
    """Score one answer against the expected call and every acceptable alternative (best one wins)."""
    tool = case.expect.get("tool")
    alternatives = [case.expect.get("args") or {}, *case.acceptable]
    best: dict[str, bool] | None = None
    for expected in alternatives:
        if tool == "check_availability":
            parts = _score_check(expected, case.expect.get("time"), step)
            if STRAY in case.categories and not case.expect.get("time"):
                parts["window"] = parts["window"] and step.time is None  # an age or a sum read as an hour
        elif tool is None:
            parts = _score_none(case.expect.get("understood") or {}, step, "manage" in case.categories)
        else:
            parts = _score_other(expected, tool, step)
        parts["full"] = all(parts.values())
        if best is None or sum(parts.values()) > sum(best.values()):
            best = parts
    assert best is not None
    return Grade(case, step, best)


def grade_all(cases: Iterable[Case]) -> list[Grade]:
    return [grade(case, first_step(case)) for case in cases]


def by_category(grades: Sequence[Grade]) -> dict[str, dict[str, float | int]]:
    """Per category (and 'all', without the separate ones): the count and each part's share right."""
    groups: dict[str, list[Grade]] = defaultdict(list)
    for g in grades:
        if not g.case.separate:
            groups["all"].append(g)
        for category in g.case.categories:
            groups[category].append(g)
    table: dict[str, dict[str, float | int]] = {}
    for name, members in sorted(groups.items(), key=lambda kv: (kv[0] != "all", kv[0] in SEPARATE, kv[0])):
        row: dict[str, float | int] = {"n": len(members)}
        for part in PARTS:
            row[part] = sum(g.parts[part] for g in members) / len(members)
        table[name] = row
    return table


def shortfalls(table: dict[str, dict[str, float | int]]) -> list[str]:
    """What misses the targets (>= 97% fully right overall, no category below 90%)."""
    out = []
    if table["all"]["full"] < TARGET_FULL:
        out.append(f"all: {table['all']['full']:.1%} fully right < {TARGET_FULL:.0%}")
    for name, row in table.items():
        if name != "all" and name not in SEPARATE and row["full"] < TARGET_CATEGORY:
            out.append(f"{name}: {row['full']:.1%} fully right < {TARGET_CATEGORY:.0%}")
    return out


def format_table(table: dict[str, dict[str, float | int]]) -> str:
    lines = [f"{'category':<18} {'n':>4}  {'date':>6} {'type':>6} {'window':>7} {'full':>6}"]
    for name, row in table.items():
        label = f"{name} (issue 12)" if name in SEPARATE else name
        cells = " ".join(f"{row[p]:>6.1%}" if p != "window" else f"{row[p]:>7.1%}" for p in PARTS)
        lines.append(f"{label:<18} {row['n']:>4}  {cells}")
    return "\n".join(lines)


def describe(g: Grade) -> str:
    """One wrong case: what was expected and what the model did."""
    e = g.case.expect
    wanted = (
        f"{e['tool']} {e.get('args')}" + (f" time={e['time']}" if e.get("time") else "")
        if e.get("tool")
        else f"no tool, understood {e.get('understood') or {}}"
    )
    got = f"{g.step.tool} {g.step.args}" if g.step.tool else f"no tool (type={g.step.type}, window={g.step.window})"
    wrong = ",".join(p for p in PARTS[:3] if not g.parts[p])
    return f"{g.case.id} [{wrong}] {g.case.message!r}\n    expected {wanted}\n    got      {got} time={g.step.time}"
