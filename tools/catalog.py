"""Every tool the agent is given, in one list: the app wires it, the prompt budget counts it."""

from __future__ import annotations

from langchain_core.tools import BaseTool

from tools.clinic_info import ClinicInfo, build_clinic_tool
from tools.http import SchedulerHttpClient
from tools.manage import build_manage_tools
from tools.scheduling import build_tools


def all_tools(client: SchedulerHttpClient, clinic: ClinicInfo) -> list[BaseTool]:
    """Availability and booking, finding/moving/cancelling a booking, the clinic's information."""
    return [*build_tools(client), *build_manage_tools(client), build_clinic_tool(clinic)]
