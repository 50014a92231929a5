"""Compression: the page, the widget's files and JSON go out gzipped when the client asks; the
event streams never do (compression would hold events back until a buffer fills)."""

from __future__ import annotations

import gzip
from typing import Any

import httpx

from tests.support.sse import parse_text

GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}
PAGE = ("/", "/static/widget.js", "/static/widget.css")


def raw(client: httpx.Client, path: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent on the wire (httpx would otherwise decode it)."""
    with client.stream("GET", path, headers=headers) as response:
        return response, b"".join(response.iter_raw())


def test_the_page_and_the_widget_files_are_gzipped_when_asked(shared_client: httpx.Client) -> None:
    wire, plain = 0, 0
    for path in PAGE:
        zipped, zipped_body = raw(shared_client, path, GZIP)
        unzipped, body = raw(shared_client, path, PLAIN)
        assert zipped.status_code == unzipped.status_code == 200
        assert zipped.headers["content-encoding"] == "gzip", path
        assert "accept-encoding" in zipped.headers["vary"].lower()
        assert "content-encoding" not in unzipped.headers, "compressed only when asked"
        assert gzip.decompress(zipped_body) == body
        wire += len(zipped_body)
        plain += len(body)
    print(f"demo page + widget: {plain / 1024:.1f} KiB plain, {wire / 1024:.1f} KiB gzipped")
    assert wire < plain / 3, (plain, wire)


def test_json_is_gzipped_when_asked_and_tiny_answers_are_not(shared_client: httpx.Client) -> None:
    schema, _ = raw(shared_client, "/openapi.json", GZIP)
    assert schema.headers["content-type"] == "application/json"
    assert schema.headers["content-encoding"] == "gzip"
    health, _ = raw(shared_client, "/health", GZIP)
    assert "content-encoding" not in health.headers, "a few bytes are not worth a gzip header"


def test_a_cached_file_still_revalidates(shared_client: httpx.Client) -> None:
    first, _ = raw(shared_client, "/static/widget.js", GZIP)
    again = shared_client.get("/static/widget.js", headers={**GZIP, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_the_chat_stream_is_never_compressed(shared_live_server: Any) -> None:
    with (
        shared_live_server.client(headers=GZIP) as client,
        client.stream("POST", "/api/chat", json={"message": "Hello!"}) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in response.headers
        events = parse_text(b"".join(response.iter_raw()).decode())
    assert events[0]["event"] == "session" and events[-1]["event"] == "done"
