"""`scheduling-agent serve`: the app under uvicorn, as a person starting it expects.

- once the server listens, one line says where to open the widget, the API docs and (when on)
  the staff playground;
- Ctrl-C or SIGTERM shuts down gracefully and then exits 0. uvicorn re-raises the signal after a
  graceful shutdown, so the process died of it, and `make run` reported
  "make: *** [Makefile:26: run] Terminated"; a stop that went as planned is not a failure.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from api.evaluation import ScriptEvaluator
from core.settings import Settings

log = logging.getLogger("api")
STARTUP_FAILURE = 3  # uvicorn's exit code when the app could not start


def _browser_host(host: str) -> str:
    """Where a browser on this machine reaches `host` (a wildcard address is not one to open)."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def where_to_open(settings: Settings, host: str, port: int) -> str:
    """The start-up line: the addresses a person wants after starting the server."""
    base = f"http://{_browser_host(host)}:{port}"
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
    """uvicorn's worker supervisor, saying where to open the app once the workers are started
    (the socket is bound and listening before them, so connections already queue)."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket], ready_line: str) -> None:
        super().__init__(config, sockets)
        self.ready_line = ready_line

    def init_processes(self) -> None:
        super().init_processes()
        log.info(self.ready_line)


def serve(settings: Settings, *, host: str, port: int, workers: int, evaluator: ScriptEvaluator | None = None) -> int:
    """Run until stopped; the exit code (0 after a graceful stop, 3 if the app could not start).
    `evaluator` replays the playground's scripts (one worker only, as the playground needs)."""
    options: dict[str, Any] = {"host": host, "port": port, "log_config": None, "access_log": False}
    ready_line = where_to_open(settings, host, port)
    if workers == 1:
        from api.main import create_app

        server = AppServer(uvicorn.Config(create_app(settings, evaluator=evaluator), **options), ready_line)
        server.run()
        return 0 if server.started else STARTUP_FAILURE
    config = uvicorn.Config("api.main:app_from_environment", factory=True, workers=workers, **options)
    Workers(config, [config.bind_socket()], ready_line).run()
    return 0
