"""`scheduling-agent test-script PATH...`: run scripts, print a report, exit 1 on any failure.
`scheduling-agent eval PATH... --trials k`: run each script k times and score it with pass^k.

Exit codes: 0 every script passed (eval: the overall pass^k reached the minimum); 1 a script
failed or is invalid; 2 nothing to run.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from conversations.evaluate import evaluate_paths
from conversations.report import format_eval, format_result, format_summary
from conversations.runner import AppFactory, run_path
from conversations.schema import find_scripts


async def _run(paths: list[Path], app_factory: AppFactory, verbose: bool, out: TextIO) -> int:
    results = []
    for path in paths:
        result = await run_path(path, app_factory)
        results.append(result)
        out.write(format_result(result, verbose) + "\n\n")
        out.flush()
    out.write(format_summary(results) + "\n")
    return 0 if all(r.passed for r in results) else 1


def _scripts(raw_paths: list[str], out: TextIO) -> list[Path] | None:
    """The script files the paths name; None (after saying why) if there is nothing to run."""
    missing = [p for p in raw_paths if not Path(p).exists()]
    if missing:
        out.write("".join(f"{p}: no such file or folder\n" for p in missing))
        return None
    paths = find_scripts([Path(p) for p in raw_paths])
    if not paths:
        out.write(f"no scripts (*.yaml, *.yml) found in {', '.join(raw_paths)}\n")
        return None
    return paths


def test_script_main(
    raw_paths: list[str], *, app_factory: AppFactory, verbose: bool = False, out: TextIO | None = None
) -> int:
    out = out or sys.stdout
    paths = _scripts(raw_paths, out)
    if paths is None:
        return 2
    return asyncio.run(_run(paths, app_factory, verbose, out))


def eval_main(
    raw_paths: list[str],
    *,
    app_factory: AppFactory,
    trials: int,
    provider: str | None = None,
    model_settings: dict[str, Any] | None = None,
    as_json: bool = False,
    min_pass_k: float = 1.0,
    parallel: int = 1,
    out: TextIO | None = None,
) -> int:
    """`scheduling-agent eval`: the table (or `--json`), exit 0 when pass^k reached `min_pass_k`."""
    out = out or sys.stdout
    paths = _scripts(raw_paths, out if not as_json else sys.stderr)
    if paths is None:
        return 2
    report = asyncio.run(
        evaluate_paths(
            paths, app_factory, trials=trials, provider=provider, model_settings=model_settings, parallel=parallel
        )
    )
    if as_json:
        out.write(json.dumps(report.as_json(min_pass_k), indent=2) + "\n")
    else:
        out.write(format_eval(report, min_pass_k) + "\n")
    return 0 if report.passed(min_pass_k) else 1
