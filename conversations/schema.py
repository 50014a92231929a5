"""Conversation scripts: the YAML format, read with line numbers and checked before anything runs.

A script is one conversation (see `tests/conversations/*.yaml`):

    name: ...                 # required
    description: ...          # optional
    now: "2026-11-23T09:00:00"  # required: the clinic-local clock for the whole script
    llm: stub                 # stub (default) | offline
    prompt: ...               # optional: a system prompt template replacing the shipped one
    slots: {...}              # optional: replaces the schedule (data/slots.json format)
    turns:                    # required, at least one
      - user: "..."           # or `confirm: true|false` (the widget's buttons)
        note: ...             # optional, shown in reports
        before: {wait_minutes: N,   # the clinic clock moves on (the patient took N minutes; holds expire)
                 book: {date, start_time, appointment_type, [patient_name, patient_email, patient_phone],
                        [refused: 409]}}   # another patient books; `refused`: and is turned away
        stub: [{text: ...}, {tool_calls: [{name, args}]}]   # llm: stub only
        expect: {...}         # see EXPECT_KEYS
    end:
      bookings: [...]         # exactly these bookings exist at the end (subset of fields each)

Every mistake is reported as `file:line: message`, never as a traceback: bad YAML, an unknown
or misspelt key (with a suggestion), an unknown tool or tool argument, a wrong type.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel

from scheduler.slots import ScheduleDataError, parse_slots
from scheduler.store import Booking
from tools.clinic_info import NAME as CLINIC_INFO
from tools.clinic_info import ClinicInfoArgs
from tools.manage import build_manage_tools
from tools.scheduling import build_tools

_T = TypeVar("_T")

LLMS = ("stub", "offline")
SCRIPT_KEYS = ("name", "description", "now", "llm", "prompt", "slots", "turns", "end")
TURN_KEYS = ("user", "confirm", "note", "before", "stub", "expect")
REPLY_KEYS = ("text", "tool_calls")
CALL_KEYS = ("name", "args", "id")
EXPECT_KEYS = (
    "tool_calls",  # the turn's tool calls, exactly these, in order; args matched as a subset
    "no_tool_calls",  # true: the model called no tool this turn
    "tool_results",  # the turn's tool results, exactly these, in order: {name, ok, error, data (subset)}
    "confirm",  # a mapping {name, args (subset)} or true: a confirmation is pending; false: none is
    "reply_contains",  # a string or a list: each appears in the reply (case-insensitive)
    "reply_not_contains",  # a string or a list: none appears in the reply (case-insensitive)
    "reply_matches",  # a regular expression searched in the reply
    "error",  # true / a substring: the turn ended with an error; false (default): it did not
    "booking",  # true / false / a mapping (subset): a booking was made this turn
    "bookings",  # exactly these bookings exist after this turn (subset of fields each)
)
RESULT_KEYS = ("name", "ok", "error", "data")
BOOK_KEYS = ("date", "start_time", "appointment_type", "patient_name", "patient_email", "patient_phone", "reason")
BOOKING_FIELDS = tuple(Booking.__dataclass_fields__)
END_KEYS = ("bookings",)


def _tool_args() -> dict[str, tuple[str, ...]]:
    """Tool name -> its argument names (the tools' own schemas; no client is needed to read them)."""
    args: dict[str, tuple[str, ...]] = {}
    client: Any = None  # only the schemas are read; the client is never called
    for tool in [*build_tools(client), *build_manage_tools(client)]:
        schema = tool.tool_call_schema
        assert isinstance(schema, type) and issubclass(schema, BaseModel), tool.name
        args[tool.name] = tuple(schema.model_fields)
    args[CLINIC_INFO] = tuple(ClinicInfoArgs.model_fields)  # needs the clinic file, not a client
    return args


TOOLS = _tool_args()


# --------------------------------------------------------------------------- YAML with line numbers


class MarkedDict(dict[str, Any]):
    """A YAML mapping that remembers its line and each key's line (1-based)."""

    line: int = 0
    lines: dict[str, int]


class MarkedList(list[Any]):
    """A YAML sequence that remembers its line and each item's line (1-based)."""

    line: int = 0
    lines: list[int]


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ScriptError(Exception):
    """A script that cannot run; `problems` each name the file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        problems = sorted(problems, key=lambda p: (p.path, p.line))
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_NUMBERS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class _Builder:
    """Turns a composed YAML node tree into Python values carrying line numbers."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.loader = yaml.SafeLoader("")
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node) -> Any:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # `<<` merge keys
            out = MarkedDict()
            out.line, out.lines = line, {}
            for key_node, value_node in node.value:
                key = self.build(key_node)
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    self.problems.append(
                        Problem(self.path, key_node.start_mark.line + 1, "a key must be a plain value")
                    )
                    continue
                key = str(key) if not isinstance(key, str) else key
                if key in out:
                    self.problems.append(Problem(self.path, key_node.start_mark.line + 1, f"duplicate key {key!r}"))
                out[key] = self.build(value_node)
                out.lines[key] = key_node.start_mark.line + 1
            return out
        if isinstance(node, yaml.SequenceNode):
            items = MarkedList()
            items.line, items.lines = line, []
            for item in node.value:
                items.append(self.build(item))
                items.lines.append(item.start_mark.line + 1)
            return items
        # Scalars: dates and clock times stay as written ("2026-12-01", "9:00" is not 540).
        if node.tag == _TIMESTAMP or (node.tag in _NUMBERS and ":" in str(node.value)):
            return str(node.value)
        value = self.loader.construct_object(node, deep=True)
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        return value


def parse_yaml(text: str, path: str) -> Any:
    """The document as MarkedDict/MarkedList/scalars; a syntax error is a ScriptError with its line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        message = str(exc.problem or "not valid") + (f" ({exc.context})" if exc.context else "")
        raise ScriptError([Problem(path, line, f"invalid YAML: {message}")]) from None
    except yaml.YAMLError as exc:
        raise ScriptError([Problem(path, 1, f"invalid YAML: {exc}")]) from None
    if node is None:
        raise ScriptError([Problem(path, 1, "the file is empty")])
    builder = _Builder(path)
    data = builder.build(node)
    if builder.problems:
        raise ScriptError(builder.problems)
    return data


# --------------------------------------------------------------------------- the script model


@dataclass
class ScriptTurn:
    index: int  # 1-based
    line: int
    user: str | None = None
    confirm: bool | None = None
    note: str | None = None
    stub: list[dict[str, Any]] | None = None
    stub_line: int = 0
    before_book: list[dict[str, Any]] = field(default_factory=list)
    wait_minutes: float | None = None  # the clinic clock moves on this much before the turn
    expect: dict[str, Any] = field(default_factory=dict)
    expect_lines: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        if self.user is not None:
            return f"user: {self.user}"
        return f"confirm: {'yes' if self.confirm else 'no'} (button)"


@dataclass
class Script:
    path: Path
    name: str
    now: datetime
    llm: str
    turns: list[ScriptTurn]
    description: str | None = None
    prompt: str | None = None
    slots: dict[str, Any] | None = None
    end: dict[str, Any] = field(default_factory=dict)
    end_lines: dict[str, int] = field(default_factory=dict)
    line: int = 1

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def plain(value: Any) -> Any:
    """Marked containers as plain dicts and lists (for YAML dumps and equality)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class _Checker:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def fail(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def keys(self, mapping: MarkedDict, allowed: tuple[str, ...], what: str) -> None:
        for key in mapping:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (expected one of: {', '.join(allowed)})"
                self.fail(mapping.lines[key], f"unknown key {key!r} in {what}{hint}")

    def typed(self, value: Any, line: int, what: str, kind: type[_T], expected: str) -> _T | None:
        """`value` if it is a `kind`; else a failure `<what>: expected <expected>, got <kind>`."""
        if not isinstance(value, kind):
            self.fail(line, f"{what}: expected {expected}, got {_kind(value)}")
            return None
        return value

    def mapping(self, value: Any, line: int, what: str) -> MarkedDict | None:
        return self.typed(value, line, what, MarkedDict, "a mapping")

    def seq(self, value: Any, line: int, what: str) -> MarkedList | None:
        return self.typed(value, line, what, MarkedList, "a list")

    def string(self, value: Any, line: int, what: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(line, f"{what}: expected a non-empty string, got {_kind(value)}")
            return None
        return value

    def strings(self, value: Any, line: int, what: str) -> list[str] | None:
        """A string or a list of strings."""
        if isinstance(value, str):
            return [value]
        if isinstance(value, MarkedList) and value and all(isinstance(v, str) for v in value):
            return list(value)
        self.fail(line, f"{what}: expected a string or a list of strings, got {_kind(value)}")
        return None

    def boolean(self, value: Any, line: int, what: str) -> bool | None:
        return self.typed(value, line, what, bool, "true or false")

    def tool_name(self, value: Any, line: int, what: str) -> str | None:
        name = self.string(value, line, what)
        if name is not None and name not in TOOLS:
            close = difflib.get_close_matches(name, TOOLS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.fail(line, f"{what}: unknown tool {name!r}{hint}; the tools are {', '.join(TOOLS)}")
            return None
        return name

    def tool_args(self, tool: str | None, value: Any, line: int, what: str) -> dict[str, Any] | None:
        args = self.mapping(value, line, what)
        if args is None:
            return None
        if tool is not None:
            for key in args:
                if key not in TOOLS[tool]:
                    close = difflib.get_close_matches(key, TOOLS[tool], n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    self.fail(
                        args.lines[key],
                        f"{what}: {tool} has no argument {key!r}{hint}; it takes {', '.join(TOOLS[tool])}",
                    )
        return plain(args)

    def call(self, value: Any, line: int, what: str, *, args_required: bool) -> dict[str, Any] | None:
        call = self.mapping(value, line, what)
        if call is None:
            return None
        self.keys(call, CALL_KEYS if args_required else ("name", "args"), what)
        if "name" not in call:
            self.fail(call.line, f"{what}: `name` (the tool) is required")
            return None
        name = self.tool_name(call["name"], call.lines["name"], f"{what}.name")
        out: dict[str, Any] = {"name": name}
        if "args" in call:
            out["args"] = self.tool_args(name, call["args"], call.lines["args"], f"{what}.args")
        elif args_required:
            out["args"] = {}
        if "id" in call:
            out["id"] = self.string(call["id"], call.lines["id"], f"{what}.id")
        return out

    def bookings(self, value: Any, line: int, what: str) -> list[dict[str, Any]] | None:
        items = self.seq(value, line, what)
        if items is None:
            return None
        out = []
        for i, item in enumerate(items):
            booking = self.mapping(item, items.lines[i], f"{what}[{i}]")
            if booking is not None:
                self.keys(booking, BOOKING_FIELDS, f"{what}[{i}]")
                out.append(plain(booking))
        return out


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


def _line(mapping: MarkedDict, key: str) -> int:
    return mapping.lines.get(key, mapping.line)


def validate(data: Any, path: Path | str) -> Script:
    """Check a parsed document and build the Script; ScriptError lists every problem found."""
    where = str(path)
    c = _Checker(where)
    top = c.mapping(data, getattr(data, "line", 1), "the script")
    if top is None:
        raise ScriptError(c.problems)
    c.keys(top, SCRIPT_KEYS, "the script")
    for required in ("name", "now", "turns"):
        if required not in top:
            c.fail(top.line, f"`{required}` is required")
    name = c.string(top.get("name"), _line(top, "name"), "name") if "name" in top else None
    description = (
        c.string(top["description"], _line(top, "description"), "description") if "description" in top else None
    )
    prompt = c.string(top["prompt"], _line(top, "prompt"), "prompt") if "prompt" in top else None

    now: datetime | None = None
    if "now" in top:
        try:
            now = datetime.fromisoformat(str(top["now"]))
        except ValueError:
            c.fail(
                _line(top, "now"),
                f"now: expected a clinic-local ISO date-time like 2026-11-23T09:00:00, got {top['now']!r}",
            )
        else:
            now = now.replace(tzinfo=None)

    llm = top.get("llm", "stub")
    if llm not in LLMS:
        c.fail(_line(top, "llm"), f"llm: expected one of {', '.join(LLMS)}, got {llm!r}")

    slots = None
    if "slots" in top:
        slots_map = c.mapping(top["slots"], _line(top, "slots"), "slots")
        if slots_map is not None:
            slots = plain(slots_map)
            try:
                parse_slots(slots, "slots")
            except ScheduleDataError as exc:
                bad_line = _slots_line(slots_map, str(exc))
                c.fail(bad_line, f"{exc}")

    turns: list[ScriptTurn] = []
    raw_turns = c.seq(top.get("turns"), _line(top, "turns"), "turns") if "turns" in top else None
    if raw_turns is not None and not raw_turns:
        c.fail(_line(top, "turns"), "turns: a script needs at least one turn")
    if raw_turns is not None:
        for i, raw in enumerate(raw_turns):
            turn = _turn(c, raw, raw_turns.lines[i], i + 1, llm)
            if turn is not None:
                turns.append(turn)

    end: dict[str, Any] = {}
    end_lines: dict[str, int] = {}
    if "end" in top:
        end_map = c.mapping(top["end"], _line(top, "end"), "end")
        if end_map is not None:
            c.keys(end_map, END_KEYS, "end")
            end_lines = dict(end_map.lines)
            if "bookings" in end_map:
                end["bookings"] = c.bookings(end_map["bookings"], end_map.lines["bookings"], "end.bookings")

    if c.problems:
        raise ScriptError(c.problems)
    assert name is not None and now is not None
    return Script(
        path=Path(path),
        name=name,
        now=now,
        llm=llm,
        turns=turns,
        description=description,
        prompt=prompt,
        slots=slots,
        end=end,
        end_lines=end_lines,
        line=_line(top, "name"),
    )


def _slots_line(slots: MarkedDict, message: str) -> int:
    """The line of the date (and type) a slot-data message names, else the `slots` line."""
    found = re.match(r"slots\[([^\]]+)\](?:\[([^\]]+)\])?(?:\[(\d+)\])?", message)
    if not found:
        return slots.line
    day, type_key, index = found.groups()
    if day not in slots.lines:
        return slots.line
    line = slots.lines[day]
    types = slots[day]
    if type_key and isinstance(types, MarkedDict) and type_key in types.lines:
        line = types.lines[type_key]
        items = types[type_key]
        if index is not None and isinstance(items, MarkedList) and int(index) < len(items):
            line = items.lines[int(index)]
    return line


def _turn(c: _Checker, raw: Any, line: int, index: int, llm: str) -> ScriptTurn | None:
    what = f"turn {index}"
    turn_map = c.mapping(raw, line, what)
    if turn_map is None:
        return None
    c.keys(turn_map, TURN_KEYS, what)
    turn = ScriptTurn(index=index, line=turn_map.line)
    if ("user" in turn_map) == ("confirm" in turn_map):
        c.fail(turn_map.line, f"{what}: give either `user` (a message) or `confirm` (true/false)")
    if "user" in turn_map:
        if isinstance(turn_map["user"], bool):  # YAML reads a bare yes/no/on/off as a boolean
            c.fail(
                turn_map.lines["user"],
                f'{what}.user: YAML read this as {turn_map["user"]}; quote the message, e.g. user: "yes"',
            )
        turn.user = (
            c.string(turn_map["user"], turn_map.lines["user"], f"{what}.user")
            if not isinstance(turn_map["user"], bool)
            else None
        )
        if turn.user is not None:
            turn.user = turn.user.strip()
    if "confirm" in turn_map:
        turn.confirm = c.boolean(turn_map["confirm"], turn_map.lines["confirm"], f"{what}.confirm")
    if "note" in turn_map:
        turn.note = c.string(turn_map["note"], turn_map.lines["note"], f"{what}.note")

    if "before" in turn_map:
        before = c.mapping(turn_map["before"], turn_map.lines["before"], f"{what}.before")
        if before is not None:
            c.keys(before, ("wait_minutes", "book"), f"{what}.before")
            if "wait_minutes" in before:
                minutes = before["wait_minutes"]
                if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or minutes <= 0:
                    c.fail(before.lines["wait_minutes"], f"{what}.before.wait_minutes: a positive number of minutes")
                else:
                    turn.wait_minutes = float(minutes)
            if "book" in before:
                books = before["book"]
                items = books if isinstance(books, MarkedList) else MarkedList([books])
                if not isinstance(books, MarkedList):
                    items.lines = [before.lines["book"]]
                for j, item in enumerate(items):
                    booking = c.mapping(item, items.lines[j], f"{what}.before.book")
                    if booking is None:
                        continue
                    c.keys(booking, (*BOOK_KEYS, "refused"), f"{what}.before.book")
                    missing = [k for k in ("date", "start_time", "appointment_type") if k not in booking]
                    if missing:
                        c.fail(booking.line, f"{what}.before.book: {', '.join(missing)} required")
                    turn.before_book.append({**plain(booking), "_line": booking.line})

    if "stub" in turn_map:
        stub_line = turn_map.lines["stub"]
        turn.stub_line = stub_line
        if llm != "stub":
            c.fail(stub_line, f"{what}.stub: only scripts with `llm: stub` have stub replies (this one is llm: {llm})")
        replies = c.seq(turn_map["stub"], stub_line, f"{what}.stub")
        if replies is not None:
            turn.stub = []
            for j, raw_reply in enumerate(replies):
                rwhat = f"{what}.stub[{j}]"
                reply = c.mapping(raw_reply, replies.lines[j], rwhat)
                if reply is None:
                    continue
                c.keys(reply, REPLY_KEYS, rwhat)
                if not any(k in reply for k in REPLY_KEYS):
                    c.fail(reply.line, f"{rwhat}: a reply has `text`, `tool_calls` or both")
                out: dict[str, Any] = {"_line": reply.line}
                if "text" in reply:
                    if not isinstance(reply["text"], str):
                        c.fail(reply.lines["text"], f"{rwhat}.text: expected a string, got {_kind(reply['text'])}")
                    out["text"] = str(reply["text"])
                if "tool_calls" in reply:
                    calls = c.seq(reply["tool_calls"], reply.lines["tool_calls"], f"{rwhat}.tool_calls")
                    out["tool_calls"] = []
                    if calls is not None:
                        for k, raw_call in enumerate(calls):
                            call = c.call(raw_call, calls.lines[k], f"{rwhat}.tool_calls[{k}]", args_required=True)
                            if call:
                                out["tool_calls"].append(call)
                turn.stub.append(out)

    if "expect" in turn_map:
        expect = c.mapping(turn_map["expect"], turn_map.lines["expect"], f"{what}.expect")
        if expect is not None:
            c.keys(expect, EXPECT_KEYS, f"{what}.expect")
            turn.expect_lines = dict(expect.lines)
            turn.expect = _expect(c, expect, f"{what}.expect")
    return turn


def _expect(c: _Checker, e: MarkedDict, what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in e.items():
        line, here = e.lines[key], f"{what}.{key}"
        if key == "tool_calls":
            calls = c.seq(value, line, here)
            if calls is not None:
                out[key] = [
                    call
                    for k, raw in enumerate(calls)
                    if (call := c.call(raw, calls.lines[k], f"{here}[{k}]", args_required=False))
                ]
        elif key == "no_tool_calls":
            if c.boolean(value, line, here) is not None:
                out[key] = value
        elif key == "tool_results":
            results = c.seq(value, line, here)
            if results is not None:
                out[key] = []
                for k, raw in enumerate(results):
                    result = c.mapping(raw, results.lines[k], f"{here}[{k}]")
                    if result is None:
                        continue
                    c.keys(result, RESULT_KEYS, f"{here}[{k}]")
                    if "name" in result:
                        c.tool_name(result["name"], result.lines["name"], f"{here}[{k}].name")
                    if "ok" in result:
                        c.boolean(result["ok"], result.lines["ok"], f"{here}[{k}].ok")
                    if "data" in result:
                        c.mapping(result["data"], result.lines["data"], f"{here}[{k}].data")
                    out[key].append(plain(result))
        elif key == "confirm":
            if isinstance(value, bool):
                out[key] = value
            else:
                call = c.call(value, line, here, args_required=False)
                if call is not None:
                    out[key] = call
        elif key in ("reply_contains", "reply_not_contains"):
            if (texts := c.strings(value, line, here)) is not None:
                out[key] = texts
        elif key == "reply_matches":
            if (pattern := c.string(value, line, here)) is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    c.fail(line, f"{here}: not a valid regular expression ({exc})")
                else:
                    out[key] = pattern
        elif key == "error":
            if isinstance(value, (bool, str)):
                out[key] = value
            else:
                c.fail(line, f"{here}: expected true, false or a part of the error message, got {_kind(value)}")
        elif key == "booking":
            if isinstance(value, bool):
                out[key] = value
            elif (booking := c.mapping(value, line, here)) is not None:
                out[key] = plain(booking)
        elif key == "bookings":
            if (bookings := c.bookings(value, line, here)) is not None:
                out[key] = bookings
    return out


def load_text(text: str, path: Path | str = "<script>") -> Script:
    return validate(parse_yaml(text, str(path)), path)


def load_script(path: Path | str) -> Script:
    """Read and check one script file; ScriptError (file:line messages) if it cannot run."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError([Problem(str(path), 1, f"cannot read the file ({exc})")]) from None
    return load_text(text, path)


def find_scripts(paths: list[Path | str]) -> list[Path]:
    """The script files named, and every *.yaml / *.yml under the folders named, in order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()))
        else:
            found.append(path)
    return list(dict.fromkeys(found))
