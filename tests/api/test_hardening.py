"""Request hardening over real HTTP: oversized bodies refused with 413 before being read whole
(declared or streamed), and the security headers on pages, API, static files and errors."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx

from tests.conftest import LiveServerFactory
from tests.support.servers import LiveServer

LIMIT = 4096
TOO_LARGE = f"Request body too large: at most {LIMIT} bytes are accepted"


def chunks(total: int, size: int = 1024) -> Iterator[bytes]:
    """A body streamed without Content-Length (chunked), `total` bytes in all."""
    yield b'{"message": "'
    for _ in range(total // size):
        yield b"a" * size
    yield b'"}'


def test_a_declared_oversized_body_is_refused_with_413(live_server: LiveServerFactory) -> None:
    server: LiveServer = live_server(max_body_bytes=LIMIT)
    with server.client() as client:
        for path in ("/api/chat", "/api/calendly/book"):
            response = client.post(path, content=b"x" * (LIMIT + 1), headers={"Content-Type": "application/json"})
            assert response.status_code == 413, path
            assert response.json() == {"detail": TOO_LARGE}
        ok = client.post("/api/chat", json={"message": "a" * 100})
        assert ok.status_code == 200, "under the limit: served as before"
        assert client.get("/health").json()["status"] == "ok"


def test_a_streamed_oversized_body_is_refused_once_it_passes_the_limit(live_server: LiveServerFactory) -> None:
    server: LiveServer = live_server(max_body_bytes=LIMIT)
    with server.client() as client:
        response = client.post("/api/chat", content=chunks(LIMIT * 4), headers={"Content-Type": "application/json"})
        assert "content-length" not in response.request.headers, "really streamed"
        assert response.status_code == 413
        assert response.json() == {"detail": TOO_LARGE}
    with server.client() as client:  # the server still serves
        small = client.post("/api/chat", content=chunks(512, size=256), headers={"Content-Type": "application/json"})
        assert small.status_code == 200


def test_the_default_limit_is_64_kb(shared_client: httpx.Client) -> None:
    big = shared_client.post(
        "/api/calendly/book", content=b"x" * (65536 + 1), headers={"Content-Type": "application/json"}
    )
    assert big.status_code == 413
    assert big.json() == {"detail": "Request body too large: at most 65536 bytes are accepted"}
    fits = shared_client.post("/api/calendly/book", content=b"{}", headers={"Content-Type": "application/json"})
    assert fits.status_code == 400, "a small body reaches validation as before"


def csp_of(response: httpx.Response) -> dict[str, str]:
    parts = (p.strip().split(" ", 1) for p in response.headers["content-security-policy"].split(";"))
    return {name: value for name, value in parts}


def test_security_headers_on_pages_api_static_and_errors(shared_client: httpx.Client) -> None:
    for path in ("/", "/static/widget.js", "/health", "/api/calendly/slots?date=2026-12-01", "/no-such-page"):
        response = shared_client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin", path
        csp = csp_of(response)
        assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'", path
        assert csp["frame-ancestors"] == "'self'", path
        assert "'unsafe-inline'" not in csp["script-src"], path


def test_the_demo_page_inline_script_is_allowed_by_its_hash(shared_client: httpx.Client) -> None:
    import base64
    import hashlib

    page = shared_client.get("/")
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    assert inline, "the demo page has an inline script"
    allowed = csp_of(page)["script-src"].split()
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed


def test_frame_ancestors_come_from_the_setting(live_server: LiveServerFactory) -> None:
    server: LiveServer = live_server(frame_ancestors="'self' https://clinic.example")
    with server.client() as client:
        assert csp_of(client.get("/"))["frame-ancestors"] == "'self' https://clinic.example"
