"""Logging with a request id and masking of patient data: JSON lines for machines, readable
lines for people.

`LOG_FORMAT=auto` (the default) writes readable lines when stderr is a terminal and JSON lines
otherwise (a file, a pipe, a log collector); `json` or `text` force one. Patient data never
reaches a log in clear, in either format: callers log masked values (`mask_email`, `mask_phone`)
and both formatters scrub any e-mail address or phone number that slips through, and any patient
data the request or turn registered (`remember_patient_data`: a name is not recognisable by its
shape). Exception text gets the same, and the message of an exception raised outside this project
and the standard library (a provider's error may echo the conversation) is withheld altogether.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal, TextIO

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
# Patient data met by the current request or turn (names, messages): masked wherever it appears.
# Patterns (regular expressions), longest first.
Remembered = tuple[str, ...]
patient_values_var: contextvars.ContextVar[Remembered] = contextvars.ContextVar("patient_values", default=())

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PHONE = re.compile(r"(?<![\w:-])\+?\(?\d[\d\s().-]{4,18}(\d{2})(?![\w:])")
_NOT_PHONE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# uvicorn's records carry a copy of the message with terminal colour codes: never written out.
_DROPPED = frozenset({"color_message"})
LogFormat = Literal["auto", "json", "text"]


def mask_email(email: str) -> str:
    """`jane.roe@example.com` -> `j***@example.com`."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_phone(phone: str) -> str:
    """Keep only the last two digits."""
    digits = re.sub(r"\D", "", phone)
    return f"***{digits[-2:]}" if len(digits) >= 2 else "***"


_MIN_REMEMBERED = 2  # a one-letter message ("y") masked everywhere would garble every line


def _whole(text: str) -> str:
    """`text` as a pattern that matches it only as whole words at its word-character ends."""
    head = r"\b" if text[0].isalnum() else ""
    tail = r"\b" if text[-1].isalnum() else ""
    return head + re.escape(text) + tail


def remember_patient_data(*values: str | None, names: Sequence[str | None] = ()) -> None:
    """Mask `values`, and `names` and each word of them, in every log line of the current request
    or turn (a context variable: tasks started after this inherit it). Matched as whole words,
    as written, JSON-escaped or Python-escaped (how an exception's message may quote them)."""
    found = set(patient_values_var.get())
    for value in (*values, *names):
        text = (value or "").strip()
        if len(text) >= _MIN_REMEMBERED:
            found.update(_whole(form) for form in {text, json.dumps(text)[1:-1], repr(text)[1:-1]})
    for name in names:  # a name's words alone too ("Jane")
        found.update(_whole(word) for word in (name or "").split() if len(word) >= _MIN_REMEMBERED)
    patient_values_var.set(tuple(sorted(found, key=len, reverse=True)))  # longest first


@lru_cache(maxsize=256)
def _remembered(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(patterns))


_SESSION_PATH = re.compile(r"(/api/chat/)(?!ui(?![^/\s?#\"']))([^/\s?#\"']+)")


def session_ref(session_id: str) -> str:
    """A short hash that tells sessions apart in logs without being the key to a transcript."""
    return "#" + hashlib.sha256(session_id.encode()).hexdigest()[:8]


def hide_session_ids(text: str) -> str:
    """`/api/chat/<id>` -> `/api/chat/#<short hash>` (the access log's paths)."""
    return _SESSION_PATH.sub(lambda m: m.group(1) + session_ref(m.group(2)), text)


def scrub(text: str) -> str:
    """Mask the remembered patient data, every e-mail address and phone-like number in free text,
    and replace session ids in chat paths (`/api/chat/<id>`) by their `session_ref`."""
    if values := patient_values_var.get():
        text = _remembered(values).sub("***", text)
    text = hide_session_ids(text)
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return _PHONE.sub(_mask_phone_match, text)


_OWN_MODULES = ("builtins", "sqlite3", "asyncio", "agent", "api", "core", "scheduler", "tools", "conversations")


def _withheld(exc: BaseException) -> bool:
    """Whether the message of `exc` is left out of logs: raised by a library (a provider error that
    echoes the request), not by this project or the standard library."""
    return type(exc).__module__.split(".")[0] not in _OWN_MODULES


def format_exception(formatter: logging.Formatter, exc_info: Any) -> str:
    """The traceback, scrubbed, with library exceptions' messages withheld (their type and any
    HTTP status kept, which is what an operator needs)."""
    text = formatter.formatException(exc_info)
    seen: set[int] = set()
    exc: BaseException | None = exc_info[1] if isinstance(exc_info, tuple) else None
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        message = str(exc)
        if message and _withheld(exc):
            status = getattr(exc, "status_code", None)
            note = f"[message withheld: may echo patient data{f'; HTTP status {status}' if status else ''}]"
            text = text.replace(message, note)
        exc = exc.__cause__ or exc.__context__
    return scrub(text)


def _mask_phone_match(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(ch.isdigit() for ch in found)
    if not 7 <= digits <= 15 or _NOT_PHONE.search(found):
        return found
    return f"***{match.group(1)}"


def _extras(record: logging.LogRecord) -> dict[str, object]:
    """The record's own fields (`extra=`), scrubbed, in the order they were given."""
    return {
        key: scrub(value) if isinstance(value, str) else value
        for key, value in vars(record).items()
        if key not in _RESERVED and key not in _DROPPED and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        entry.update(_extras(record))
        if record.exc_info:
            entry["exc"] = format_exception(self, record.exc_info)
        return json.dumps(entry, default=str)


_LEVEL_COLOURS = {
    "DEBUG": "\x1b[2m",
    "INFO": "\x1b[32m",
    "WARNING": "\x1b[33m",
    "ERROR": "\x1b[31m",
    "CRITICAL": "\x1b[1;31m",
}
_RESET = "\x1b[0m"
_SHORT_NAMES = {"uvicorn.error": "uvicorn"}  # uvicorn's general logger, not only its errors


class TextFormatter(logging.Formatter):
    """One readable line per record: `09:00:01 INFO    api.access  POST /api/chat 200  ms=4.2 request_id=...`.

    Local wall-clock time (a person reads it next to their own clock), the level coloured when
    `colour` (a terminal), the extras as key=value after the message.
    """

    def __init__(self, colour: bool = False) -> None:
        super().__init__()
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        level = f"{record.levelname:<7}"
        if self.colour and record.levelname in _LEVEL_COLOURS:
            level = f"{_LEVEL_COLOURS[record.levelname]}{level}{_RESET}"
        fields = _extras(record)
        if request_id := request_id_var.get():
            fields["request_id"] = request_id
        tail = "".join(f" {key}={value}" for key, value in fields.items())
        name = _SHORT_NAMES.get(record.name, record.name)
        line = f"{when} {level} {name}: {scrub(record.getMessage())}" + (f"  {tail.strip()}" if tail else "")
        if record.exc_info:
            line += "\n" + format_exception(self, record.exc_info)
        return line


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is at the time of the record (it may be replaced later,
    by a test runner capturing output, say), like logging's own last-resort handler."""

    _scheduling_agent = False  # configure_logging() marks its own handler, to replace it when called again

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


def log_formatter(fmt: LogFormat = "auto", stream: TextIO | None = None) -> logging.Formatter:
    """The formatter for `fmt`; `auto` picks readable lines for a terminal, JSON otherwise.
    Colours only on a terminal, and never with NO_COLOR set (https://no-color.org)."""
    terminal = _is_terminal(stream if stream is not None else sys.stderr)
    if fmt == "json" or (fmt == "auto" and not terminal):
        return JsonFormatter()
    return TextFormatter(colour=terminal and not os.environ.get("NO_COLOR"))


def configure_logging(level: str = "INFO", fmt: LogFormat = "auto") -> None:
    """Route the root logger to stderr, in `fmt` (idempotent)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_scheduling_agent", False):
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(log_formatter(fmt))
    handler._scheduling_agent = True
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "aiosqlite", "openai", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
