"""Reliability of a prompt and model: every script run k times, scored with pass^k (core/passk.py).

Each trial is a full `run_script` (a fresh app and database), the script's expectations its
success check. Per script: successes, pass^1 ... pass^k, the failure reasons grouped (each
reason counted once per trial it failed), model calls and tokens per conversation. Overall: the
mean of the scripts' pass^k. `scheduling-agent eval` prints it (conversations/cli.py); the staff
playground runs its exported conversation through `evaluate_text`, given to the app by the
command line.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conversations.runner import AppFactory, ScriptResult, run_script
from conversations.schema import Script, ScriptError, load_script, load_text
from core.passk import mean_curve, pass_curve

MAX_TRIALS = 100


@dataclass
class Trial:
    passed: bool
    reasons: list[str]
    model_calls: int
    tokens: int
    seconds: float


def failure_reasons(result: ScriptResult) -> list[str]:
    """Why a run failed, one line per failed check, worded the same in every trial (so they group)."""
    if result.error:
        return [result.error.splitlines()[0]]
    reasons = []
    for turn in result.turns:
        where = f"turn {turn.turn.index} (line {turn.turn.line})"
        if turn.problem:
            reasons.append(f"{where}: {turn.problem}")
        reasons += [f"{where} {check.what}: {check.message}" for check in turn.checks if not check.ok]
    reasons += [f"{check.what}: {check.message}" for check in result.end_checks if not check.ok]
    if result.not_run:
        reasons.append(f"{result.not_run} later turn(s) not run")
    return list(dict.fromkeys(reasons)) or ["failed"]


def trial_of(result: ScriptResult) -> Trial:
    reasons = [] if result.passed else failure_reasons(result)
    return Trial(result.passed, reasons, result.model_calls, result.tokens, result.seconds)


@dataclass
class ScriptEval:
    """One script's trials."""

    path: Path
    name: str
    provider: str
    trials: list[Trial] = field(default_factory=list)
    error: str | None = None  # the script is invalid: it was not run

    @property
    def successes(self) -> int:
        return sum(t.passed for t in self.trials)

    @property
    def pass_k(self) -> list[float]:
        return pass_curve(self.successes, len(self.trials)) if self.trials else []

    @property
    def failures(self) -> list[tuple[str, int]]:
        """(reason, number of trials it failed), the most frequent first."""
        counts = Counter(reason for trial in self.trials for reason in trial.reasons)
        return counts.most_common()

    def mean(self, attribute: str) -> float:
        values = [getattr(t, attribute) for t in self.trials]
        return sum(values) / len(values) if values else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "name": self.name,
            "provider": self.provider,
            "error": self.error,
            "trials": len(self.trials),
            "successes": self.successes,
            "pass_k": {str(k): round(v, 4) for k, v in enumerate(self.pass_k, 1)},
            "failures": [{"reason": reason, "trials": n} for reason, n in self.failures],
            "model_calls": {
                "mean": round(self.mean("model_calls"), 2),
                "per_trial": [t.model_calls for t in self.trials],
            },
            "tokens": {"mean": round(self.mean("tokens"), 1), "per_trial": [t.tokens for t in self.trials]},
            "seconds": round(sum(t.seconds for t in self.trials), 2),
        }


@dataclass
class EvalReport:
    provider: str  # as asked: a provider name, or "each script's own"
    trials: int
    scripts: list[ScriptEval]

    @property
    def scored(self) -> list[ScriptEval]:
        return [s for s in self.scripts if s.error is None]

    @property
    def pass_k(self) -> list[float]:
        return mean_curve([s.pass_k for s in self.scored])

    def passed(self, min_pass_k: float = 1.0) -> bool:
        """Every script valid and the overall pass^k (k = trials) at least `min_pass_k`."""
        return bool(self.scored) and len(self.scored) == len(self.scripts) and self.pass_k[-1] >= min_pass_k

    def as_json(self, min_pass_k: float = 1.0) -> dict[str, Any]:
        scored = self.scored
        trials = [t for s in scored for t in s.trials]
        return {
            "provider": self.provider,
            "trials": self.trials,
            "min_pass_k": min_pass_k,
            "passed": self.passed(min_pass_k),
            "scripts": [s.as_json() for s in self.scripts],
            "overall": {
                "scripts": len(self.scripts),
                "scored": len(scored),
                "invalid": len(self.scripts) - len(scored),
                "successes": sum(s.successes for s in scored),
                "runs": len(trials),
                "pass_k": {str(k): round(v, 4) for k, v in enumerate(self.pass_k, 1)},
                "model_calls_mean": round(sum(t.model_calls for t in trials) / len(trials), 2) if trials else 0,
                "tokens_mean": round(sum(t.tokens for t in trials) / len(trials), 1) if trials else 0,
            },
        }


async def evaluate_script(
    script: Script,
    app_factory: AppFactory,
    *,
    trials: int,
    provider: str | None = None,
    model_settings: dict[str, Any] | None = None,
    parallel: int = 1,
) -> ScriptEval:
    """`trials` runs of one script, up to `parallel` at a time."""
    if not 1 <= trials <= MAX_TRIALS:
        raise ValueError(f"trials must be between 1 and {MAX_TRIALS}; got {trials}")
    gate = asyncio.Semaphore(max(1, parallel))

    async def one() -> ScriptResult:
        async with gate:
            return await run_script(script, app_factory, provider=provider, model_settings=model_settings)

    results = await asyncio.gather(*(one() for _ in range(trials)))
    evaluated = ScriptEval(script.path, script.name, results[0].llm, [trial_of(r) for r in results])
    first_error = results[0].error
    if first_error and all(r.error == first_error for r in results) and not any(r.turns for r in results):
        # It could not run at all (e.g. no stub replies to replay): not scored.
        evaluated.error, evaluated.trials = first_error, []
    return evaluated


async def evaluate_paths(
    paths: list[Path],
    app_factory: AppFactory,
    *,
    trials: int,
    provider: str | None = None,
    model_settings: dict[str, Any] | None = None,
    parallel: int = 1,
) -> EvalReport:
    """Every script file `trials` times; an invalid file is reported, not run."""
    evaluated = []
    for path in paths:
        try:
            script = load_script(path)
        except ScriptError as exc:
            evaluated.append(ScriptEval(path, path.stem, provider or "-", error=str(exc)))
            continue
        evaluated.append(
            await evaluate_script(
                script, app_factory, trials=trials, provider=provider, model_settings=model_settings, parallel=parallel
            )
        )
    return EvalReport(provider or "each script's own llm", trials, evaluated)


async def evaluate_text(
    text: str,
    app_factory: AppFactory,
    *,
    trials: int,
    provider: str,
    model_settings: dict[str, Any] | None = None,
    prompt: str | None = None,
    parallel: int = 1,
) -> dict[str, Any]:
    """A script given as YAML text (the playground's export) `trials` times, with `prompt`
    replacing the script's; the per-script JSON of `scheduling-agent eval --json`."""
    script = load_text(text, "<playground export>")
    if prompt is not None:
        script = dataclasses.replace(script, prompt=prompt)
    evaluated = await evaluate_script(
        script, app_factory, trials=trials, provider=provider, model_settings=model_settings, parallel=parallel
    )
    return evaluated.as_json()
