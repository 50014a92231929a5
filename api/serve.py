"""`scheduling-agent serve`: the app under uvicorn, as a person starting it expects.

- once the server answers, one line says where to open the widget, the API docs and (when on)
  the staff playground (with several workers: once one of them answers /health);
- Ctrl-C or SIGTERM shuts down gracefully and then exits 0. uvicorn re-raises the signal after a
  graceful shutdown, so the process died of it, and `make run` reported
  "make: *** [Makefile:26: run] Terminated"; a stop that went as planned is not a failure.
  (This clears uvicorn's `Server._captured_signals`, a private list: tests/api/test_cli.py
  notices if a uvicorn upgrade changes it.)
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from typing import Any

import httpx
import uvicorn
from uvicorn.supervisors import Multiprocess

from api.evaluation import ScriptEvaluator
from core.settings import Settings

log = logging.getLogger("api")
STARTUP_FAILURE = 3  # uvicorn's exit code when the app could not start
ANNOUNCE_SECONDS = 120.0  # workers that take longer to answer get no start-up line


def _browser_host(host: str) -> str:
    """Where a browser on this machine reaches `host` (a wildcard address is not one to open)."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _base_url(host: str, port: int) -> str:
    return f"http://{_browser_host(host)}:{port}"


def where_to_open(settings: Settings, host: str, port: int) -> str:
    """The start-up line: the addresses a person wants after starting the server."""
    base = _base_url(host, port)
    parts = [f"widget and demo page {base}/", f"API docs {base}/docs"]
    if settings.playground_token:
        parts.append(f"staff playground {base}/playground")
    return "Ready: " + " · ".join(parts)


class AppServer(uvicorn.Server):
    """uvicorn's server, saying where to open the app once it listens and exiting cleanly on a signal."""

    def __init__(self, config: uvicorn.Config, ready_line: str | None) -> None:
        super().__init__(config)
        self.ready_line = ready_line

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.ready_line:
            log.info(self.ready_line)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        # Shut down as asked: nothing left to re-raise (see the module docstring).
        self._captured_signals.clear()


class Workers(Multiprocess):
    """uvicorn's worker supervisor, saying where to open the app once a worker answers."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket], ready_line: str, health_url: str) -> None:
        super().__init__(config, sockets)
        self.ready_line, self.health_url = ready_line, health_url

    def init_processes(self) -> None:
        # Workers start by importing the app (seconds): a Ctrl-C then would print a
        # KeyboardInterrupt traceback from each. They are started with SIGINT blocked (a mask a
        # new process inherits), so Ctrl-C reaches the supervisor only, which stops them with
        # SIGTERM: a graceful shutdown once they serve, a plain exit while they still import.
        # Blocked, not ignored, here: a Ctrl-C meanwhile waits and is handled right after.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            super().init_processes()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        # Poll /health from a thread of its own, so the supervisor keeps handling signals meanwhile.
        threading.Thread(target=self._announce, name="ready-line", daemon=True).start()

    def _announce(self) -> None:
        deadline = time.monotonic() + ANNOUNCE_SECONDS
        while not self.should_exit.is_set() and time.monotonic() < deadline:
            try:
                if httpx.get(self.health_url, timeout=1.0).status_code == 200:
                    log.info(self.ready_line)
                    return
            except httpx.HTTPError:
                pass
            self.should_exit.wait(0.2)


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's X-Forwarded-For handling, off unless TRUST_FORWARDED_FOR: the client address
    the limits count by is then the proxy's own for every patient (README "Limits")."""
    return {"proxy_headers": settings.trust_forwarded_for, "forwarded_allow_ips": settings.forwarded_allow_ips}


def serve(settings: Settings, *, host: str, port: int, workers: int, evaluator: ScriptEvaluator | None = None) -> int:
    """Run until stopped; the exit code (0 after a graceful stop, 3 if the app could not start).
    `evaluator` replays the playground's scripts (one worker only, as the playground needs)."""
    options: dict[str, Any] = {"host": host, "port": port, "log_config": None, "access_log": False}
    options.update(proxy_options(settings))
    ready_line = where_to_open(settings, host, port)
    if workers == 1:
        from api.main import create_app

        server = AppServer(uvicorn.Config(create_app(settings, evaluator=evaluator), **options), ready_line)
        server.run()
        return 0 if server.started else STARTUP_FAILURE
    config = uvicorn.Config("api.main:app_from_environment", factory=True, workers=workers, **options)
    Workers(config, [config.bind_socket()], ready_line, f"{_base_url(host, port)}/health").run()
    return 0
