"""The script runner: failures are readable (per turn, with a diff), script mistakes are file:line.

Each script runs against the real agent graph, tools and scheduling service on a temporary
database, with the stub model; nothing here reaches a network.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from api.cli import main as cli_main
from api.main import create_app
from conversations import ScriptError, format_result, load_script, load_text, run_script
from conversations.runner import ScriptResult

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).with_name("scheduling-agent")

BOOKING = textwrap.dedent("""\
    name: Books a follow-up
    now: "2026-11-23T09:00:00"
    llm: stub
    slots:
      "2026-12-01":
        followup:
          - {start_time: "09:00", end_time: "09:15", available: true}
          - {start_time: "09:15", end_time: "09:30", available: false}
    turns:
      - user: "Can I get a follow-up next Tuesday?"
        stub:
          - tool_calls:
              - {name: check_availability, args: {date: "2026-12-01", appointment_type: followup}}
          - text: "Next Tuesday I have 9:00. Shall I take it?"
        expect:
          tool_calls:
            - {name: check_availability, args: {date: "DATE"}}
          reply_contains: ["9:00"]
      - user: "Yes. Jane Roe, jane@example.com, 555 0100"
        stub:
          - tool_calls:
              - {name: book_slot, args: {date: "2026-12-01", start_time: "09:00", appointment_type: followup,
                 patient_name: Jane Roe, patient_email: jane@example.com, patient_phone: "555 0100"}}
        expect:
          confirm: {name: book_slot}
      - user: "yes"
        stub:
          - text: "Booked! Your confirmation code is {{booking.confirmation_code}}."
        expect:
          tool_results: [{name: book_slot, ok: true}]
    end:
      bookings:
        - {date: "2026-12-01", start_time: "09:00", patient_email: EMAIL}
""")


def script_text(date: str = "2026-12-01", email: str = "jane@example.com") -> str:
    return BOOKING.replace("DATE", date).replace("EMAIL", email)


async def run_text(text: str, path: str = "case.yaml") -> ScriptResult:
    return await run_script(load_text(text, path), create_app)


def problems_of(text: str, path: str = "bad.yaml") -> list[str]:
    with pytest.raises(ScriptError) as caught:
        load_text(text, path)
    return [str(p) for p in caught.value.problems]


# --------------------------------------------------------------------------- running


async def test_a_correct_script_passes_and_fills_the_booking_code() -> None:
    result = await run_text(script_text())
    assert result.passed, format_result(result)
    assert [t.passed for t in result.turns] == [True, True, True]
    reply = result.turns[2].reply
    assert reply.startswith("Booked! Your confirmation code is ") and "{{" not in reply
    assert len(reply.removeprefix("Booked! Your confirmation code is ").rstrip(".")) == 8


async def test_a_failing_expectation_fails_its_turn_with_a_diff() -> None:
    result = await run_text(script_text(date="2026-12-02", email="john@example.com"))
    assert not result.passed
    assert [t.passed for t in result.turns] == [False, True, True]
    report = format_result(result)
    assert "FAIL turn 1 (line 10)" in report
    assert "FAIL expect.tool_calls (line 16): the tool calls differ" in report
    assert "--- expected" in report and "+++ actual" in report
    assert "-    date: '2026-12-02'" in report and "+    date: '2026-12-01'" in report
    assert "PASS turn 2" in report
    assert "FAIL end.bookings (line 32): the bookings differ" in report
    assert "-  patient_email: john@example.com" in report and "+  patient_email: jane@example.com" in report
    assert report.rstrip().splitlines()[-1].startswith("  FAIL: 1 of 3 turns failed, end checks failed")


async def test_reply_expectations_show_the_actual_reply() -> None:
    result = await run_text(
        script_text().replace('reply_contains: ["9:00"]', 'reply_contains: ["9:15"]\n      reply_matches: "^Sorry"')
    )
    report = format_result(result)
    assert "FAIL expect.reply_contains (line 18): the reply does not contain '9:15'" in report
    assert "FAIL expect.reply_matches (line 19): the reply does not match /^Sorry/" in report
    assert "reply: 'Next Tuesday I have 9:00. Shall I take it?'" in report


async def test_a_stub_that_runs_out_of_replies_fails_with_a_clear_message() -> None:
    text = script_text().replace('      - text: "Next Tuesday I have 9:00. Shall I take it?"\n', "")
    result = await run_text(text)
    assert not result.passed
    first = result.turns[0]
    assert first.problem is not None
    assert (
        "the stub ran out of replies: the model was called 2 times this turn, but the turn's `stub` has 1 reply "
        "(line 11)" in first.problem
    )
    assert result.not_run == 2 and len(result.turns) == 1
    report = format_result(result)
    assert "SKIP 2 later turn(s) not run" in report
    assert "SKIP end checks not run" in report
    assert "Traceback" not in report


async def test_a_reply_never_consumed_fails_with_a_clear_message() -> None:
    text = script_text().replace(
        "    expect:\n      confirm: {name: book_slot}",
        '      - text: "One more thing"\n    expect:\n      confirm: {name: book_slot}',
    )
    result = await run_text(text)
    assert not result.passed
    second = result.turns[1]
    assert second.problem is not None
    assert second.problem.startswith(
        "1 stub reply of this turn was never used (line 24): the turn ended after the model's 1st reply"
    )
    assert "a confirmation is pending" in second.problem
    assert '"text": "One more thing"' in second.problem
    assert result.not_run == 1


async def test_an_unexpected_error_or_a_missing_one_fails() -> None:
    # `confirm` with nothing pending is refused by the runtime: the script cannot go on.
    text = script_text().replace('  - user: "Yes. Jane Roe, jane@example.com, 555 0100"', "  - confirm: true")
    result = await run_text(text)
    assert (
        result.turns[1].problem
        == "the turn was refused: confirm: there is no booking waiting for confirmation in this session"
    )
    # An `error` expectation on a turn that ends normally fails.
    result = await run_text(
        script_text().replace("      confirm: {name: book_slot}", "      confirm: {name: book_slot}\n      error: true")
    )
    assert "FAIL expect.error (line 26): expected the turn to end with an error; it ended normally" in format_result(
        result
    )


async def test_before_book_takes_the_slot_and_counts_in_the_bookings() -> None:
    text = (
        script_text()
        .replace(
            '  - user: "yes"\n',
            '  - user: "yes"\n'
            "    before:\n"
            "      wait_minutes: 6\n"  # the patient's hold on the slot (5 minutes) runs out first
            '      book: {date: "2026-12-01", start_time: "09:00", appointment_type: followup}\n',
        )
        .replace(
            "tool_results: [{name: book_slot, ok: true}]",
            "tool_results: [{name: book_slot, ok: false, error: slot_taken}]\n      booking: false",
        )
        .replace("patient_email: jane@example.com}\n", "patient_email: other.patient@example.com}\n")
    )
    result = await run_text(text)
    assert result.passed, format_result(result)
    # Booking a slot that does not exist is reported, with the line of the `book`.
    bad = text.replace(
        'book: {date: "2026-12-01", start_time: "09:00"', 'book: {date: "2026-12-01", start_time: "10:00"'
    )
    result = await run_text(bad)
    assert result.turns[2].problem is not None
    assert result.turns[2].problem.startswith(
        "before.book (line 29): the scheduling service refused to book followup 2026-12-01 10:00: 404"
    )  # line of `book:`
    # Within the hold, the other patient cannot take the slot the patient is deciding on.
    result = await run_text(text.replace("      wait_minutes: 6\n", ""))
    assert result.turns[2].problem is not None and "09:00: 409" in result.turns[2].problem, result.turns[2].problem


async def test_the_shipped_example_scripts_load() -> None:
    scripts = sorted((PROJECT_ROOT / "tests" / "conversations").glob("*.yaml"))
    assert len(scripts) >= 20
    loaded = [load_script(p) for p in scripts]
    assert sum(s.llm == "offline" for s in loaded) >= 6


# --------------------------------------------------------------------------- script mistakes


def test_bad_yaml_is_reported_with_file_and_line() -> None:
    text = script_text().replace(
        "      confirm: {name: book_slot}\n", "      confirm: {name: book_slot}\n     reply: misaligned\n"
    )
    assert problems_of(text) == [
        "bad.yaml:26: invalid YAML: expected <block end>, but found '<block mapping start>' "
        "(while parsing a block mapping)"
    ]


def test_unknown_keys_and_tools_are_reported_with_file_and_line() -> None:
    text = (
        script_text()
        .replace("    expect:\n      confirm", "    expct:\n      confirm")
        .replace(
            '{name: check_availability, args: {date: "2026-12-01"',
            '{name: check_availabilty, args: {date: "2026-12-01"',
        )
        .replace("patient_name: Jane Roe", "patient_nam: Jane Roe")
    )
    assert problems_of(text, "tests/conversations/x.yaml") == [
        "tests/conversations/x.yaml:13: turn 1.stub[0].tool_calls[0].name: unknown tool 'check_availabilty' "
        "(did you mean 'check_availability'?); the tools are check_availability, book_slot, find_booking, "
        "reschedule_booking, cancel_booking, clinic_info",
        "tests/conversations/x.yaml:17: turn 1.expect.tool_calls[0].name: unknown tool 'check_availabilty' "
        "(did you mean 'check_availability'?); the tools are check_availability, book_slot, find_booking, "
        "reschedule_booking, cancel_booking, clinic_info",
        "tests/conversations/x.yaml:23: turn 2.stub[0].tool_calls[0].args: book_slot has no argument 'patient_nam' "
        "(did you mean 'patient_name'?); it takes date, start_time, appointment_type, patient_name, patient_email, "
        "patient_phone, reason",
        "tests/conversations/x.yaml:24: unknown key 'expct' in turn 2 (did you mean 'expect'?)",
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('now: "2026-11-23T09:00:00"', 'now: "next monday"', "bad.yaml:2: now: expected a clinic-local ISO date-time"),
        ("llm: stub", "llm: gpt", "bad.yaml:3: llm: expected one of stub, offline, got 'gpt'"),
        (
            'end_time: "09:30", available: false',
            'end_time: "09:00", available: false',
            "bad.yaml:8: slots[2026-12-01][followup][1]: end_time is not after start_time",
        ),
        ("    followup:\n", "    checkup:\n", "bad.yaml:6: slots[2026-12-01][checkup]: unknown appointment type"),
        (
            'reply_contains: ["9:00"]',
            "reply_contains: {a: 1}",
            "bad.yaml:18: turn 1.expect.reply_contains: expected a string or a list",
        ),
        (
            'reply_contains: ["9:00"]',
            'reply_matches: "(9:00"',
            "bad.yaml:18: turn 1.expect.reply_matches: not a valid regular expression",
        ),
        (
            "tool_results: [{name: book_slot, ok: true}]",
            "tool_results: [{name: book_slot, ok: yes_please}]",
            "bad.yaml:30: turn 3.expect.tool_results[0].ok: expected true or false",
        ),
        (
            '  - user: "yes"\n',
            '  - user: "yes"\n    confirm: true\n',
            "bad.yaml:26: turn 3: give either `user` (a message) or `confirm`",
        ),
        (
            '    - {date: "2026-12-01", start_time',
            '    - {dat: "2026-12-01", start_time',
            "bad.yaml:33: unknown key 'dat' in end.bookings[0] (did you mean 'date'?)",
        ),
        (
            '      - text: "Booked!',
            '      - txt: "Booked!',
            "bad.yaml:28: unknown key 'txt' in turn 3.stub[0] (did you mean 'text'?)",
        ),
        ("llm: stub\n", "llm: stub\nname: Again\n", "bad.yaml:4: duplicate key 'name'"),
        ("turns:", "turn_list:", "bad.yaml:9: unknown key 'turn_list' in the script (did you mean 'turns'?)"),
        ("turns:", "turn_list:", "bad.yaml:1: `turns` is required"),
    ],
)
def test_script_mistakes_name_their_line(old: str, new: str, expected: str) -> None:
    text = script_text()
    assert old in text
    problems = problems_of(text.replace(old, new, 1))
    assert any(p.startswith(expected) for p in problems), problems


def test_offline_scripts_have_no_stub() -> None:
    problems = problems_of(script_text().replace("llm: stub", "llm: offline"))
    assert (
        problems[0]
        == "bad.yaml:11: turn 1.stub: only scripts with `llm: stub` have stub replies (this one is llm: offline)"
    )


def test_unquoted_dates_and_times_stay_as_written() -> None:
    script = load_text(
        script_text().replace('{date: "2026-12-01", start_time: "09:00"', "{date: 2026-12-01, start_time: 9:00")
    )
    stub = script.turns[1].stub
    assert stub is not None
    call = stub[0]["tool_calls"][0]
    assert call["args"]["date"] == "2026-12-01" and call["args"]["start_time"] == "9:00"


# --------------------------------------------------------------------------- the command


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    assert CLI.exists(), f"{CLI} is missing: install the project into the venv running the tests"
    return subprocess.run(
        [str(CLI), "test-script", *args], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT
    )


def test_the_command_reports_per_turn_and_exits_non_zero_on_any_failure(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(script_text(), encoding="utf-8")
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "failing.yaml").write_text(script_text(date="2026-12-02"), encoding="utf-8")
    (folder / "invalid.yaml").write_text(
        script_text().replace("    expect:\n      confirm", "    expct:\n      confirm"), encoding="utf-8"
    )

    passing = run_cli(str(good))
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "PASS turn 1 (line 10)  user: Can I get a follow-up next Tuesday?" in passing.stdout
    assert "1 passed, 0 failed, 1 script(s)" in passing.stdout

    mixed = run_cli(str(good), str(folder))
    out = mixed.stdout
    assert mixed.returncode == 1, out + mixed.stderr
    assert "FAIL expect.tool_calls (line 16): the tool calls differ" in out
    assert "-    date: '2026-12-02'" in out and "+    date: '2026-12-01'" in out
    assert f"{folder / 'invalid.yaml'}:24: unknown key 'expct' in turn 2 (did you mean 'expect'?)" in out
    assert "1 passed, 2 failed, 3 script(s)" in out
    assert "Traceback" not in out + mixed.stderr


def test_the_command_exits_2_when_there_is_nothing_to_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["test-script", str(tmp_path / "nope.yaml")]) == 2
    assert f"{tmp_path / 'nope.yaml'}: no such file or folder" in capsys.readouterr().out
    assert cli_main(["test-script", str(tmp_path)]) == 2
    assert f"no scripts (*.yaml, *.yml) found in {tmp_path}" in capsys.readouterr().out


def test_the_pytest_plugin_fails_an_item_with_the_report(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "from tests.support.conversation_plugin import pytest_collect_file, pytest_configure  # noqa\n"
    )
    (tmp_path / "good.yaml").write_text(script_text(), encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(script_text(date="2026-12-02"), encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},  # the plugin lives with this repository's tests
    )
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "2 failed, 1 passed" in out
    assert "FAIL expect.tool_calls (line 16): the tool calls differ" in out
    assert "+    date: '2026-12-01'" in out
    assert "broken.yaml: invalid script" in out and "broken.yaml:2: invalid YAML" in out


def test_a_bare_yes_as_a_message_is_explained() -> None:
    problems = problems_of(script_text().replace('  - user: "yes"', "  - user: yes"))
    assert problems == ['bad.yaml:26: turn 3.user: YAML read this as True; quote the message, e.g. user: "yes"']
