"""Where a session's checkpoints are kept, given the bookings database."""

from __future__ import annotations

from agent.checkpoints import checkpoint_path
from core.settings import Settings


def test_sessions_file_sits_next_to_the_bookings_file() -> None:
    settings = Settings(database_url="sqlite:///var/clinic.db", checkpoint_url=None)
    assert checkpoint_path(settings) == "var/clinic-sessions.db"


def test_in_memory_bookings_keep_sessions_in_memory_not_in_a_file_named_memory() -> None:
    settings = Settings(database_url="sqlite:///:memory:", checkpoint_url=None)
    assert checkpoint_path(settings) is None


def test_explicit_checkpoint_url_wins() -> None:
    settings = Settings(database_url="sqlite:///var/clinic.db", checkpoint_url="memory")
    assert checkpoint_path(settings) is None
