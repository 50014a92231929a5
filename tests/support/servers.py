"""Real servers for tests: the app under uvicorn in a thread, or `scheduling-agent serve` as a process.

Both are reached over real HTTP on loopback. Both are hermetic: the settings come only from
what the test passes (never from the developer's environment or `.env`), the database is a
fresh temporary file unless one is given, and the clinic clock is frozen on a known Monday.

`LiveServer` (in-thread) is the quick one, and gives the test the `app` object and the log
records the server wrote. `ServeProcess` runs the real command line, as a user would, and
keeps its stderr (the JSON log lines) in a file; it can be stopped with SIGTERM and restarted.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from api.serve import proxy_options
from core.logging import JsonFormatter
from core.settings import ExplicitSettings, Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
SLOTS_FILE = DATA_DIR / "slots.json"
SCHEDULE_FILE = DATA_DIR / "schedule.json"
DEFAULT_NOW = "2026-11-23T09:00:00"  # a Monday, clinic-local; the shipped data is written around it
STARTUP_TIMEOUT = 20.0

# Every environment variable the application reads: never inherited by a test's server.
SETTINGS_ENV = frozenset(name.upper() for name in Settings.model_fields)


IsolatedSettings = ExplicitSettings  # settings only from what the test passes


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def free_port() -> int:
    """A loopback port free right now (for a subprocess, which must bind it itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02, what: str = "condition"
) -> Any:
    """Poll `predicate` until it returns something truthy; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)


def _health_ok(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


# --------------------------------------------------------------------------- log capture

_SERVER_TAG: contextvars.ContextVar[str | None] = contextvars.ContextVar("test_server_tag", default=None)
_tags = itertools.count(1)


class LogCapture(logging.Handler):
    """Records written by one in-thread server: its event loop and anything it runs in a thread pool.

    The server thread sets a context variable before starting its loop; every task and
    `run_in_threadpool` call inherits it, so two live servers in one test don't mix logs.
    """

    def __init__(self, tag: str) -> None:
        super().__init__(level=logging.NOTSET)
        self.tag = tag
        self.records: list[logging.LogRecord] = []
        self._formatter = JsonFormatter()
        self._lock_records = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if _SERVER_TAG.get() != self.tag:
            return
        # Format now, in the emitting context, so the request id is the one in force.
        record.json_line = self._formatter.format(record)
        with self._lock_records:
            self.records.append(record)

    def snapshot(self) -> list[logging.LogRecord]:
        with self._lock_records:
            return list(self.records)

    def messages(self) -> list[str]:
        return [r.getMessage() for r in self.snapshot()]

    def lines(self) -> list[str]:
        """The records as the server's JSON-lines log would print them (masked)."""
        return [r.json_line for r in self.snapshot()]  # type: ignore[attr-defined]  # set by emit() on each record

    def text(self) -> str:
        return "\n".join(self.lines())

    def find(self, message: str, **fields: Any) -> list[logging.LogRecord]:
        """Records whose message contains `message` and whose extras equal `fields`."""
        return [
            r
            for r in self.snapshot()
            if message in r.getMessage() and all(getattr(r, k, object()) == v for k, v in fields.items())
        ]

    def wait_for(self, message: str, timeout: float = 5.0, **fields: Any) -> logging.LogRecord:
        return wait_until(lambda: self.find(message, **fields), timeout, what=f"log line {message!r} {fields}")[0]


# --------------------------------------------------------------------------- in-thread server


@dataclass
class LiveServer:
    """The app under uvicorn in a background thread, on a pre-bound loopback socket."""

    url: str
    settings: Settings
    app: Any  # the FastAPI app (state, dependency overrides...)
    logs: LogCapture
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _sock: socket.socket = field(repr=False)

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1]

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=kwargs.pop("timeout", 10.0), **kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=kwargs.pop("timeout", 10.0), **kwargs)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful shutdown (the app's lifespan shutdown runs); idempotent."""
        if self._thread.is_alive():
            self._server.should_exit = True
            self._thread.join(timeout)
            if self._thread.is_alive():  # connections that would not close
                self._server.force_exit = True
                self._thread.join(timeout)
        self._sock.close()
        logging.getLogger().removeHandler(self.logs)


def start_live_server(settings: Settings, app_factory: Callable[[Settings], Any] | None = None) -> LiveServer:
    """Build the app for `settings`, serve it in a thread, and return once /health answers."""
    if app_factory is None:
        from api.main import create_app  # late: tests may patch modules first

        app_factory = create_app

    app = app_factory(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=5, **proxy_options(settings)
    )
    server = uvicorn.Server(config)
    tag = f"live-server-{next(_tags)}"
    logs = LogCapture(tag)
    logging.getLogger().addHandler(logs)
    errors: list[BaseException] = []

    def run() -> None:
        _SERVER_TAG.set(tag)
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # surfaced by the waiting test
            errors.append(exc)

    thread = threading.Thread(target=run, name=tag, daemon=True)
    thread.start()
    live = LiveServer(url, settings, app, logs, server, thread, sock)
    try:
        wait_until(
            lambda: errors or not thread.is_alive() or (server.started and _health_ok(url)),
            STARTUP_TIMEOUT,
            what=f"{url}/health",
        )
        if errors or not thread.is_alive():
            raise RuntimeError(f"the live server did not start: {errors or 'thread exited'}\n{logs.text()}")
    except BaseException:
        live.stop()
        raise
    return live


class LiveServers:
    """Starts live servers with test defaults, and stops them all on `close()` (the fixtures' engine).

    Defaults: the shipped data files, a fresh SQLite file in `tmp_dir` per server, the clock
    frozen at DEFAULT_NOW, LOG_LEVEL=INFO. While servers run, the root logger lets their
    level through (the in-thread app logs through this process's logging); `close()` restores it.
    """

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self.servers: list[LiveServer] = []
        self._numbers = itertools.count(1)
        self._root = logging.getLogger()
        self._saved_level = self._root.level

    def start(
        self,
        *,
        database_url: str | None = None,
        app_factory: Callable[[Settings], Any] | None = None,
        **overrides: Any,
    ) -> LiveServer:
        n = next(self._numbers)
        values = {**settings_defaults(), "outbox_dir": self.tmp_dir / f"outbox-{n}", **overrides}
        settings = IsolatedSettings(database_url=database_url or sqlite_url(self.tmp_dir / f"live-{n}.db"), **values)
        wanted = logging.getLevelName(settings.log_level.upper())
        if isinstance(wanted, int):
            self._root.setLevel(min(self._root.getEffectiveLevel(), wanted))
        server = start_live_server(settings, app_factory)
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()
        self._root.setLevel(self._saved_level)


# The suite makes many requests from 127.0.0.1, and books many slots with one e-mail, under a
# frozen clock: the limits for one client are off unless a test switches one on
# (tests/api/test_limits.py).
LIMITS_OFF: dict[str, Any] = {name: 0 for name in Settings.model_fields if name.startswith("limit_")}


def settings_defaults() -> dict[str, Any]:
    """What a test server runs with unless the test says otherwise."""
    return {
        "slots_file": SLOTS_FILE,
        "schedule_file": SCHEDULE_FILE,
        "scheduler_now": DEFAULT_NOW,
        "log_level": "INFO",
        **LIMITS_OFF,
    }


# --------------------------------------------------------------------------- subprocess server


def serve_command() -> list[str]:
    """`scheduling-agent` from the venv running the tests (or `python -m api.cli` without it)."""
    script = Path(sys.executable).with_name("scheduling-agent")
    if script.exists():
        return [str(script)]
    found = shutil.which("scheduling-agent")
    return [found] if found else [sys.executable, "-m", "api.cli"]


class ServeProcess:
    """`scheduling-agent serve --host 127.0.0.1 --port N` with its own environment.

    stderr (the JSON log lines) is appended to `log_path` across restarts; stdout is discarded.
    """

    def __init__(self, env: dict[str, str], workdir: Path, name: str = "serve") -> None:
        self.env = env
        self.workdir = workdir
        self.log_path = workdir / f"{name}.stderr.log"
        self.port: int | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = STARTUP_TIMEOUT) -> ServeProcess:
        """Start (or restart) and wait for /health; keeps the port across restarts when it can."""
        if self.running:
            raise RuntimeError("already running")
        last_error = ""
        for attempt in range(3):
            if self.port is None or attempt > 0:
                self.port = free_port()
            offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            with open(self.log_path, "ab") as stderr:
                self.proc = subprocess.Popen(
                    [*serve_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                    env=self.env,
                    cwd=self.workdir,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    start_new_session=True,  # its own process group: `kill` reaches worker processes too
                )
            self.starts += 1
            proc, url = self.proc, self.url

            def exited_or_up(proc: subprocess.Popen[bytes] = proc, url: str = url) -> bool:
                return proc.poll() is not None or _health_ok(url)

            wait_until(exited_or_up, timeout, interval=0.05, what=f"{url}/health")
            if proc.poll() is None:
                return self
            last_error = self.log_text()[offset:]
            if "address already in use" not in last_error.lower():
                break
        raise RuntimeError(f"scheduling-agent serve exited with {proc.returncode}:\n{last_error}")

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM (graceful: lifespan shutdown runs), SIGKILL after `timeout`; the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        return self.proc.returncode

    def restart(self) -> ServeProcess:
        self.stop()
        return self.start()

    def kill(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def children(self) -> list[int]:
        """Pids of the processes it started (uvicorn's workers), from /proc."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.pid:
                    found.append(int(stat.parent.name))
        return found

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=kwargs.pop("timeout", 10.0), **kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=kwargs.pop("timeout", 10.0), **kwargs)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def log_entries(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far (other lines are skipped)."""
        entries = []
        for line in self.log_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries

    def wait_for_log(self, message: str, timeout: float = 5.0, **fields: Any) -> dict[str, Any]:
        def found() -> list[dict[str, Any]]:
            return [
                e
                for e in self.log_entries()
                if message in str(e.get("msg", "")) and all(e.get(k) == v for k, v in fields.items())
            ]

        return wait_until(found, timeout, what=f"log line {message!r} {fields} in {self.log_path}")[0]


def serve_env(overrides: dict[str, str], base: Iterable[tuple[str, str]] | None = None) -> dict[str, str]:
    """The process environment less every application setting, plus `overrides`."""
    env = {k: v for k, v in (base if base is not None else os.environ.items()) if k.upper() not in SETTINGS_ENV}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env
