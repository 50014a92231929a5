"""Where a session's checkpoints are kept, given the settings; and, on either dialect, that a
conversation outlives the runtime that held it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from agent.checkpoints import checkpoint_path
from agent.models.stub import StubScript
from agent.sessions_db import migrate_sessions, sessions_url
from api.deps import runtime_of, services
from api.main import create_app
from core.settings import ExplicitSettings, Settings
from tests.support.stub_turns import BOOK, CHECK, OFFER

PG = "postgresql://u:p@db.example:5432/clinic"


def test_sessions_file_sits_next_to_the_bookings_file() -> None:
    settings = Settings(database_url="sqlite:///var/clinic.db", checkpoint_url=None)
    assert checkpoint_path(settings) == "var/clinic-sessions.db"


def test_in_memory_bookings_keep_sessions_in_memory_not_in_a_file_named_memory() -> None:
    settings = Settings(database_url="sqlite:///:memory:", checkpoint_url=None)
    assert checkpoint_path(settings) is None and sessions_url(settings) is None


def test_explicit_checkpoint_url_wins() -> None:
    settings = Settings(database_url="sqlite:///var/clinic.db", checkpoint_url="memory")
    assert checkpoint_path(settings) is None
    on_pg = sessions_url(Settings(database_url="sqlite:///var/clinic.db", checkpoint_url=PG))
    assert on_pg is not None and on_pg.dialect == "postgresql" and on_pg.url == PG
    in_file = sessions_url(Settings(database_url=PG, checkpoint_url="sqlite+aiosqlite:///var/chats.db"))
    assert in_file is not None and in_file.url == "sqlite:///var/chats.db"


def test_a_postgresql_bookings_database_keeps_the_sessions_too() -> None:
    found = sessions_url(Settings(database_url="postgres://u:p@db.example:5432/clinic", checkpoint_url=None))
    assert found is not None and found.dialect == "postgresql" and found.url == PG


@asynccontextmanager
async def runtime_app(tmp_path: Path, checkpoint_url: str, script: list[dict[str, Any]]) -> AsyncIterator[Any]:
    """An app (its own runtime, as a restarted server has) keeping conversations at `checkpoint_url`."""
    settings = ExplicitSettings(
        database_url=f"sqlite:///{tmp_path}/bookings.db",
        checkpoint_url=checkpoint_url,
        scheduler_now="2026-11-23T09:00:00",
        llm_provider="stub",
    )
    app = create_app(settings, stub_script=StubScript(script))
    async with app.router.lifespan_context(app):
        yield app


async def turn(app: Any, session_id: str | None, message: str | None = None, confirm: bool | None = None) -> list[dict]:
    started = await runtime_of(app).start_turn(session_id, message, confirm)
    return [event async for event in started.events()]


async def test_a_conversation_and_its_pending_confirmation_survive_a_restart(tmp_path: Path, database_url: str) -> None:
    async with runtime_app(tmp_path, database_url, [CHECK, OFFER, BOOK]) as app:
        session_id = (await turn(app, None, "A follow-up next Tuesday?"))[0]["session_id"]
        asked = await turn(app, session_id, "9:00, Jane Roe, jane@example.com, 555 0100")
        assert asked[-1]["pending"]["name"] == "book_slot"
    async with runtime_app(tmp_path, database_url, [{"text": "Booked: Tuesday at 9:00."}]) as app:
        history = await runtime_of(app).history(session_id)
        assert history.pending is not None and history.pending["name"] == "book_slot"
        done = (await turn(app, session_id, confirm=True))[-1]
        assert done["type"] == "done" and done["booking"]["start_time"] == "09:00", done
        assert [b.start_time for b in await services(app).scheduler.bookings()] == ["09:00"]
        await runtime_of(app).forget(session_id)
        assert not await runtime_of(app).exists(session_id)


async def test_migrating_ahead_of_a_start_applies_each_version_once(database_url: str) -> None:
    settings = ExplicitSettings(database_url="sqlite:///:memory:", checkpoint_url=database_url)
    assert await migrate_sessions(settings) == [1, 2]
    assert await migrate_sessions(settings) == []
