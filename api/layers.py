"""Starlette's GZip and CORS middlewares, with a lean path for the commonest request.

Most API requests neither accept gzip nor carry an `Origin` (the agent's tools, scripts, load
balancers' checks). For them both Starlette middlewares only add a `Vary` header, yet build
their header objects for it on every request (the gzip one re-normalises its list of excluded
content types too): together about a quarter of the availability route's CPU (bench/README.md,
issue 12). Such requests take a path here that adds the same `Vary`; every other request goes
through Starlette's own code unchanged.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Message, Receive, Scope, Send

Headers = list[tuple[bytes, bytes]]


def request_header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a request header (`name` lower-case, as ASGI servers give them)."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def add_vary(headers: Headers, token: bytes) -> None:
    """Append `token` to the answer's `Vary`, as one header where the first one was (as
    Starlette's `MutableHeaders` does), or as a new header at the end."""
    found = [i for i, (key, _) in enumerate(headers) if key == b"vary"]
    if not found:
        headers.append((b"vary", token))
        return
    value = b", ".join([*(headers[i][1] for i in found), token])
    for i in reversed(found[1:]):
        del headers[i]
    headers[found[0]] = (b"vary", value)


class Compression(GZipMiddleware):
    """`GZipMiddleware`; a request that does not accept gzip gets Starlette's identity answer
    (the body as sent, `Vary: Accept-Encoding` when a compressing answer would have varied)
    from `_identity_send`."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"gzip" not in (request_header(scope, b"accept-encoding") or b""):
            await self.app(scope, receive, self._identity_send(send))
            return
        await super().__call__(scope, receive, send)

    def _excluded(self, headers: Headers) -> bool:
        """Whether Starlette passes the answer through untouched: already encoded, or a
        content type it never compresses."""
        content_type = b""
        for key, value in headers:
            if key == b"content-encoding":
                return True
            if key == b"content-type" and not content_type:
                content_type = value
        media = content_type.decode("latin-1").partition(";")[0].strip().lower()
        media_types = {media, media.partition("/")[0] + "/*"}
        if media.startswith("application/grpc+"):
            media_types.add("application/grpc")
        return not media_types.isdisjoint(self.exclude_content_types)

    def _identity_send(self, send: Send) -> Send:
        """Starlette's `IdentityResponder.send_with_compression`, minus the header objects."""
        start: Message | None = None
        untouched = started = False

        async def send_identity(message: Message) -> None:
            nonlocal start, untouched, started
            kind = message["type"]
            if kind == "http.response.start":
                start = message
                headers = message.setdefault("headers", [])
                untouched = message["status"] == 206 or self._excluded(headers)
                if untouched:
                    await send(message)
            elif untouched or kind in ("http.response.early_hint", "http.response.trailers"):
                await send(message)
            elif kind == "http.response.body" and not started:
                started = True
                assert start is not None, "a body before the response start"
                if len(message.get("body", b"")) >= self.minimum_size or message.get("more_body", False):
                    start["headers"] = list(start["headers"])
                    add_vary(start["headers"], b"Accept-Encoding")
                await send(start)
                await send(message)
            elif kind == "http.response.body":
                await send(message)
            elif kind == "http.response.pathsend":
                assert start is not None, "a file before the response start"
                await send(start)
                await send(message)

        return send_identity


class Cors(CORSMiddleware):
    """`CORSMiddleware`; a request without `Origin` (not from a browser's other origin, so no
    CORS at all) gets only Starlette's `Vary: Origin` on its answer."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or request_header(scope, b"origin") is not None:
            await super().__call__(scope, receive, send)
            return

        async def send_varying(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = headers = list(message.get("headers") or [])
                add_vary(headers, b"Origin")
            await send(message)

        await self.app(scope, receive, send_varying)
