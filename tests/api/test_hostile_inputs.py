"""A hostile-input list for the chat and booking endpoints, over real HTTP: sizes, encodings,
control characters, nesting and odd ids, each with the exact status and message it gets.

Every request here is refused, so one shared server serves them all and nothing is booked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.support.calendly import API, PATIENT, booking_body, stored_bookings
from tests.support.servers import LiveServer

JSON = {"Content-Type": "application/json"}
LIMIT = 65536
TOO_LARGE = f"Request body too large: at most {LIMIT} bytes are accepted"
SESSION_PATTERN = "session_id: string should match pattern '^[A-Za-z0-9_-]{1,100}$'"
BOOKING_PATTERN = "booking_id: string should match pattern '^[A-Za-z0-9-]{1,64}$'"
BOOK = f"{API}/book"
CHAT = "/api/chat"
UI = "/api/chat/ui"
UI_ID = "a" * 20


def encoded(body: Any) -> bytes:
    return json.dumps(body).encode()


def ui_body(text: str) -> bytes:
    return encoded({"id": UI_ID, "messages": [{"id": "m1", "role": "user", "parts": [{"type": "text", "text": text}]}]})


def nested(depth: int) -> bytes:
    return b'{"message": ' + b"[" * depth + b"]" * depth + b"}"


@dataclass(frozen=True)
class Hostile:
    """One request and the one answer it must get."""

    name: str
    method: str
    path: str
    status: int
    detail: str | None  # None: the body is not checked (no body)
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))


CASES = [
    # --- sizes
    Hostile("message over 2,000 characters", "POST", CHAT, 400,
            "message: must be at most 2000 characters (got 2001)", encoded({"message": "a" * 2001})),
    Hostile("chat body over the limit", "POST", CHAT, 413, TOO_LARGE, encoded({"message": "a" * LIMIT})),
    Hostile("booking body over the limit", "POST", BOOK, 413, TOO_LARGE, b" " * (LIMIT + 1)),
    Hostile("name over 120 characters", "POST", BOOK, 400, "patient.name: string should have at most 120 characters",
            encoded(booking_body("2026-11-24", "09:00", patient={**PATIENT, "name": "N" * 121}))),
    Hostile("reason over 500 characters", "POST", BOOK, 400, "reason: string should have at most 500 characters",
            encoded(booking_body("2026-11-24", "09:00", reason="r" * 501))),
    Hostile("empty name", "POST", BOOK, 400, "patient.name: string should have at least 1 character",
            encoded(booking_body("2026-11-24", "09:00", patient={**PATIENT, "name": ""}))),
    Hostile("empty body", "POST", CHAT, 400, "body: is required", b""),
    Hostile("integer of 5,000 digits", "POST", CHAT, 400, "body: could not be parsed",
            b'{"message": ' + b"9" * 5000 + b"}"),
    # --- encodings
    Hostile("invalid UTF-8 (chat)", "POST", CHAT, 400, "body: is not valid UTF-8", b'{"message": "\xff\xfe"}'),
    Hostile("invalid UTF-8 (booking)", "POST", BOOK, 400, "body: is not valid UTF-8", b'{"reason": "\xc3\x28"}'),
    Hostile("invalid UTF-8 (AI SDK)", "POST", UI, 400, "body: is not valid UTF-8", b'{"id": "\xff"}'),
    Hostile("invalid JSON", "POST", CHAT, 400, "body: is not valid JSON", b'{"message": "hi"'),
    Hostile("JSON text/plain", "POST", CHAT, 400, "body: must be a JSON object", encoded({"message": "hi"}),
            {"Content-Type": "text/plain"}),
    Hostile("no content type", "POST", BOOK, 400, "body: must be a JSON object", encoded({"message": "hi"}), {}),
    Hostile("a form", "POST", BOOK, 400, "body: must be a JSON object", b"name=Jane",
            {"Content-Type": "application/x-www-form-urlencoded"}),
    Hostile("a JSON array", "POST", CHAT, 400, "body: must be a JSON object", b"[]"),
    Hostile("JSON null", "POST", BOOK, 400, "body: must be a JSON object", b"null"),
    Hostile("a number for the message", "POST", CHAT, 400, "message: input should be a valid string",
            b'{"message": 5}'),
    Hostile("an unknown field", "POST", CHAT, 400, "role: is not an accepted field",
            encoded({"message": "hi", "role": "system"})),
    Hostile("a lone surrogate (chat)", "POST", CHAT, 400,
            "message: must not contain unpaired surrogates (found U+D800)", b'{"message": "a\\ud800b"}'),
    Hostile("a lone surrogate (name)", "POST", BOOK, 400,
            "patient.name: input should be a valid string, unable to parse raw data as a unicode string",
            encoded(booking_body("2026-11-24", "09:00", patient={**PATIENT, "name": "Jane \ud800"}))),
    # --- control characters
    Hostile("NUL in the message", "POST", CHAT, 400, "message: must not contain control characters (found U+0000 NUL)",
            encoded({"message": "hi\x00"})),
    Hostile("a terminal escape in the AI SDK message", "POST", UI, 400,
            "message: must not contain control characters (found U+001B ESC)", ui_body("\x1b]0;pwned\x07")),
    Hostile("RLO in the name", "POST", BOOK, 400,
            "patient.name: must not contain bidirectional control characters (found U+202E)",
            encoded(booking_body("2026-11-24", "09:00", patient={**PATIENT, "name": "\u202eeoR"}))),
    Hostile("bell in the phone", "POST", BOOK, 400,
            "patient.phone: must not contain control characters (found U+0007 BEL)",
            encoded(booking_body("2026-11-24", "09:00", patient={**PATIENT, "phone": "555 123 4567\x07"}))),
    # --- nesting
    Hostile("nesting 5,000 deep (chat)", "POST", CHAT, 400, "body: is nested too deeply", nested(5000)),
    Hostile("nesting 20,000 deep (booking)", "POST", BOOK, 400, "body: is nested too deeply",
            b"[" * 20000 + b"]" * 20000),
    Hostile("nesting 50 deep in a field", "POST", CHAT, 400, "message: input should be a valid string", nested(50)),
    Hostile("the patient as a list", "POST", BOOK, 400, "patient: input should be a valid dictionary or object to "
            "extract fields from", encoded({**booking_body("2026-11-24", "09:00"), "patient": [PATIENT]})),
    # --- ids
    Hostile("a session id of 5,000 characters", "GET", f"{CHAT}/{'a' * 5000}", 400, SESSION_PATTERN),
    Hostile("a session id in the body of 101", "POST", CHAT, 400, SESSION_PATTERN,
            encoded({"session_id": "a" * 101, "message": "hi"})),
    Hostile("an empty session id", "POST", CHAT, 400, SESSION_PATTERN, encoded({"session_id": "", "message": "hi"})),
    Hostile("NUL in the session id", "POST", CHAT, 400, SESSION_PATTERN,
            encoded({"session_id": "abc\x00", "message": "hi"})),
    Hostile("an RLO session id", "GET", f"{CHAT}/%E2%80%AEabc", 400, SESSION_PATTERN),
    Hostile("an unknown session id", "GET", f"{CHAT}/nope", 404, "session_id: no session 'nope'"),
    Hostile("deleting an unknown session", "DELETE", f"{CHAT}/nope", 404, "session_id: no session 'nope'"),
    Hostile("a traversal session path", "GET", f"{CHAT}/..%2F..%2Fetc%2Fpasswd", 404, "Not Found"),
    Hostile("a dot-dot session id", "GET", f"{CHAT}/..", 404, "Not Found"),
    Hostile("a short AI SDK chat id", "POST", UI, 400, "id: string should match pattern '^[A-Za-z0-9_-]{16,100}$'",
            encoded({"id": "short", "messages": [{"id": "m", "role": "user", "parts": []}]})),
    Hostile("a booking id of 3,000 characters", "GET", f"{API}/bookings/{'A' * 3000}?confirmation_code=X", 400,
            BOOKING_PATTERN),
    Hostile("a traversal booking path", "GET", f"{API}/bookings/..%2F..%2Fbook?confirmation_code=X", 404, "Not Found"),
    Hostile("a unicode booking id", "POST", f"{API}/bookings/%C3%A9t%C3%A9/cancel", 400, BOOKING_PATTERN,
            encoded({"confirmation_code": "X"})),
    Hostile("an unknown booking", "POST", f"{API}/bookings/APPT-NONE/forget", 404, "No booking with id 'APPT-NONE'.",
            encoded({"confirmation_code": "X"})),
    Hostile("a confirmation code of 65", "GET", f"{API}/bookings/APPT-1?confirmation_code={'C' * 65}", 400,
            "confirmation_code: string should have at most 64 characters"),
    # --- methods
    Hostile("PUT on a session", "PUT", f"{CHAT}/abc", 405, "Method Not Allowed"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_hostile_request_gets_its_exact_answer(
    shared_live_server: LiveServer, shared_client: httpx.Client, case: Hostile
) -> None:
    response = shared_client.request(case.method, case.path, content=case.content, headers=case.headers)
    assert response.status_code == case.status, response.text
    if case.detail is not None:
        assert response.json() == {"detail": case.detail}
    assert stored_bookings(shared_live_server.settings.database_url) == [], "nothing booked"
    assert shared_client.get("/health").json()["status"] == "ok", "still serving"


def test_options_and_405_name_every_method_of_the_path(shared_client: httpx.Client) -> None:
    options = shared_client.options(f"{CHAT}/abc")
    assert (options.status_code, options.headers["allow"]) == (204, "DELETE, GET, OPTIONS")
    put = shared_client.put(f"{CHAT}/abc")
    assert put.headers["allow"] == "DELETE, GET, OPTIONS"
    assert shared_client.options(BOOK).headers["allow"] == "OPTIONS, POST"
