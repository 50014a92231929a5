"""The character rule (core/text.py) in every patient field, over real HTTP: control and
bidirectional-control characters refused with a 400 naming the field and the class, nothing
booked; ordinary whitespace where a field is multi-line, and direction marks, accepted."""

from __future__ import annotations

import httpx
import pytest

from tests.support.calendly import API, PATIENT, booking_body, stored_bookings
from tests.support.servers import LiveServer

TUESDAY = "2026-11-24"
CONTROL = "must not contain control characters"
BIDI = "must not contain bidirectional control characters"


def patient(**fields: str) -> dict[str, str]:
    return {**PATIENT, **fields}


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            booking_body(TUESDAY, "09:00", patient=patient(name="Jane\x00Roe")),
            f"patient.name: {CONTROL} (found U+0000 NUL)",
        ),
        (
            booking_body(TUESDAY, "09:00", patient=patient(name="Jane\x07Roe")),
            f"patient.name: {CONTROL} (found U+0007 BEL)",
        ),
        (
            booking_body(TUESDAY, "09:00", patient=patient(name="Jane\nRoe")),
            f"patient.name: {CONTROL} (found U+000A LF)",
        ),
        (
            booking_body(TUESDAY, "09:00", patient=patient(name="Jane\x7fRoe")),
            f"patient.name: {CONTROL} (found U+007F DEL)",
        ),
        (
            booking_body(TUESDAY, "09:00", patient=patient(name="Jane\x85Roe")),
            f"patient.name: {CONTROL} (found U+0085)",
        ),
        (
            booking_body(TUESDAY, "09:00", patient=patient(name="\u202eeoR enaJ")),
            f"patient.name: {BIDI} (found U+202E)",
        ),
        (
            booking_body(TUESDAY, "09:00", patient=patient(name="Jane \u2066Roe")),
            f"patient.name: {BIDI} (found U+2066)",
        ),
        (
            booking_body(TUESDAY, "09:00", patient=patient(email="jane\x1b@example.com")),
            f"patient.email: {CONTROL} (found U+001B ESC)",
        ),
        (
            booking_body(TUESDAY, "09:00", patient=patient(phone="+1 555\t123 4567")),
            f"patient.phone: {CONTROL} (found U+0009 TAB)",
        ),
        (booking_body(TUESDAY, "09:00", reason="cough\x00"), f"reason: {CONTROL} (found U+0000 NUL)"),
        (booking_body(TUESDAY, "09:00", reason="cough \u202a"), f"reason: {BIDI} (found U+202A)"),
    ],
)
def test_booking_fields_refuse_control_and_bidi_characters(
    shared_live_server: LiveServer, shared_client: httpx.Client, body: dict[str, object], detail: str
) -> None:
    response = shared_client.post(f"{API}/book", json=body)
    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert stored_bookings(shared_live_server.settings.database_url) == []


def test_a_multiline_reason_and_direction_marks_are_accepted(client: httpx.Client) -> None:
    body = booking_body(TUESDAY, "09:00", patient=patient(name="\u200fسارة Roe"), reason="cough\n\tsince Monday\r\n")
    response = client.post(f"{API}/book", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["details"]["reason"] == "cough\n\tsince Monday\r\n"


@pytest.mark.parametrize(
    ("message", "detail"),
    [
        ("hello\x00", f"message: {CONTROL} (found U+0000 NUL)"),
        ("ring\x07", f"message: {CONTROL} (found U+0007 BEL)"),
        ("\x1b[31mred", f"message: {CONTROL} (found U+001B ESC)"),
        ("book \u202edrow", f"message: {BIDI} (found U+202E)"),
        ("book \u2069", f"message: {BIDI} (found U+2069)"),
    ],
)
def test_the_chat_message_refuses_control_and_bidi_characters(
    shared_client: httpx.Client, message: str, detail: str
) -> None:
    response = shared_client.post("/api/chat", json={"message": message})
    assert response.status_code == 400
    assert response.json() == {"detail": detail}


def test_the_chat_message_may_span_lines(shared_client: httpx.Client) -> None:
    response = shared_client.post("/api/chat", json={"message": "hello\nI need an appointment\r\n\tsoon"})
    assert response.status_code == 200
    assert "event: done" in response.text
