"""Two pure-ASGI guards for a public endpoint (so streaming responses stay untouched):

- `BodySizeLimitMiddleware`: a body over `max_body_bytes` is refused with 413 before it is read
  whole: at once when `Content-Length` says so, else as soon as the streamed chunks pass the limit
  (eight 50 MB bodies used to take the process from 125 MB to 612 MB before the 400);
- `SecurityHeadersMiddleware`: a Content-Security-Policy on every answer (the pages' own inline
  scripts allowed by hash, `frame-ancestors` from the `frame_ancestors` setting), plus
  `X-Content-Type-Options: nosniff` and `Referrer-Policy`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.playground.router import page_html as playground_page
from api.widget import STATIC_DIR
from core.settings import Settings

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def too_large_message(limit: int) -> str:
    return f"Request body too large: at most {limit} bytes are accepted"


class BodyTooLarge(HTTPException):
    """Raised from `receive` once streamed chunks pass the limit (FastAPI passes HTTPExceptions on)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=too_large_message(limit))


class BodySizeLimitMiddleware:
    """Refuses request bodies over `limit` bytes with 413 and `{"detail": ...}`, never reading them whole."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": too_large_message(self.limit)}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": [*headers, (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def script_hashes(pages: Iterable[str]) -> list[str]:
    """CSP sources for the inline `<script>` blocks of our own pages (no 'unsafe-inline' for scripts)."""
    found = (m.group(1) for page in pages for m in _INLINE_SCRIPT.finditer(page))
    return [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in found]


def content_security_policy(settings: Settings) -> str:
    """The policy: everything from this origin only, inline styles allowed (the widget sets styles),
    framing only by `frame_ancestors` (clinic sites that embed the pages)."""
    pages = [(STATIC_DIR / "index.html").read_text(encoding="utf-8"), playground_page()]
    scripts = " ".join(["'self'", *script_hashes(pages)])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {settings.frame_ancestors}",
        ]
    )


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP answer (pages, API, static files, errors), unless
    a route set its own."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy(settings).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.headers if name not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
