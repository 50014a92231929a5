"""Log lines: JSON for machines (no terminal colour codes inside), readable lines for people,
patient data masked in both, and `LOG_FORMAT=auto` choosing by whether stderr is a terminal."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator
from typing import TextIO

import pytest

from core.logging import JsonFormatter, TextFormatter, configure_logging, log_formatter, request_id_var


def record(msg: str, *args: object, level: int = logging.INFO, name: str = "api", **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord(name, level, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


UVICORN = record(
    "Uvicorn running on %s://%s:%d (Press CTRL+C to quit)",
    "http",
    "127.0.0.1",
    8000,
    name="uvicorn.error",
    color_message="Uvicorn running on \x1b[1m%s://%s:%d\x1b[0m (Press CTRL+C to quit)",
)


@pytest.fixture
def terminal() -> Iterator[TextIO]:
    """A stream that is a terminal (the slave side of a pseudo-terminal)."""
    master, slave = os.openpty()
    stream = os.fdopen(slave, "w")
    try:
        yield stream
    finally:
        stream.close()
        os.close(master)


def test_json_lines_carry_no_colour_codes() -> None:
    line = JsonFormatter().format(UVICORN)
    entry = json.loads(line)
    assert entry["msg"] == "Uvicorn running on http://127.0.0.1:8000 (Press CTRL+C to quit)"
    assert entry["logger"] == "uvicorn.error" and "color_message" not in entry
    assert "\x1b" not in line and "\\u001b" not in line


def test_text_lines_read_as_a_sentence_with_the_extras_after_it() -> None:
    token = request_id_var.set("req-42")
    try:
        line = TextFormatter().format(record("%s %s %s", "POST", "/api/chat", 200, status=200, ms=4.2))
    finally:
        request_id_var.reset(token)
    clock, level, rest = line.split(maxsplit=2)
    assert len(clock) == 8 and clock.count(":") == 2  # HH:MM:SS
    assert level == "INFO"
    assert rest == "api: POST /api/chat 200  status=200 ms=4.2 request_id=req-42"
    assert "uvicorn: Uvicorn running on http://127.0.0.1:8000" in TextFormatter().format(UVICORN)
    assert "\x1b" not in TextFormatter().format(UVICORN)


def test_text_lines_colour_the_level_only_when_asked() -> None:
    warning = record("slow turn", level=logging.WARNING)
    assert "\x1b[33mWARNING\x1b[0m" in TextFormatter(colour=True).format(warning)
    assert "\x1b" not in TextFormatter(colour=False).format(warning)


@pytest.mark.parametrize("formatter", [JsonFormatter(), TextFormatter()], ids=["json", "text"])
def test_both_formats_mask_patient_data(formatter: logging.Formatter) -> None:
    line = formatter.format(
        record("booking for %s, phone %s", "jane.roe@example.com", "555 010 0199", email="jane@x.org")
    )
    assert "jane.roe@example.com" not in line and "555 010 0199" not in line and "jane@x.org" not in line
    assert "j***@example.com" in line and "***99" in line


def test_auto_is_text_on_a_terminal_and_json_elsewhere(terminal: TextIO, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert isinstance(log_formatter("auto", io.StringIO()), JsonFormatter)
    on_terminal = log_formatter("auto", terminal)
    assert isinstance(on_terminal, TextFormatter) and on_terminal.colour
    assert isinstance(log_formatter("json", terminal), JsonFormatter)
    forced = log_formatter("text", io.StringIO())
    assert isinstance(forced, TextFormatter) and not forced.colour, "no colour codes into a file"
    monkeypatch.setenv("NO_COLOR", "1")
    plain = log_formatter("auto", terminal)
    assert isinstance(plain, TextFormatter) and not plain.colour


def test_configure_logging_writes_the_chosen_format_to_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)
    root = logging.getLogger()
    saved_level, saved_handlers = root.level, list(root.handlers)
    try:
        configure_logging("INFO", "text")
        logging.getLogger("api").info("hello %s", "there")
        configure_logging("INFO", "json")  # replaces its own handler, never adds a second
        logging.getLogger("api").info("hello again")
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    first, second = stderr.getvalue().splitlines()
    assert first.endswith("INFO    api: hello there")
    assert json.loads(second)["msg"] == "hello again"
