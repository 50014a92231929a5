"""The layers import only downward: a new upward import fails here.

    core  <  scheduler  <  tools  <  agent  <  api  <  conversations, bench

- core imports nothing of the project; scheduler imports only core;
- tools know the service only through HTTP: never scheduler, agent or api;
- the agent knows the service only through the tools: never scheduler or api;
- nothing imports conversations but the command line (api/cli.py) and the tests;
- nothing imports bench or tests.
Every import counts, also those inside functions or under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "scheduler", "tools", "agent", "api", "conversations", "bench")
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "scheduler": {"core"},
    "tools": {"core"},
    "agent": {"core", "tools"},
    "api": {"core", "scheduler", "tools", "agent"},
    "conversations": {"core", "scheduler", "tools", "agent", "api"},
    "bench": {"core", "scheduler", "tools", "agent", "api"},
}
# The one module allowed to reach up: the `scheduling-agent` command line runs `test-script`.
EXCEPTIONS = {("api/cli.py", "conversations")}


def imported_packages(source: str) -> set[str]:
    """The top-level names every import statement of `source` reaches."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def violations(root: Path) -> list[str]:
    """'file: imports X' for every import of a project package its layer may not use."""
    problems = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            reached = imported_packages(path.read_text(encoding="utf-8")) & (set(PACKAGES) | {"tests"})
            for other in sorted(reached - {package} - ALLOWED[package]):
                if (relative, other) not in EXCEPTIONS:
                    problems.append(f"{relative}: imports {other}")
    return problems


def test_every_layer_imports_only_the_layers_below_it() -> None:
    assert violations(ROOT) == []


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "tools" / "ok.py").write_text("from core.formats import day_label\n")
    (tmp_path / "tools" / "bad.py").write_text("def f():\n    from agent.runtime import AgentRuntime\n")
    (tmp_path / "scheduler" / "bad.py").write_text("import tools.http\n")
    (tmp_path / "agent" / "bad.py").write_text("if True:\n    from scheduler.store import Booking\n")
    (tmp_path / "api" / "bad.py").write_text("from conversations import run_script\n")
    (tmp_path / "api" / "cli.py").write_text("from conversations.cli import test_script_main\n")
    assert violations(tmp_path) == [
        "scheduler/bad.py: imports tools",
        "tools/bad.py: imports agent",
        "agent/bad.py: imports scheduler",
        "api/bad.py: imports conversations",
    ]


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "bench"])  # bench is not shipped
def test_no_shipped_module_imports_pytest_or_the_tests(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        reached = imported_packages(path.read_text(encoding="utf-8"))
        assert not reached & {"pytest", "tests"}, f"{path.relative_to(ROOT)} imports {reached & {'pytest', 'tests'}}"
