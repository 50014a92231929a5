"""A pytest plugin: every conversation script (*.yaml) under the conftest that imports it is a
test. It lives with the tests, so the shipped `conversations` package never imports pytest.

Use it from a `conftest.py` in the scripts' folder:

    from tests.support.conversation_plugin import pytest_collect_file, pytest_configure  # noqa: F401

A failing script fails its item with the runner's report (per turn, with a diff); an invalid
one fails with its file:line messages. Nothing is skipped.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from api.main import create_app
from conversations.report import format_result
from conversations.runner import ScriptResult, run_script
from conversations.schema import ScriptError, load_script

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr  # what Item.repr_failure returns; pytest does not export it

SUFFIXES = (".yaml", ".yml")


class ScriptFailed(Exception):
    def __init__(self, report: str) -> None:
        super().__init__(report)
        self.report = report


class ScriptFile(pytest.File):
    def collect(self) -> Any:
        try:
            script = load_script(self.path)
        except ScriptError as exc:
            yield ScriptItem.from_parent(self, name=self.path.stem, script=None, invalid=str(exc))
            return
        yield ScriptItem.from_parent(self, name=self.path.stem, script=script, invalid=None)


class ScriptItem(pytest.Item):
    def __init__(self, *, script: Any, invalid: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.script = script
        self.invalid = invalid
        if script is not None:
            self.add_marker(pytest.mark.conversation)
            self.add_marker(getattr(pytest.mark, f"llm_{script.llm}"))

    def runtest(self) -> None:
        if self.invalid is not None:
            raise ScriptFailed(f"{self.path}: invalid script\n{self.invalid}")
        result: ScriptResult = asyncio.run(run_script(self.script, create_app))
        if not result.passed:
            raise ScriptFailed(format_result(result))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | TerminalRepr:
        if isinstance(excinfo.value, ScriptFailed):
            return excinfo.value.report
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        line = self.script.line - 1 if self.script is not None else 0
        return self.path, line, f"{self.path.name}: {self.script.name if self.script else 'invalid script'}"


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> ScriptFile | None:
    if file_path.suffix in SUFFIXES:
        return ScriptFile.from_parent(parent, path=file_path)
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conversation: a conversation script (YAML) run by conversations")
    config.addinivalue_line("markers", "llm_stub: a conversation script replayed by the scripted stub model")
    config.addinivalue_line("markers", "llm_offline: a conversation script answered by the embedded offline model")
