"""The scheduler's contract tests on both dialects: fixtures that give every server a test
starts, unless it names a database, one of the dialect of `database_url` (tests/conftest.py):
the first server that database, each further one a fresh database of its own, as on SQLite.

A test module (or a conftest) imports these names to run its tests once per dialect.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import sqlite_url


@pytest.fixture
def fresh_database(database_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """`database_url` on the first call, then a new empty database of its dialect each call."""
    numbers = itertools.count(1)

    def fresh() -> str:
        n = next(numbers)
        if n == 1:
            return database_url
        if database_url.startswith("sqlite:"):
            return sqlite_url(tmp_path / f"fresh-{n}.db")
        return str(request.getfixturevalue("postgres_server").create_database())

    return fresh


@pytest.fixture
def live_server(live_server: Callable[..., Any], fresh_database: Callable[[], str]) -> Callable[..., Any]:
    """The root `live_server`, with a database of this test's dialect by default."""

    def start(*, database_url: str | None = None, **settings: Any) -> Any:
        return live_server(database_url=database_url or fresh_database(), **settings)

    return start


@pytest.fixture
def serve_process(serve_process: Callable[..., Any], fresh_database: Callable[[], str]) -> Callable[..., Any]:
    """The root `serve_process`, with a database of this test's dialect by default."""

    def start(name: str | None = None, *, database_url: str | None = None, **settings: Any) -> Any:
        return serve_process(name, database_url=database_url or fresh_database(), **settings)

    return start
