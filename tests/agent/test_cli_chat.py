"""Complete offline conversations through `scheduling-agent chat --jsonl`, as a user would run it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.support.servers import SETTINGS_ENV

CLI = Path(sys.executable).with_name("scheduling-agent")


def run_chat(tmp_path: Path, lines: list[str], *flags: str) -> subprocess.CompletedProcess[str]:
    """`scheduling-agent chat FLAGS` (offline model, frozen clock) with `lines` on stdin."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'bookings.db'}"
    proc = subprocess.run(
        [str(CLI), "chat", "--now", "2026-11-23T09:00:00", "--provider", "offline", *flags],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def chat(tmp_path: Path, *lines: str, extra: tuple[str, ...] = ()) -> tuple[list[dict], Path]:
    proc = run_chat(tmp_path, list(lines), "--jsonl", *extra)
    return [json.loads(line) for line in proc.stdout.splitlines()], tmp_path / "bookings.db"


def turns(events: list[dict]) -> list[list[dict]]:
    out: list[list[dict]] = []
    for event in events:
        if event["type"] == "session":
            out.append([])
        out[-1].append(event)
    return out


def stored(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT booking_id, confirmation_code, date, start_time, appointment_type, patient_email, status "
            "FROM bookings"
        ).fetchall()


def test_greeting_to_confirmation_code(tmp_path: Path) -> None:
    events, db = chat(
        tmp_path,
        "Hello!",
        "Can I get a follow-up next Tuesday morning?",
        "the first one",
        "Jane Roe, jane@example.com, 555 0100",
        "yes",
    )
    each = turns(events)
    assert len(each) == 5 and all(t[-1]["type"] == "done" for t in each)
    assert len({t[0]["session_id"] for t in each}) == 1, "one session across the lines"
    check = next(e for e in each[1] if e["type"] == "tool_call")
    assert check["name"] == "check_availability" and check["args"]["date"] == "2026-12-01"
    assert "Tuesday, December 1" in each[1][-1]["reply"]
    assert [e["type"] for e in each[3]][-2:] == ["confirm", "done"]
    assert each[3][-1]["pending"]["name"] == "book_slot"
    assert not any(e["type"] == "tool_result" and e["name"] == "book_slot" for e in each[3]), (
        "not booked before the yes"
    )
    final = each[4][-1]
    booking = final["booking"]
    ((booking_id, code, date, start, kind, email, status),) = stored(db)
    assert (booking["booking_id"], booking["confirmation_code"]) == (booking_id, code)
    assert (date, start, kind, email, status) == (
        "2026-12-01",
        booking["start_time"],
        "followup",
        "jane@example.com",
        "confirmed",
    )
    assert booking_id in final["reply"] and code in final["reply"]
    tokens = "".join(e["text"] for e in each[4] if e["type"] == "token")
    assert tokens.strip() == final["reply"], "the reply streamed as tokens"


def test_no_at_confirmation_then_another_time(tmp_path: Path) -> None:
    events, db = chat(
        tmp_path,
        "I need a physical this Friday afternoon",
        "14:30",
        "My name is Sam Lee, sam@example.org, +1 212 555 0199",
        "no, make it 13:45 instead",
        "yes",
    )
    each = turns(events)
    first_confirm = next(e for e in each[2] if e["type"] == "confirm")
    assert first_confirm["args"]["start_time"] == "14:30" and first_confirm["args"]["date"] == "2026-11-27"
    second_confirm = next(e for e in each[3] if e["type"] == "confirm")
    assert second_confirm["args"]["start_time"] == "13:45"
    ((_, _, date, start, kind, email, _),) = stored(db)
    assert (date, start, kind, email) == ("2026-11-27", "13:45", "physical", "sam@example.org")


def test_session_flag_continues_a_conversation(tmp_path: Path) -> None:
    first, _ = chat(tmp_path, "Can I see a specialist on Thursday?", extra=("--session", "demo-session"))
    second, db = chat(
        tmp_path, "the last one", "Ann Smith, ann@example.com, 555 0123", "yes", extra=("--session", "demo-session")
    )
    assert {e["session_id"] for e in first + second if e["type"] == "session"} == {"demo-session"}
    ((_, _, date, _, kind, _, _),) = stored(db)
    assert (date, kind) == ("2026-11-26", "specialist")


def test_piped_input_reads_as_a_transcript_without_log_lines(tmp_path: Path) -> None:
    """Plain mode with input from a pipe: each message is echoed after the prompt, the server's
    INFO lines (requests, the booking) stay out of the conversation, even with -v."""
    lines = [
        "Can I get a follow-up next Tuesday morning?",
        "the first one",
        "Jane Roe, jane@example.com, 555 0100",
        "yes",
    ]
    proc = run_chat(tmp_path, lines, "-v")
    assert proc.stderr == "", "no log lines around the conversation"
    out = proc.stdout.splitlines()
    assert [line for line in out if line.startswith("you> ")] == [f"you> {line}" for line in lines]
    speakers = [line.split(">")[0] for line in out if line.startswith(("you> ", "agent> "))]
    assert speakers == ["you", "agent", "you", "agent", "you", "agent", "you", "agent"], proc.stdout
    assert any(line.startswith("  [tool] check_availability(") for line in out), "-v shows the tool calls"
    assert "" not in out[1:], "no stray blank lines"
    assert out[-1].startswith("  booking APPT-")
