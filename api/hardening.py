"""Two guards for a public endpoint, applied to every request by api/middleware.py:

- the body size limit: a body over `max_body_bytes` is refused with 413 before it is read
  whole: at once when `Content-Length` says so, else as soon as the streamed chunks pass the limit
  (eight 50 MB bodies used to take the process from 125 MB to 612 MB before the 400);
- the security headers: a Content-Security-Policy on every answer (the pages' own inline
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
from starlette.types import Send

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


async def too_large_body(send: Send, limit: int) -> None:
    """The 413 for a body over `limit` bytes, `{"detail": ...}`; the connection is closed after it
    (the rest of the body is never read)."""
    body = json.dumps({"detail": too_large_message(limit)}).encode()
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


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    """The headers every answer gets (api/middleware.py adds them), unless a route set its own."""
    return [
        (b"content-security-policy", content_security_policy(settings).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
    ]
