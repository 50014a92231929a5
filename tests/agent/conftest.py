"""An app with the agent, run in-process (lifespan), with a scripted stub model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agent.models.stub import StubScript
from agent.runtime import AgentRuntime
from api.deps import runtime_of, services
from api.main import create_app
from core.settings import Settings


@dataclass
class AgentApp:
    app: Any
    runtime: AgentRuntime
    script: StubScript

    async def turn(self, session_id: str | None, message: str | None = None, confirm: bool | None = None) -> list[dict]:
        turn = await self.runtime.start_turn(session_id, message, confirm)
        return [event async for event in turn.events()]

    async def bookings(self) -> list[Any]:
        return await services(self.app).scheduler.bookings()


@pytest.fixture
async def agent_app(tmp_path: Path) -> AsyncIterator[AgentApp]:
    script = StubScript()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/bookings.db",
        scheduler_now="2026-11-23T09:00:00",
        llm_provider="stub",
    )
    app = create_app(settings, stub_script=script)
    async with app.router.lifespan_context(app):
        yield AgentApp(app, runtime_of(app), script)
