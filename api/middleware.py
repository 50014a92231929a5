"""A request id per request (pure ASGI, so streaming responses are untouched)."""

from __future__ import annotations

import logging
import random
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.logging import hide_session_ids, request_id_var

log = logging.getLogger("api.access")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Sets `request_id_var` (from `X-Request-ID` if sane), echoes it, logs one line per request
    (successful reads at DEBUG, everything else at INFO)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else f"{random.getrandbits(64):016x}"  # an id, not a secret
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # Reads that succeed are the bulk of the traffic and tell little: DEBUG. Changes,
            # refusals and failures: INFO.
            level = logging.DEBUG if scope["method"] in _READS and status < 400 else logging.INFO
            if log.isEnabledFor(level):
                log.log(
                    level,
                    "%s %s %s",
                    scope["method"],
                    hide_session_ids(scope["path"]),  # a session id is the key to its transcript
                    status,
                    extra={"status": status, "ms": round((time.perf_counter() - started) * 1000, 2)},
                )
            request_id_var.reset(token)
