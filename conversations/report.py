"""Readable reports of script runs: pass/fail per turn, and a diff of expected against actual;
and the table of `scheduling-agent eval` (pass^k per script)."""

from __future__ import annotations

import difflib
import json
from typing import Any

import yaml

from conversations.evaluate import EvalReport
from conversations.runner import Check, ScriptResult, TurnResult

WIDTH = 100


def _short(text: str, limit: int = WIDTH) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _dump(value: Any) -> list[str]:
    if value is None:
        return ["(none)"]
    return yaml.safe_dump(
        value, sort_keys=False, allow_unicode=True, default_flow_style=False, width=WIDTH
    ).splitlines()


def diff(expected: Any, actual: Any) -> list[str]:
    """A unified diff of the two values as YAML (`-` expected, `+` actual)."""
    lines = list(difflib.unified_diff(_dump(expected), _dump(actual), "expected", "actual", lineterm="", n=3))
    return lines or ["(no difference in the fields compared)"]


def _call(call: dict[str, Any]) -> str:
    args = ", ".join(f"{k}={json.dumps(v)}" for k, v in (call.get("args") or {}).items())
    return f"{call['name']}({args})"


def _result(result: dict[str, Any]) -> str:
    if result["ok"]:
        return f"{result['name']} -> ok"
    data = result.get("data") or {}
    return f"{result['name']} -> failed: {data.get('error') or ''} {_short(data.get('message') or '', 80)}".rstrip()


def _check_lines(check: Check, indent: str) -> list[str]:
    where = f" (line {check.line})" if check.line else ""
    lines = [f"{indent}FAIL {check.what}{where}: {check.message}"]
    if check.diff:
        lines += [f"{indent}  {line}" for line in diff(check.expected, check.actual)]
    elif check.actual is not None and isinstance(check.actual, str) and check.what.startswith("expect.reply"):
        lines.append(f"{indent}  reply: {_short(check.actual, 300)!r}")
    return lines


def _turn_lines(t: TurnResult, verbose: bool) -> list[str]:
    status = "PASS" if t.passed else "FAIL"
    lines = [f"  {status} turn {t.turn.index} (line {t.turn.line})  {_short(t.turn.label, 80)}"]
    detail = verbose or not t.passed
    if detail:
        pad = "         "
        if t.turn.note:
            lines.append(f"{pad}note: {t.turn.note}")
        for call in t.tool_calls:
            lines.append(f"{pad}tool call: {_short(_call(call), 150)}")
        for res in t.tool_results:
            lines.append(f"{pad}tool result: {_result(res)}")
        if t.confirm:
            lines.append(f"{pad}confirmation pending: {_short(_call(t.confirm), 150)}")
        if t.error:
            lines.append(f"{pad}error: {_short(t.error, 200)}")
        lines.append(f"{pad}agent: {_short(t.reply, 300)!r}")
        if t.problem:
            lines.append(f"{pad}FAIL {t.problem}")
        for check in t.checks:
            if not check.ok:
                lines += _check_lines(check, pad)
    return lines


def format_result(result: ScriptResult, verbose: bool = False) -> str:
    """The report of one script: a header, each turn, the end checks, and a verdict."""
    llm = f" [{result.llm}]" if result.llm else ""
    lines = [f"{result.path}: {result.name}{llm}"]
    if result.error:
        lines += [f"  {line}" for line in result.error.splitlines()]
    for turn in result.turns:
        lines += _turn_lines(turn, verbose)
    if result.not_run:
        lines.append(f"  SKIP {result.not_run} later turn(s) not run: the conversation could not go on")
    if result.end_skipped:
        lines.append("  SKIP end checks not run: the conversation could not go on")
    for check in result.end_checks:
        if check.ok:
            lines.append(f"  PASS {check.what} (line {check.line})")
        else:
            lines += _check_lines(check, "  ")
    failed = sum(not t.passed for t in result.turns)
    verdict = "PASS" if result.passed else "FAIL"
    extra = ""
    if not result.passed and result.turns:
        extra = f": {failed} of {len(result.turns) + result.not_run} turns failed" + (
            ", end checks failed" if any(not c.ok for c in result.end_checks) else ""
        )
    lines.append(f"  {verdict}{extra} ({result.seconds:.2f} s)")
    return "\n".join(lines)


def format_summary(results: list[ScriptResult]) -> str:
    passed = sum(r.passed for r in results)
    failed = [r for r in results if not r.passed]
    lines = [
        f"{passed} passed, {len(failed)} failed, {len(results)} script(s) in {sum(r.seconds for r in results):.1f} s"
    ]
    lines += [f"  FAIL {r.path}: {r.name}" for r in failed]
    return "\n".join(lines)


# --------------------------------------------------------------------------- scheduling-agent eval

MAX_K_COLUMNS = 8


def k_columns(trials: int) -> list[int]:
    """The k shown as columns: all up to 8 trials; beyond, 1, 2, 3, then evenly up to `trials`."""
    if trials <= MAX_K_COLUMNS:
        return list(range(1, trials + 1))
    step = (trials - 3) / (MAX_K_COLUMNS - 3)
    return sorted({1, 2, 3, *(round(3 + step * i) for i in range(1, MAX_K_COLUMNS - 2)), trials})


def format_eval(report: EvalReport, min_pass_k: float = 1.0) -> str:
    """The terminal table: a row per script and the overall row, then the failure reasons grouped."""
    ks = k_columns(report.trials)
    name_width = min(48, max([len("overall")] + [len(s.path.name) for s in report.scripts]))
    head = f"{'script':<{name_width}}  {'passed':>7}" + "".join(f"{f'pass^{k}':>9}" for k in ks)
    head += f"{'calls':>8}{'tokens':>9}"
    lines = [
        f"{len(report.scripts)} script(s) x {report.trials} trial(s), provider: {report.provider}",
        "",
        head,
        "-" * len(head),
    ]

    def row(label: str, passed: str, curve: list[float], calls: float, tokens: float) -> str:
        cells = "".join(f"{curve[k - 1]:>9.2f}" for k in ks) if curve else "".join(f"{'-':>9}" for _ in ks)
        return f"{_short(label, name_width):<{name_width}}  {passed:>7}{cells}{calls:>8.1f}{tokens:>9,.0f}"

    for s in report.scripts:
        if s.error:
            lines.append(f"{_short(s.path.name, name_width):<{name_width}}  {'invalid':>7}  (not run, see below)")
        else:
            lines.append(
                row(s.path.name, f"{s.successes}/{len(s.trials)}", s.pass_k, s.mean("model_calls"), s.mean("tokens"))
            )
    scored = report.scored
    runs = [t for s in scored for t in s.trials]
    if runs:
        lines.append("-" * len(head))
        calls = sum(t.model_calls for t in runs) / len(runs)
        tokens = sum(t.tokens for t in runs) / len(runs)
        lines.append(row("overall", f"{sum(s.successes for s in scored)}/{len(runs)}", report.pass_k, calls, tokens))
    lines.append("")
    lines.append("calls and tokens: per conversation, the mean over its trials")

    failing = [s for s in report.scripts if s.error or s.failures]
    if failing:
        lines += ["", "failures, grouped (the number of trials each reason failed):"]
    for s in failing:
        if s.error:
            lines.append(f"  {s.path}: invalid, not run")
            lines += [f"      {line}" for line in s.error.splitlines()]
            continue
        lines.append(f"  {s.path}: {len(s.trials) - s.successes} of {len(s.trials)} trial(s) failed")
        lines += [f"    {n:>3}x {_short(reason, 2 * WIDTH)}" for reason, n in s.failures]
    verdict = "PASS" if report.passed(min_pass_k) else "FAIL"
    overall = f"{report.pass_k[-1]:.2f}" if report.pass_k else "-"
    lines += ["", f"{verdict}: overall pass^{report.trials} = {overall} (required: {min_pass_k:.2f})"]
    return "\n".join(lines)
