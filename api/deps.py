"""What request handlers are given: the app's parts, built once by `create_app` (api/main.py).

The parts live in one typed `AppServices` on the app; this module is the only reader of it, and
handlers receive the parts through these dependencies. All are `async def` on purpose: FastAPI
runs a plain-def dependency in its thread pool, one hand-off per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from starlette.applications import Starlette

from agent.runtime import AgentRuntime
from api.evaluation import ScriptEvaluator
from api.limits import ChatLimits
from api.playground.sessions import StaffSessions
from core.clock import Clock
from core.settings import Settings
from scheduler.service import SchedulerService


@dataclass
class AppServices:
    """The composition root's output. The runtimes exist while the app runs (its lifespan)."""

    settings: Settings
    clock: Clock
    scheduler: SchedulerService
    evaluator: ScriptEvaluator | None = None  # replays scripts k times (given by the command line)
    runtime: AgentRuntime | None = None  # patients' conversations
    playground: AgentRuntime | None = None  # staff's (`pg-` ids); None while the playground is off
    staff_sessions: StaffSessions | None = None  # their settings, in the playground's sessions database
    limits: ChatLimits = field(init=False)  # the chat endpoints' limits for one client (api/limits.py)

    def __post_init__(self) -> None:
        self.limits = ChatLimits(self.settings, self.clock)


def services(app: Starlette) -> AppServices:
    """The app's parts (for tests, scripts and benchmarks that hold the app itself)."""
    found = getattr(app.state, "services", None)
    if not isinstance(found, AppServices):
        raise RuntimeError("not an app made by api.main.create_app")
    return found


def runtime_of(app: Starlette) -> AgentRuntime:
    """The patients' runtime of a started app."""
    runtime = services(app).runtime
    if runtime is None:
        raise RuntimeError("the app has not started (run it inside its lifespan)")
    return runtime


async def get_services(request: Request) -> AppServices:
    return services(request.app)


async def get_settings(request: Request) -> Settings:
    return services(request.app).settings


async def get_clock(request: Request) -> Clock:
    return services(request.app).clock


async def get_scheduler(request: Request) -> SchedulerService:
    return services(request.app).scheduler


async def get_runtime(request: Request) -> AgentRuntime:
    return runtime_of(request.app)


async def get_playground_runtime(request: Request) -> AgentRuntime:
    """The playground's own runtime: staff sessions only, never a patient's."""
    runtime = services(request.app).playground
    if runtime is None:
        raise RuntimeError("the playground runtime is not running")
    return runtime


async def get_chat_limits(request: Request) -> ChatLimits:
    return services(request.app).limits


async def get_staff_sessions(request: Request) -> StaffSessions:
    staff = services(request.app).staff_sessions
    if staff is None:
        raise RuntimeError("the playground runtime is not running")
    return staff


Services = Annotated[AppServices, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]
Scheduler = Annotated[SchedulerService, Depends(get_scheduler)]
Runtime = Annotated[AgentRuntime, Depends(get_runtime)]
PlaygroundRuntime = Annotated[AgentRuntime, Depends(get_playground_runtime)]
ChatLimitsDep = Annotated[ChatLimits, Depends(get_chat_limits)]
StaffSessionsDep = Annotated[StaffSessions, Depends(get_staff_sessions)]
