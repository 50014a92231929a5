"""Conversation scripts: YAML files that each describe one conversation with the agent.

`schema` reads and checks them (errors as file:line), `runner` runs them against the real agent
graph, tools and scheduling service with only the model replaced, `report` prints the outcome,
`export` writes a playground session as a script, and `pytest_plugin` makes each a test item.
"""

from api.scripts.report import format_result, format_summary
from api.scripts.runner import ScriptResult, run_path, run_script
from api.scripts.schema import Script, ScriptError, find_scripts, load_script, load_text

__all__ = [
    "Script", "ScriptError", "ScriptResult", "find_scripts", "format_result", "format_summary",
    "load_script", "load_text", "run_path", "run_script",
]
