"""Fixtures shared by every test: real servers reached over real HTTP.

`live_server(**settings)`   -> LiveServer: create_app(Settings(...)) under uvicorn in a thread,
                               with `.url`, `.settings`, `.app`, `.logs` (its log records),
                               `.client()` / `.async_client()` (httpx, base_url set).
`shared_live_server`        -> one LiveServer with the defaults for a whole test module, for
                               tests that change nothing (no bookings): saves a start per test.
`server` / `client`         -> a default LiveServer of the test's own, and an httpx client of it;
`shared_client`             -> a client of `shared_live_server`.
`serve_process(name, **settings)` -> ServeProcess: `scheduling-agent serve` as a subprocess,
                               with `.url`, `.stop()` (SIGTERM), `.start()`, `.kill()`,
                               `.log_text()` / `.log_entries()` / `.wait_for_log()` (its stderr).

All default to the shipped data files, a fresh temporary SQLite database per server (pass
`database_url=` to share one), and the clinic clock frozen at Monday 2026-11-23 09:00
(`scheduler_now=None` for the real clock). Nothing is read from the environment or `.env`.

`node_packages`             -> tests/node/node_modules (the AI SDK, axe-core), installed if needed.
`postgres_server`           -> the session's throwaway PostgreSQL (tests/support/postgres.py);
`postgres_url`              -> a fresh empty database on it, for one test;
`database_url`              -> parametrised over both dialects: an SQLite file of the test's own,
                               then a fresh PostgreSQL database (one contract suite, two backends).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import browser, context  # noqa: F401  # fixtures for the browser tests
from tests.support.node import node_packages  # noqa: F401  # Node packages (AI SDK, axe-core)
from tests.support.postgres import PostgresServer, postgres_server, postgres_url  # noqa: F401  # a real PostgreSQL
from tests.support.servers import (
    LiveServer,
    LiveServers,
    ServeProcess,
    serve_env,
    settings_defaults,
    sqlite_url,
)

LiveServerFactory = Callable[..., LiveServer]


@pytest.fixture(autouse=True)
def _root_logger_restored() -> Iterator[None]:
    """A test that runs a command in-process (cli.main) configures logging for it: its handler
    and level must not outlive the test, or later tests' servers write to the terminal."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


ServeProcessFactory = Callable[..., ServeProcess]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each dialect in turn: the store, checkpointer, lease and migration
    contract tests take this, so both backends pass the same tests."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scheduling.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServerFactory]:
    """Factory: `live_server(database_url=None, app_factory=None, **settings)` -> a running LiveServer.

    `settings` are Settings fields (e.g. `slots_file=`, `scheduler_now=`, `cors_origins=`);
    `app_factory(settings)` replaces `api.main.create_app`. Every server is stopped on teardown.
    """
    servers = LiveServers(tmp_path)
    yield servers.start
    servers.close()


@pytest.fixture(scope="module")
def shared_live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One default live server for the module's read-only tests (they must not book)."""
    servers = LiveServers(tmp_path_factory.mktemp("shared-live-server"))
    yield servers.start()
    servers.close()


@pytest.fixture
def serve_process(tmp_path: Path) -> Iterator[ServeProcessFactory]:
    """Factory: `serve_process(name=None, *, database_url=None, env=None, start=True, **settings)`.

    `settings` become environment variables (`slots_file=...` -> SLOTS_FILE; None removes one);
    `env` adds raw variables. The process is started and healthy on return unless start=False.
    Each process gets its own working directory (no `.env` there) and stderr log file.
    Every process still running at teardown is killed.
    """
    processes: list[ServeProcess] = []
    numbers = itertools.count(1)

    def start(
        name: str | None = None,
        *,
        database_url: str | None = None,
        env: dict[str, str] | None = None,
        start: bool = True,
        **settings: Any,
    ) -> ServeProcess:
        name = name or f"serve-{next(numbers)}"
        workdir = tmp_path / name
        workdir.mkdir()
        values = {**settings_defaults(), "outbox_dir": workdir / "outbox", **settings}
        variables = {k.upper(): _env_value(v) for k, v in values.items() if v is not None}
        variables["DATABASE_URL"] = database_url or sqlite_url(workdir / "bookings.db")
        variables.update(env or {})
        process = ServeProcess(serve_env(variables), workdir, name)
        processes.append(process)
        if start:
            process.start()
        return process

    yield start
    for process in processes:
        process.kill()


@pytest.fixture
def shared_client(shared_live_server: LiveServer) -> Iterator[Any]:
    """A client of the module's shared server: for tests that book nothing."""
    with shared_live_server.client() as client:
        yield client


@pytest.fixture
def server(live_server: LiveServerFactory) -> LiveServer:
    """A default live server of its own."""
    return live_server()


@pytest.fixture
def client(server: LiveServer) -> Iterator[Any]:
    """A client of `server`."""
    with server.client() as client:
        yield client


def _env_value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)
