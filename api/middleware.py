"""The app's own per-request work at the edge, in one pure-ASGI middleware (so streaming
responses are untouched):

- a request id (`X-Request-ID` if sane, else a fresh one) in `request_id_var` and echoed back,
  and one access line per request (successful reads at DEBUG, everything else at INFO);
- the security headers of api/hardening.py on every answer (413s and errors too);
- the body size limit of api/hardening.py: a body over `max_body_bytes` is refused with 413
  before it is read whole.

One middleware rather than three because each pure-ASGI layer costs a call and a wrapped `send`
per message on every request: on the availability route (the hottest) the three cost about
a fifth of a request's CPU as separate layers (bench/README.md, issue 12).
"""

from __future__ import annotations

import logging
import random
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.hardening import BodyTooLarge, security_headers, too_large_body
from core.logging import hide_session_ids, request_id_var
from core.settings import Settings

log = logging.getLogger("api.access")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class EdgeMiddleware:
    """Request id and access line, security headers (unless a route set its own), body limit."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.limit = settings.max_body_bytes
        self.headers = security_headers(settings)
        self.header_names = frozenset(name for name, _ in self.headers)

    def _answer_headers(self, message: Message, request_id: bytes) -> None:
        """The response's own headers, then the security headers it did not set, then the id."""
        own = message.get("headers") or []
        extra = self.headers
        if any(name.lower() in self.header_names for name, _ in own):
            present = {name.lower() for name, _ in own}
            extra = [(name, value) for name, value in extra if name not in present]
        message["headers"] = [*own, *extra, (b"x-request-id", request_id)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming, declared = "", None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
            elif name == b"content-length":
                declared = value
        request_id = incoming if _SAFE_ID.match(incoming) else f"{random.getrandbits(64):016x}"  # an id, not a secret
        id_bytes = request_id.encode()
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status, answered, received, limit = 500, False, 0, self.limit

        async def send_out(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
                self._answer_headers(message, id_bytes)
            await send(message)

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            if declared is not None and declared.isdigit() and int(declared) > limit:
                await too_large_body(send_out, limit)
            else:
                try:
                    await self.app(scope, counting_receive, send_out)
                except BodyTooLarge:
                    if answered:
                        raise
                    await too_large_body(send_out, limit)
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
