"""api/layers.py answers exactly as Starlette's GZip and CORS middlewares do: the lean paths (no
gzip asked, no Origin) and the delegated ones, over answers of every kind the gzip middleware
treats apart (small, large, streamed, already encoded, excluded type, partial, a Vary of its own);
and api/middleware.py leaves a route's own security header alone; the service's routes, on the
app's own router, honour the app's dependency overrides."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from api.layers import Compression, Cors, add_vary
from api.main import create_app
from api.middleware import EdgeMiddleware
from core.ratelimit import RateLimited
from core.settings import Settings
from tests.conftest import LiveServerFactory
from tests.support.servers import LiveServer

BIG = {"text": "slot " * 400}


async def small(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def big(request: Request) -> Response:
    return JSONResponse(BIG)


async def varying(request: Request) -> Response:
    return JSONResponse(BIG, headers={"Vary": "Cookie"})


async def streamed(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"x" * 300

    return StreamingResponse(chunks(), media_type="text/plain")


async def events(request: Request) -> Response:
    return Response(b"data: 1\n\n" * 100, media_type="text/event-stream")


async def encoded(request: Request) -> Response:
    return Response(b"z" * 800, media_type="text/plain", headers={"Content-Encoding": "br"})


async def partial(request: Request) -> Response:
    return Response(b"p" * 800, status_code=206, media_type="text/plain")


async def image(request: Request) -> Response:
    return Response(b"\x89PNG" * 300, media_type="image/png")


PATHS = ("/small", "/big", "/varying", "/streamed", "/events", "/encoded", "/partial", "/image")
ROUTES = [
    Route(p, e) for p, e in zip(PATHS, (small, big, varying, streamed, events, encoded, partial, image), strict=True)
]
LOCAL = r"^http://localhost(:\d+)?$"


def app(gzip: type[GZipMiddleware], cors: type[CORSMiddleware]) -> Starlette:
    """As api/main.py stacks them: CORS outside, gzip inside."""
    return Starlette(
        routes=ROUTES,
        middleware=[
            Middleware(cors, allow_origin_regex=LOCAL, allow_methods=["GET"]),
            Middleware(gzip, minimum_size=500),
        ],
    )


REQUESTS = [
    {},
    {"Accept-Encoding": "gzip"},
    {"Accept-Encoding": "identity"},
    {"Origin": "http://localhost:5173"},
    {"Origin": "http://evil.example", "Accept-Encoding": "gzip, br"},
]


async def send(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> httpx.Response:
    """GET with exactly `headers` (httpx would add an Accept-Encoding of its own)."""
    request = client.build_request("GET", path, headers=headers)
    if "Accept-Encoding" not in headers:
        del request.headers["Accept-Encoding"]
    return await client.send(request)


@pytest.mark.parametrize("headers", REQUESTS, ids=lambda h: ",".join(h) or "plain")
async def test_the_same_answers_as_starlettes_middlewares(headers: dict[str, str]) -> None:
    theirs = httpx.AsyncClient(transport=httpx.ASGITransport(app(GZipMiddleware, CORSMiddleware)), base_url="http://t")
    ours = httpx.AsyncClient(transport=httpx.ASGITransport(app(Compression, Cors)), base_url="http://t")
    async with theirs, ours:
        for path in PATHS:
            expected, got = await send(theirs, path, headers), await send(ours, path, headers)
            assert got.status_code == expected.status_code, path
            assert got.headers.multi_items() == expected.headers.multi_items(), path
            assert got.content == expected.content, path


def test_vary_is_merged_into_one_header_where_the_first_was() -> None:
    headers = [(b"vary", b"Cookie"), (b"content-type", b"text/plain"), (b"vary", b"Accept-Encoding")]
    add_vary(headers, b"Origin")
    assert headers == [(b"vary", b"Cookie, Accept-Encoding, Origin"), (b"content-type", b"text/plain")]
    fresh: list[tuple[bytes, bytes]] = [(b"content-type", b"text/plain")]
    add_vary(fresh, b"Origin")
    assert fresh == [(b"content-type", b"text/plain"), (b"vary", b"Origin")]


async def own_policy(request: Request) -> Response:
    return Response(b"page", headers={"Content-Security-Policy": "default-src 'none'"})


async def test_the_edge_keeps_a_routes_own_security_header_and_adds_the_rest() -> None:
    edge = Starlette(
        routes=[Route("/own", own_policy), Route("/small", small)],
        middleware=[Middleware(EdgeMiddleware, settings=Settings())],
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(edge), base_url="http://t") as client:
        own, plain = await client.get("/own"), await client.get("/small", headers={"X-Request-ID": "abc-1"})
    assert own.headers.get_list("content-security-policy") == ["default-src 'none'"]
    assert own.headers["x-content-type-options"] == "nosniff"
    assert plain.headers["content-security-policy"].startswith("default-src 'self'")
    assert plain.headers.multi_items()[-1] == ("x-request-id", "abc-1"), "the id comes last"


def test_the_apps_dependency_overrides_reach_the_services_routes(live_server: LiveServerFactory) -> None:
    """The service's routes sit on the app's own router (api/main.py `include_flat`), and still
    honour `app.dependency_overrides`, as included routes do."""

    def refusing(settings: Settings) -> FastAPI:
        app = create_app(settings)

        async def over_the_limit() -> None:
            raise RateLimited("Too many requests from this test.", retry_after=7)

        app.dependency_overrides[app.state.services.scheduler.admit_booking] = over_the_limit
        return app

    server: LiveServer = live_server(app_factory=refusing)
    with server.client() as client:
        held = client.post("/api/calendly/holds", json={})
        assert held.status_code == 429 and held.headers["retry-after"] == "7"
        assert client.get("/health").status_code == 200
