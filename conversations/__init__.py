"""Conversation scripts: YAML files that each describe one conversation with the agent.

A client of the app, like the benchmarks: nothing in the product imports this package but the
command line. `schema` reads and checks scripts (errors as file:line), `runner` runs them on an
app from the factory it is given, against the real agent graph, tools and scheduling service
with only the model replaced, `report` prints the outcome and `cli` is `test-script`. (The
playground's export writes this format from api/playground/export.py; the pytest plugin lives
in tests/support.)
"""

from conversations.report import format_result, format_summary
from conversations.runner import ScriptResult, run_path, run_script
from conversations.schema import Script, ScriptError, find_scripts, load_script, load_text

__all__ = [
    "Script",
    "ScriptError",
    "ScriptResult",
    "find_scripts",
    "format_result",
    "format_summary",
    "load_script",
    "load_text",
    "run_path",
    "run_script",
]
