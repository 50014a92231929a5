"""The command line as a new user meets it: `serve` in a terminal (readable lines, where to open
the app, a clean Ctrl-C), `serve` under a process manager (JSON lines, a clean SIGTERM),
`make run`, `--version`, and `--help` showing the values in force."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import (
    DEFAULT_NOW,
    PROJECT_ROOT,
    SETTINGS_ENV,
    free_port,
    serve_command,
    serve_env,
    sqlite_url,
)
from tests.support.terminal import TerminalProcess

TerminalFactory = Callable[..., TerminalProcess]


@pytest.fixture
def in_terminal(tmp_path: Path) -> Iterator[TerminalFactory]:
    """`in_terminal(argv, cwd=tmp_path, **settings)`: a command in a pseudo-terminal, with only the
    settings given (plus a fresh database); killed at teardown if still running."""
    started: list[TerminalProcess] = []

    def start(argv: list[str], cwd: Path = tmp_path, **settings: Any) -> TerminalProcess:
        values = {"database_url": sqlite_url(tmp_path / "bookings.db"), "scheduler_now": DEFAULT_NOW, **settings}
        env = serve_env({k.upper(): str(v) for k, v in values.items()})
        env.pop("NO_COLOR", None)
        env["TERM"] = "xterm"
        process = TerminalProcess(argv, env=env, cwd=cwd)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()


def test_serve_in_a_terminal_reads_well_says_where_to_open_and_stops_cleanly_on_ctrl_c(
    in_terminal: TerminalFactory,
) -> None:
    port = free_port()
    server = in_terminal([*serve_command(), "serve", "--port", str(port)], playground_token="staff-token")
    out = server.wait_for("Ready:")
    base = f"http://127.0.0.1:{port}"
    ready = next(line for line in server.wait_for("/playground").splitlines() if "Ready:" in line)
    assert f"{base}/ " in ready and f"{base}/docs" in ready and f"{base}/playground" in ready
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines and not any(line.lstrip().startswith("{") for line in lines), "JSON on a terminal:\n" + out
    assert "\x1b[32mINFO" in out, "the level is coloured on a terminal"
    server.ctrl_c()
    assert server.wait() == 0, server.output
    assert "Application shutdown complete" in server.output
    assert "Traceback" not in server.output and "KeyboardInterrupt" not in server.output


def test_serve_with_workers_says_ready_once_they_answer_and_stops_cleanly(in_terminal: TerminalFactory) -> None:
    port = free_port()
    server = in_terminal([*serve_command(), "serve", "--port", str(port), "--workers", "2"])
    out = server.wait_for("Ready:", timeout=120)
    assert out.index("Application startup complete") < out.index("Ready:"), "the line waits for a worker"
    assert out.count("Ready:") == 1
    server.ctrl_c()
    assert server.wait() == 0, server.output
    assert "Traceback" not in server.output


def test_ctrl_c_while_workers_start_prints_no_traceback(in_terminal: TerminalFactory) -> None:
    server = in_terminal([*serve_command(), "serve", "--port", str(free_port()), "--workers", "2"])
    server.wait_for("Started parent process", timeout=60)
    server.ctrl_c()  # the workers are still importing the app
    assert server.wait() == 0, server.output
    assert "Traceback" not in server.output and "KeyboardInterrupt" not in server.output


def test_the_start_up_line_leaves_out_the_playground_when_it_is_off(in_terminal: TerminalFactory) -> None:
    server = in_terminal([*serve_command(), "serve", "--port", str(free_port())])
    ready = next(line for line in server.wait_for("Ready:").splitlines() if "Ready:" in line)
    assert "/docs" in ready and "playground" not in ready


def test_serve_off_a_terminal_writes_json_lines_and_exits_0_on_sigterm(serve_process: Any) -> None:
    process = serve_process()
    ready = process.wait_for_log("Ready:")
    assert f"{process.url}/docs" in ready["msg"]
    assert process.stop() == 0, "a graceful SIGTERM stop is a clean exit"
    text = process.log_text()
    entries = process.log_entries()
    assert len(entries) == len([line for line in text.splitlines() if line.strip()]), "every line is JSON"
    assert not any("color_message" in e for e in entries) and "\\u001b" not in text and "\x1b" not in text
    assert any(e["msg"] == "Application shutdown complete." for e in entries)


def test_log_format_text_forces_readable_lines_without_colour_into_a_file(serve_process: Any) -> None:
    process = serve_process(log_format="text")
    process.stop()
    text = process.log_text()
    assert "api: Ready: widget and demo page" in text
    assert "{" not in text.splitlines()[0] and "\x1b" not in text


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_stops_without_make_reporting_an_error(in_terminal: TerminalFactory, tmp_path: Path) -> None:
    port = free_port()
    # `make run` in the repository, as documented; the settings it needs come from the environment.
    run = in_terminal(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=PROJECT_ROOT,
        checkpoint_url=sqlite_url(tmp_path / "sessions.db"),
    )
    run.wait_for("Ready:", timeout=120)
    run.terminate_group()  # a process manager stopping it: make and the server both get SIGTERM
    run.wait()
    assert "make: ***" not in run.output and "Traceback" not in run.output, run.output

    again = in_terminal(
        ["make", "--no-print-directory", "run", f"PORT={free_port()}"],
        cwd=PROJECT_ROOT,
        checkpoint_url=sqlite_url(tmp_path / "sessions.db"),
    )
    again.wait_for("Ready:", timeout=120)
    again.ctrl_c()
    again.wait()
    assert "make: ***" not in again.output and "Traceback" not in again.output, again.output


def cli(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_ENV}
    env.update({k.upper(): v for k, v in settings.items()})
    return subprocess.run([*serve_command(), *args], capture_output=True, text=True, env=env, timeout=60)


def test_version() -> None:
    out = cli("--version")
    assert out.returncode == 0 and out.stdout.strip() == "scheduling-agent 0.1.0"


def test_help_shows_the_values_in_force_and_a_line_per_command() -> None:
    serve = cli("serve", "--help", host="0.0.0.0", port="9123", workers="3")
    assert serve.returncode == 0
    text = " ".join(serve.stdout.split())
    assert "default: 0.0.0.0, from HOST" in text and "default: 9123, from PORT" in text
    assert "default: 3, from WORKERS" in text and "Run the HTTP server" in text
    chat = " ".join(cli("chat", "--help", scheduler_now="2026-11-23T09:00:00").stdout.split())
    assert "-v, --verbose" in chat and "default: 2026-11-23T09:00:00, from SCHEDULER_NOW" in chat
    main = " ".join(cli("--help").stdout.split())
    for command in ("serve run the HTTP server", "chat talk to the agent", "test-script run conversation scripts"):
        assert command in main, main
    for command in ("serve", "chat", "test-script"):
        lines = cli(command, "--help").stdout.split("\n\n")
        assert len(lines) > 2 and lines[1].strip().endswith("."), f"{command}: no description line"


def test_an_invalid_setting_is_named_without_a_traceback() -> None:
    out = cli("serve", port="eighty")
    assert out.returncode == 2
    assert "PORT: Input should be a valid integer" in out.stderr and "'eighty'" in out.stderr
    assert "Traceback" not in out.stderr
    helped = cli("serve", "--help", port="eighty")  # the help still prints, with the shipped defaults
    assert helped.returncode == 0 and "default: 8000" in helped.stdout


def test_json_log_lines_of_a_booking_mask_the_patient(serve_process: Any) -> None:
    process = serve_process()
    with process.client() as client:
        body = {
            "appointment_type": "followup",
            "date": "2026-12-01",
            "start_time": "09:00",
            "patient": {"name": "Jane Roe", "email": "jane.roe@example.com", "phone": "555 010 0199"},
        }
        assert client.post("/api/calendly/book", json=body).status_code == 201
    process.stop()
    text = process.log_text()
    assert "jane.roe@example.com" not in text and "555 010 0199" not in text
    assert all(isinstance(json.loads(line), dict) for line in text.splitlines() if line.strip())


def test_serve_gives_the_playground_its_script_replays(serve_process: Any) -> None:
    process = serve_process(playground_token="staff-token", llm_provider="offline")
    staff = {"Authorization": "Bearer staff-token"}
    with process.client(headers=staff, timeout=60) as client:
        turn = client.post("/api/playground/chat", json={"message": "Hi, a consultation tomorrow morning"})
        session_id = turn.text.split('"session_id": "')[1].split('"')[0]
        replay = client.post(f"/api/playground/sessions/{session_id}/eval", json={"trials": 2})
    assert replay.status_code == 200, replay.text
    assert replay.json()["pass_k"] == {"1": 1.0, "2": 1.0}
