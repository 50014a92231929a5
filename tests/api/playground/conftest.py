"""Helpers for the playground tests: an in-process app, SSE turns, and a model that records prompts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.main import create_app
from tests.support.servers import DEFAULT_NOW, SCHEDULE_FILE, SLOTS_FILE, IsolatedSettings, sqlite_url
from tests.support.sse import parse_text

TOKEN = "staff-secret-token"
STAFF = {"Authorization": f"Bearer {TOKEN}"}


class PromptLog:
    """The system prompt of every model call, with the session it was for."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def hook(self) -> Callable[[Any], Any]:
        from agent.offline import OfflineChatModel

        log = self.prompts

        class RecordingOffline(OfflineChatModel):
            def _record(self, messages: list[Any]) -> None:
                log.append(str(messages[0].content) if messages and messages[0].type == "system" else "")

            def _generate(self, messages: list[Any], *args: Any, **kwargs: Any) -> Any:
                self._record(messages)
                return super()._generate(messages, *args, **kwargs)

            def _stream(self, messages: list[Any], *args: Any, **kwargs: Any) -> Any:
                self._record(messages)
                yield from super()._stream(messages, *args, **kwargs)

            async def _astream(self, messages: list[Any], *args: Any, **kwargs: Any) -> Any:
                self._record(messages)
                async for chunk in super()._astream(messages, *args, **kwargs):
                    yield chunk

        def hook(model: Any) -> Any:
            if isinstance(model, OfflineChatModel):
                return RecordingOffline(clock=model.clock, clinic_name=model.clinic_name)
            return model

        return hook


def settings_for(tmp_path: Path, **overrides: Any) -> IsolatedSettings:
    values: dict[str, Any] = {
        "database_url": sqlite_url(tmp_path / "playground.db"),
        "checkpoint_url": "memory",
        "slots_file": SLOTS_FILE,
        "schedule_file": SCHEDULE_FILE,
        "scheduler_now": DEFAULT_NOW,
        "llm_provider": "offline",
        "playground_token": TOKEN,
        "log_level": "WARNING",
        **overrides,
    }
    return IsolatedSettings(**values)


@asynccontextmanager
async def running_app(settings: IsolatedSettings, **app_kwargs: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = create_app(settings, **app_kwargs)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://clinic.test", timeout=30) as client:
            yield app, client


def parse_sse(text: str) -> list[dict[str, Any]]:
    """The data of every event in a stream body."""
    return [event["data"] for event in parse_text(text)]


async def turn(
    client: httpx.AsyncClient, path: str = "/api/playground/chat", headers: dict[str, str] | None = STAFF, **body: Any
) -> list[dict[str, Any]]:
    """One turn; asserts it streamed and ended with `done`."""
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 200, response.text
    events = parse_sse(response.text)
    assert events and events[-1]["type"] == "done", events
    return events


@pytest.fixture
def prompt_log() -> PromptLog:
    return PromptLog()
