"""Patient data in no log line, whatever path it takes: a provider error that echoes the
conversation (the OpenAI path against a local OpenAI-compatible server), exceptions carrying a
name, e-mail and phone, and session ids in access-log paths (a short hash instead)."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from core.logging import JsonFormatter, TextFormatter, patient_values_var, remember_patient_data, session_ref
from tests.conftest import LiveServerFactory
from tests.support.openai_server import OpenAICompatibleServer, Reply, openai_provider

NAME, EMAIL, PHONE = "Jane Roe", "jane.roe@example.com", "+1 555 123 4567"
SECRETS = (NAME, "Jane", "Roe", EMAIL, "jane.roe", PHONE, "123 4567")
BOOKING = {
    "date": "2026-11-24",
    "start_time": "09:00",
    "appointment_type": "consultation",
    "patient_name": NAME,
    "patient_email": EMAIL,
    "patient_phone": PHONE,
}


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_a_provider_error_that_echoes_the_conversation_leaks_nothing(live_server: LiveServerFactory) -> None:
    """Turn 1 asks to book (a confirm card); the patient's "yes" runs the booking, then the
    provider refuses the next call with an error that echoes every message it was sent."""

    def respond(body: dict[str, Any]) -> Reply:
        if not any(m["role"] == "tool" for m in body["messages"]):
            return Reply(tool_calls=[("call_book", "book_slot", BOOKING)])
        echo = json.dumps(body["messages"][1:])  # what some providers put into a 400's message
        return Reply(status=400, text=f"Invalid request: {echo}")

    with OpenAICompatibleServer(respond) as provider:
        server = live_server(
            **openai_provider(provider),
        )
        with server.client() as client:
            first = client.post("/api/chat", json={"message": f"Book me Tuesday 9:00, I am {NAME}, {EMAIL}, {PHONE}"})
            assert "event: confirm" in first.text
            session = next(json.loads(line[6:]) for line in first.text.splitlines() if '"type": "session"' in line)
            second = client.post("/api/chat", json={"session_id": session["session_id"], "confirm": True})
            assert "event: error" in second.text
        assert len(provider.requests) == 2
        assert NAME in json.dumps(provider.requests[1]["body"]), "the provider really was sent the name"

    failed = server.logs.wait_for("turn failed")
    assert failed.exc_info is not None, "the error was logged with its traceback"
    text = server.logs.text()
    assert "[message withheld: may echo patient data; HTTP status 400]" in text
    assert "BadRequestError" in text, "the error's type is still there for the operator"
    assert leaks(text) == []
    assert failed.session == session_ref(session["session_id"]), "the session named by a short hash"  # type: ignore[attr-defined]
    assert session["session_id"] not in text


class ProviderError(Exception):
    """Stands for a library's exception (its module is not this project's)."""


ProviderError.__module__ = "someprovider.errors"


def format_both(record: logging.LogRecord) -> str:
    return JsonFormatter().format(record) + "\n" + TextFormatter().format(record)


def logged(exc: BaseException) -> logging.LogRecord:
    """The record `log.exception("turn failed")` makes while handling `exc`."""
    return logging.LogRecord(
        "agent", logging.ERROR, __file__, 1, "turn failed", (), (type(exc), exc, exc.__traceback__)
    )


@pytest.fixture(autouse=True)
def _nothing_remembered() -> Iterator[None]:
    """What a test remembers stays in the test."""
    token = patient_values_var.set(())
    yield
    patient_values_var.reset(token)


def test_exception_text_is_masked_in_both_formats() -> None:
    remember_patient_data(EMAIL, PHONE, names=[NAME])
    try:
        raise ValueError(f"could not book for {NAME} <{EMAIL}> tel. {PHONE}")
    except ValueError as exc:
        own = logged(exc)
    text = format_both(own)
    assert "could not book for" in text, "our own exceptions keep their message, masked"
    assert leaks(text) == []


def test_a_library_exception_message_is_withheld_even_with_nothing_remembered() -> None:
    exc = ProviderError(f"Invalid content: 'Hi, I am Jane Roe ({EMAIL}, {PHONE})'")
    try:
        try:
            raise exc
        except ProviderError as inner:
            raise RuntimeError("the model call failed") from inner
    except RuntimeError as outer:
        record = logged(outer)
    text = format_both(record)
    assert "ProviderError: [message withheld: may echo patient data]" in text
    assert "RuntimeError: the model call failed" in text
    assert leaks(text) == []


def test_a_name_is_masked_as_whole_words_only() -> None:
    remember_patient_data(names=["Al Li"])
    record = logging.LogRecord("api", logging.INFO, __file__, 1, "Al Li asked; Alice listed a slot", (), None)
    assert json.loads(JsonFormatter().format(record))["msg"] == "*** asked; Alice listed a slot"


def test_session_ids_in_access_log_paths_are_short_hashes(live_server: LiveServerFactory) -> None:
    server = live_server()
    with server.client() as client:
        started = client.post("/api/chat", json={"message": "hello"})
        session_id = next(json.loads(line[6:]) for line in started.text.splitlines() if '"type": "session"' in line)[
            "session_id"
        ]
        assert client.delete(f"/api/chat/{session_id}").status_code == 204
        assert client.get(f"/api/chat/{session_id}").status_code == 404
    ref = hashlib.sha256(session_id.encode()).hexdigest()[:8]
    assert session_ref(session_id) == f"#{ref}"
    lines = [r.getMessage() for r in server.logs.find("/api/chat/")]
    assert f"DELETE /api/chat/#{ref} 204" in lines
    assert f"GET /api/chat/#{ref} 404" in lines
    assert session_id not in server.logs.text()


def test_uvicorn_access_lines_hide_session_ids_too() -> None:
    """uvicorn's own access log (off by default, see api/serve.py) goes through the same formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/chat/abcdefghijklmnopqrstuvwx", "1.1", 200),
        None,
    )
    handler.emit(record)
    assert "abcdefghijklmnopqrstuvwx" not in stream.getvalue()
    assert session_ref("abcdefghijklmnopqrstuvwx") in stream.getvalue()


def test_the_clients_tools_never_see_masked_data(client: httpx.Client) -> None:
    """Masking is for logs only: the API still answers with the patient's own data."""
    from tests.support.calendly import API, booking_body

    body = booking_body("2026-11-24", "09:00", patient={"name": NAME, "email": EMAIL, "phone": PHONE})
    response = client.post(f"{API}/book", json=body)
    assert response.status_code == 201
    assert response.json()["details"]["patient"] == {"name": NAME, "email": EMAIL, "phone": PHONE}


def test_a_short_message_does_not_garble_the_turns_lines() -> None:
    remember_patient_data("y", "ok")
    record = logging.LogRecord(
        "agent", logging.INFO, __file__, 1, "ok: the reply is ready for you, booking ok", (), None
    )
    assert json.loads(JsonFormatter().format(record))["msg"] == "***: the reply is ready for you, booking ***"
