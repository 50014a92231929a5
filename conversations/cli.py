"""`scheduling-agent test-script PATH...`: run scripts, print a report, exit 1 on any failure.

Exit codes: 0 every script passed; 1 a script failed or is invalid; 2 nothing to run.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TextIO

from conversations.report import format_result, format_summary
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


def test_script_main(
    raw_paths: list[str], *, app_factory: AppFactory, verbose: bool = False, out: TextIO | None = None
) -> int:
    out = out or sys.stdout
    missing = [p for p in raw_paths if not Path(p).exists()]
    if missing:
        out.write("".join(f"{p}: no such file or folder\n" for p in missing))
        return 2
    paths = find_scripts([Path(p) for p in raw_paths])
    if not paths:
        out.write(f"no scripts (*.yaml, *.yml) found in {', '.join(raw_paths)}\n")
        return 2
    return asyncio.run(_run(paths, app_factory, verbose, out))
