"""`scheduling-agent eval`: scripts run k times and scored with pass^k.

Recorded outcomes check the scoring and grouping; the stub and offline models show a
deterministic score (pass^k = pass^1); a local OpenAI-compatible server that answers well in some
conversations and badly in others shows the estimator on a model that varies, through the real
langchain-openai code, at the configured model and temperature. Never the internet.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from conversations.evaluate import EvalReport, ScriptEval, Trial
from conversations.report import format_eval, k_columns
from tests.support.openai_server import OpenAICompatibleServer, Reply, answered
from tests.support.servers import SETTINGS_ENV

CLI = Path(sys.executable).with_name("scheduling-agent")
SCRIPTS = Path(__file__).parent


def run_eval(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_ENV}
    env.update({k.upper(): v for k, v in settings.items()})
    return subprocess.run([str(CLI), "eval", *args], capture_output=True, text=True, timeout=300, env=env)


def trial(passed: bool, *reasons: str, calls: int = 3, tokens: int = 100) -> Trial:
    return Trial(passed, list(reasons), calls, tokens, 0.1)


# ---------------------------------------------------------------- scoring recorded outcomes


def recorded_report() -> EvalReport:
    reason = "turn 2 (line 14) expect.tool_calls: expected 1 tool call, got 0"
    flaky = ScriptEval(
        Path("flaky.yaml"),
        "flaky",
        "openai",
        [
            trial(True, calls=4, tokens=400),
            trial(False, reason, calls=2, tokens=200),
            trial(True, calls=4, tokens=400),
            trial(False, reason, "end.bookings: expected 1 booking(s), found 0", calls=2, tokens=200),
        ],
    )
    steady = ScriptEval(Path("steady.yaml"), "steady", "openai", [trial(True) for _ in range(4)])
    return EvalReport("openai", 4, [flaky, steady])


def test_recorded_outcomes_are_scored_and_their_reasons_grouped() -> None:
    report = recorded_report()
    flaky, steady = report.scripts
    assert flaky.successes == 2 and flaky.pass_k == pytest.approx([0.5, 1 / 6, 0.0, 0.0])
    assert steady.pass_k == [1.0] * 4
    assert report.pass_k == pytest.approx([0.75, (1 / 6 + 1) / 2, 0.5, 0.5])
    assert flaky.failures == [
        ("turn 2 (line 14) expect.tool_calls: expected 1 tool call, got 0", 2),
        ("end.bookings: expected 1 booking(s), found 0", 1),
    ]
    assert flaky.mean("model_calls") == 3.0 and flaky.mean("tokens") == 300.0
    assert not report.passed() and report.passed(min_pass_k=0.5) and not report.passed(min_pass_k=0.51)

    data = report.as_json(min_pass_k=0.5)
    assert data["passed"] is True and data["overall"]["pass_k"] == {"1": 0.75, "2": 0.5833, "3": 0.5, "4": 0.5}
    assert data["overall"]["successes"] == 6 and data["overall"]["runs"] == 8
    assert data["scripts"][0]["failures"][0] == {"reason": flaky.failures[0][0], "trials": 2}
    assert data["scripts"][0]["model_calls"] == {"mean": 3.0, "per_trial": [4, 2, 4, 2]}

    table = format_eval(report, 0.5)
    assert "flaky.yaml" in table and "2/4" in table and "0.17" in table and "6/8" in table
    assert "2x turn 2 (line 14) expect.tool_calls" in table
    assert table.splitlines()[-1] == "PASS: overall pass^4 = 0.50 (required: 0.50)"


def test_an_invalid_script_is_reported_and_fails_the_run() -> None:
    report = EvalReport("stub", 3, [ScriptEval(Path("bad.yaml"), "bad", "stub", error="bad.yaml:3: llm: expected ...")])
    assert not report.passed(0.0) and report.pass_k == []
    assert "invalid" in format_eval(report) and "bad.yaml:3: llm" in format_eval(report)


def test_many_trials_show_a_selection_of_k_columns() -> None:
    assert k_columns(5) == [1, 2, 3, 4, 5]
    ten = k_columns(10)
    assert ten[:3] == [1, 2, 3] and ten[-1] == 10 and len(ten) <= 8 and ten == sorted(set(ten))


# ---------------------------------------------------------------- the command line, deterministic models


def test_stub_and_offline_scripts_are_deterministic(tmp_path: Path) -> None:
    scripts = [SCRIPTS / "stub_consultation.yaml", SCRIPTS / "offline_slot_taken.yaml"]
    proc = run_eval(*map(str, scripts), "--trials", "3", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["passed"] is True and report["trials"] == 3
    for script in report["scripts"]:
        assert script["successes"] == 3 and script["pass_k"] == {"1": 1.0, "2": 1.0, "3": 1.0}
        calls, tokens = script["model_calls"]["per_trial"], script["tokens"]["per_trial"]
        assert len(set(calls)) == 1 and calls[0] > 0, "every trial makes the same model calls"
        assert len(set(tokens)) == 1 and tokens[0] > 0
    stub, offline = report["scripts"]
    assert (stub["provider"], offline["provider"]) == ("stub", "offline")
    assert stub["model_calls"]["mean"] == 4, "the stub plays the script's four replies"


def test_a_script_failing_on_another_model_names_the_reason_and_exits_1() -> None:
    # The stub script's reply expectation is worded for its own stub replies: the offline model
    # books the same slot but says it differently, in every trial.
    both = [str(SCRIPTS / "stub_consultation.yaml"), str(SCRIPTS / "offline_past_date.yaml")]
    proc = run_eval(*both, "--provider", "offline", "-k", "2")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "provider: offline" in out and re.search(r"stub_consultation\.yaml +0/2 ", out), out
    assert "2x turn 3 (line 28) expect.reply_matches: the reply does not match" in out
    assert out.rstrip().endswith("FAIL: overall pass^2 = 0.50 (required: 1.00)")
    lenient = run_eval(*both, "--provider", "offline", "-k", "2", "--min-pass-k", "0.5")
    assert lenient.returncode == 0, lenient.stdout


def test_nothing_to_run_and_unusable_choices(tmp_path: Path) -> None:
    assert run_eval(str(tmp_path)).returncode == 2
    assert run_eval(str(tmp_path / "missing.yaml")).returncode == 2
    no_key = run_eval(str(SCRIPTS / "stub_consultation.yaml"), "--provider", "openai")
    assert no_key.returncode == 2 and "OPENAI_API_KEY" in no_key.stderr
    replay = run_eval(str(SCRIPTS / "offline_past_date.yaml"), "--provider", "stub", "-k", "2", "--json")
    assert replay.returncode == 1
    (script,) = json.loads(replay.stdout)["scripts"]
    assert script["error"] == "the script is llm: offline: it has no stub replies to replay" and script["trials"] == 0
    assert run_eval(str(SCRIPTS / "stub_consultation.yaml"), "--trials", "0").returncode == 2  # argparse


# ---------------------------------------------------------------- a model that varies (local OpenAI-compatible)

FLAKY_SCRIPT = """\
name: A follow-up next Tuesday morning is checked
now: "2026-11-23T09:00:00"
llm: stub
turns:
  - user: "Can I get a follow-up next Tuesday morning?"
    stub:
      - tool_calls: [{name: check_availability, args: {date: "2026-12-01", appointment_type: followup}}]
      - text: "Tuesday, December 1: 8:30 or 9:00?"
    expect:
      tool_calls: [{name: check_availability, args: {date: "2026-12-01", appointment_type: followup}}]
      reply_contains: ["8:30"]
"""


class Flaky:
    """Checks the right day in the 1st and 3rd conversation, guesses a day in the 2nd and 4th."""

    def __init__(self) -> None:
        self.conversations = 0
        self.lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> Reply:
        if answered(body):
            return Reply(text="Tuesday, December 1 has 8:30 and 8:45 free. Which one suits you?")
        with self.lock:
            self.conversations += 1
            good = self.conversations % 2 == 1
        if good:
            return Reply(
                tool_calls=[("call_1", "check_availability", {"date": "2026-12-01", "appointment_type": "followup"})]
            )
        return Reply(text="We have plenty of times next week, just come by.")


def test_the_openai_path_scores_a_varying_model_with_pass_hat_k(tmp_path: Path) -> None:
    script = tmp_path / "followup.yaml"
    script.write_text(FLAKY_SCRIPT, encoding="utf-8")
    with OpenAICompatibleServer(Flaky()) as server:
        proc = run_eval(
            str(script),
            "--provider",
            "openai",
            "--trials",
            "4",
            "--parallel",
            "1",
            "--json",
            openai_base_url=server.url,
            openai_model="local-eval-model",
            llm_temperature="0.7",
        )
        requests = server.requests
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (result,) = json.loads(proc.stdout)["scripts"]
    assert result["provider"] == "openai" and result["successes"] == 2
    assert result["pass_k"] == {"1": 0.5, "2": 0.1667, "3": 0.0, "4": 0.0}  # C(2,k) / C(4,k)
    assert result["failures"] == [
        {"reason": "turn 1 (line 5) expect.tool_calls: expected 1 tool call, got 0", "trials": 2},
        {"reason": "turn 1 (line 5) expect.reply_contains: the reply does not contain '8:30'", "trials": 2},
    ]
    assert result["model_calls"]["per_trial"] == [2, 1, 2, 1], "a check and the reply; or the reply alone"
    assert all(t > 0 for t in result["tokens"]["per_trial"]), "usage from the server's usage chunks"
    assert len(requests) == 6
    assert {r["body"]["model"] for r in requests} == {"local-eval-model"}
    assert {r["body"]["temperature"] for r in requests} == {0.7}, "the configured temperature"
